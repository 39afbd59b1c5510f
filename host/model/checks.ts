/**
 * What `hood model` asks Spin (docs/model.md): one safety search of the full model (every assertion and
 * invariant, valid end states), two liveness searches under weak fairness, and one search per mutant,
 * each of which must end in a counterexample.
 */
import { HANDOFF_FILE, type PanRun } from './spin';

export interface ModelSize {
  /** Memory bound of each search, MB (pan -DMEMLIM): the searches are bounded, not exhaustive. */
  memLimitMb: number;
  /** Wall-time bound of each pan run. */
  timeoutMs: number;
  /** Randomised searches tried per mutant before it counts as not caught. */
  mutantSeeds: number;
  /** pan -w: log2 of the hash table slots (the table comes out of the memory bound). */
  hashBits: number;
  /** Compile pan with -O2 (see PanRun.optimise). */
  optimise: boolean;
}

export const CI_SIZE: ModelSize = { memLimitMb: 256, timeoutMs: 60_000, mutantSeeds: 4, hashBits: 20, optimise: false };
export const FULL_SIZE: ModelSize = { memLimitMb: 2048, timeoutMs: 600_000, mutantSeeds: 8, hashBits: 24, optimise: true };

const DEPTH = ['-m100000'];

/** The safety properties the one safety search checks (assertions in the model, the Monitor, end states). */
export const SAFETY_PROPERTIES = [
  'distinct_sessions', // no two live sessions share K_BD, TmpMAC or TmpId
  'seal_once', // no (key, nonce) pair seals two different plaintexts
  'burned_in_mac_never_sent', // in anonymous mode no frame while the register holds the burned-in MAC
  'tmpmac_read_back', // the TmpMAC is in the register before association
  'coin_once', // a coin is accepted at most once
  'payment_kept', // an accepted payment is in the till, and PAID(ok) only for it
  'wipe_clean', // after wipe the PDA holds no session secret
  'valid_end_states', // no deadlock: every process ends or waits at an end label
];

export function safetyRun(size: ModelSize): PanRun {
  return { defines: {}, cflags: ['SAFETY', 'NOCLAIM', 'COLLAPSE'], args: [...DEPTH, '-w' + size.hashBits], timeoutMs: size.timeoutMs, memLimitMb: size.memLimitMb, optimise: size.optimise };
}

/** Liveness needs the fairness copies of the state space: a smaller configuration of the same model. */
export const LIVENESS_DEFINES: Record<string, number> = { PAYING: 0, DUPS: 0, ROGUE: 0, MAXEP: 1 };

export const LIVENESS_PROPERTIES = ['join_outcome', 'session_ends'];

export function livenessRun(claim: string, size: ModelSize): PanRun {
  return {
    defines: LIVENESS_DEFINES,
    cflags: ['NFAIR=3', 'COLLAPSE'],
    args: ['-a', '-f', '-N', claim, ...DEPTH, '-w' + size.hashBits],
    timeoutMs: size.timeoutMs,
    memLimitMb: Math.max(64, Math.floor(size.memLimitMb / 4)),
    optimise: size.optimise,
  };
}

export interface Mutant {
  name: string;
  /** The model it is a mutant of (default: the protocol model). */
  file?: string;
  /** The known bug it brings back. */
  bug: string;
  /** Model bounds for its search (smaller where the bug needs a long run to show). */
  defines: Record<string, number>;
  /** 'random': skip the depth-first search, its first path is a poor place for this bug. */
  search?: 'random';
}

export const MUTANTS: Mutant[] = [
  {
    name: 'MUT_OLD_REFUSE',
    bug: "REFUSE under the newcomer's K_BD keys at seq 0: an admitted JOIN replayed after its epoch",
    defines: { NPDA: 2, PAYING: 0, DROPS: 0, DUPS: 0, ROGUE: 0, MAXCOLL: 0 },
  },
  { name: 'MUT_NO_RENEW', search: 'random', bug: 'no K_BD-in-use rule: a JOIN with a live K_BD is admitted', defines: {} },
  { name: 'MUT_MAC_AFTER_ASSOC', bug: 'TmpMAC loaded after association: frames with the burned-in MAC', defines: {} },
  {
    name: 'MUT_NO_SPENT_CHECK',
    search: 'random',
    bug: "coin credited without the bank's spent check",
    defines: { MAXCOLL: 0, DROPS: 0, DUPS: 0, REPLAYS: 0, ROGUE: 0, MAXEP: 0 },
  },
];

/** First a depth-first search; if that bound passes without error, randomised searches (swarm style). */
export function mutantRuns(m: Mutant, size: ModelSize, seed: number): PanRun[] {
  const defines = { ...m.defines, [m.name]: true as const };
  const runs: PanRun[] = [];
  if (m.search !== 'random')
    runs.push({ file: m.file, defines, cflags: ['SAFETY', 'NOCLAIM', 'COLLAPSE'], args: [...DEPTH, '-w20'], timeoutMs: Math.min(size.timeoutMs, 20_000), memLimitMb: 128, optimise: size.optimise });
  for (let i = 0; i < size.mutantSeeds; i++)
    runs.push({
      file: m.file,
      defines,
      cflags: ['SAFETY', 'NOCLAIM', 'BITSTATE', 'T_RAND', 'P_RAND'],
      args: [...DEPTH, '-w24', '-RS' + (seed * 7919 + i + 1)],
      timeoutMs: Math.min(size.timeoutMs, 15_000),
      memLimitMb: Math.min(size.memLimitMb, 256),
      optimise: size.optimise,
    });
  return runs;
}

/**
 * The hand-off model (shared/model/handoff.pml): small enough for an exhaustive search (no COLLAPSE, no
 * bound reached); its properties and its mutants.
 */
export const HANDOFF_PROPERTIES = [
  'handoff_one_session', // never two sessions of one TmpId at two MSSs
  'handoff_spent_once', // a ticket is spent for one member only
  'handoff_no_hijack', // a ticket read off the wire never takes over the PDA's resumed session
  'handoff_not_lost', // a lost RESUME, redeem answer or ACCEPT never loses the session
];

export function handoffSafetyRun(size: ModelSize): PanRun {
  return { file: HANDOFF_FILE, defines: { LOSSES: 3, TRIES: 5 }, cflags: ['SAFETY', 'NOCLAIM'], args: [...DEPTH, '-w' + size.hashBits], timeoutMs: size.timeoutMs, memLimitMb: 128, optimise: size.optimise };
}

export const HANDOFF_MUTANTS: Mutant[] = [
  { name: 'MUT_SPLIT_REDEEM', file: HANDOFF_FILE, bug: 'the issuer answers a redeem before it marks the ticket spent: two members resume one session', defines: {} },
  { name: 'MUT_TAKEOVER', file: HANDOFF_FILE, bug: "a repeated issuer answer takes over a session already running at the member: a ticket read off the wire hijacks it", defines: {} },
  { name: 'MUT_NO_REANSWER', file: HANDOFF_FILE, bug: "the issuer refuses the same member's repeated redeem: a lost answer loses the session", defines: {} },
];
