/**
 * `hood bench nymble`: the cost of Extended Nymble at the MSS and the NM.
 *
 * - ticket check at the MSS: decode, public-field checks, macNS (HMAC-SHA256), linked-set and
 *   replay-set lookups, with `entries` linked nymbles loaded (default 100,000 ≈ 350 blocked users
 *   over a full window of 288 periods); per-check µs, p50/p99. Baseline in the same run: one bare
 *   HMAC-SHA256 over the same bytes (the floor of any MAC check).
 * - blacklist check: one linked-set lookup with `entries` entries and with 1/100 of them; O(1)
 *   means the two agree within noise (ratio reported).
 * - issue rate: tickets per second of NymbleTktGen (a full window's credential per request).
 * - linked refusal: checks of tickets of users complained about (real complaints through NM and PM).
 * - PDA status check: checkOwnStatus (one Ed25519 verify and a scan) on Node, for a list of 100.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { checkOwnStatus, decodeBlacklist } from '../../shared/src/nymble/blacklist';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { NymbleManager, type LinkingToken } from '../nymble/nymble-manager';
import { PseudonymManager, pseudonymMac } from '../nymble/pseudonym-manager';
import { NymbleServer } from '../nymble/server';
import { NymbleError } from '../nymble/errors';
import { defaultTime } from '../nymble/time';
import { round, summarize } from './stats';

/** Users complained about (each a real complaint: NM, PM and a linking token to the MSS). */
const VICTIMS = 100;

export interface NymbleBenchOptions {
  /** Distinct users whose tickets are checked (default 5000). */
  users?: number;
  /** Linked nymbles held by the MSS (default 100,000). */
  entries?: number;
  onProgress?: (msg: string) => void;
}

export interface NymbleBenchResult {
  periodsPerWindow: number;
  linkedEntries: number;
  ticketCheckUs: { n: number; p50: number; p99: number; mean: number };
  baselineHmacUs: { n: number; p50: number; p99: number; mean: number };
  linkedRefusalUs: { n: number; p50: number; p99: number; mean: number };
  blacklistLookupNs: { full: number; small: number; smallEntries: number; ratio: number };
  issue: { ticketsPerSec: number; credentialsPerSec: number; ticketsPerCredential: number };
  pdaStatusCheckMs: { entries: number; mean: number };
  allAccepted: boolean;
  allLinkedRefused: boolean;
}

/** Best of three passes over the probes (after a warm-up pass), ns per lookup. */
function lookupNs(server: NymbleServer, probes: Uint8Array[]): number {
  let best = Infinity;
  let hits = 0;
  for (let pass = 0; pass < 4; pass++) {
    const t0 = process.hrtime.bigint();
    for (const p of probes) if (server.isLinked(p)) hits++;
    const ns = Number(process.hrtime.bigint() - t0) / probes.length;
    if (pass > 0) best = Math.min(best, ns);
  }
  return hits >= 0 ? best : NaN;
}

/**
 * Linking tokens for `entries` nymbles of a full window as an MSS holds them at its last period:
 * each token at period 1 expands to L nymbles, the last one starts later to hit `entries` exactly.
 * seq 0: they do not move the MSS's position in the NM's token stream.
 */
function syntheticTokens(entries: number, L: number): LinkingToken[] {
  const out: LinkingToken[] = [];
  for (let n = 0; n < entries; n += L) {
    const t = n + L <= entries ? 1 : L - (entries - n) + 1;
    out.push({ seq: 0, w: 1, t, seed: new Uint8Array(randomBytes(32)) });
  }
  return out;
}

export async function benchNymble(o: NymbleBenchOptions = {}): Promise<NymbleBenchResult> {
  const users = o.users ?? 5000;
  const entries = o.entries ?? 100_000;
  if (users < 1 || entries < 1) throw new Error('users and entries must be at least 1');
  const progress = o.onProgress ?? (() => {});
  const dir = makeTempDir('hood-bench-nymble-');
  try {
    const time = defaultTime();
    const L = time.periodsPerWindow;
    // The benchmark's own resource: any 'bench-user-N' string (no bank behind it).
    const pm = PseudonymManager.open(join(dir, 'pm'), async (proof) => {
      if (!proof.startsWith('bench-user-')) throw new NymbleError('unknown_resource', 'not a benchmark user');
      return proof;
    });
    const nm = NymbleManager.open(join(dir, 'nm'), { macKeyNP: pm.sharedMacKey(), pm, time });
    const macKeyNS = nm.registerMss('doug');
    const key = pm.sharedMacKey();
    // Pseudonyms are PRF outputs; random ones with a valid PM MAC stand in for them.
    const pseudonym = (w: number) => {
      const nym = new Uint8Array(randomBytes(32));
      return { nym, w, mac: pseudonymMac(key, nym, w) };
    };

    progress('issue rate (full-window credentials)');
    const creds = Math.max(5, Math.min(50, users));
    let t0 = performance.now();
    for (let i = 0; i < creds; i++) nm.credential(pseudonym(1), 'doug', { w: 1, t: 1 }, 1);
    const issueSec = (performance.now() - t0) / 1000;

    progress(`linking ${entries} nymbles`);
    const now = { w: 1, t: L };
    const server = new NymbleServer('doug', macKeyNS, time);
    const tokens = syntheticTokens(entries, L);
    server.applyTokens(tokens, now);

    progress(`issuing ${users} tickets for the last period`);
    const tickets: Uint8Array[] = [];
    for (let i = 0; i < users; i++) tickets.push(nm.credential(pseudonym(1), 'doug', now, L).tickets[0]);

    progress('checking tickets');
    const checkUs: number[] = [];
    const hmacUs: number[] = [];
    let allAccepted = true;
    for (const tk of tickets) {
      let s = process.hrtime.bigint();
      createHmac('sha256', macKeyNS).update(tk.subarray(0, tk.length - 32)).digest();
      hmacUs.push(Number(process.hrtime.bigint() - s) / 1000);
      s = process.hrtime.bigint();
      const r = server.check(tk, now);
      checkUs.push(Number(process.hrtime.bigint() - s) / 1000);
      if (!r.ok) allAccepted = false;
    }

    progress('linked refusals');
    // Real complaints through the NM and PM, for users enrolled under a synthetic resource.
    const victims: Uint8Array[] = [];
    for (let i = 0; i < VICTIMS; i++) {
      const c = nm.credential(await pm.pseudonym('bench-user-' + i, 1), 'doug', now, L);
      victims.push(c.tickets[0]);
      nm.complain(c.tickets[0], 'doug', now);
    }
    server.applyTokens(nm.linkingTokens('doug', now, server.tokenSeq), now);
    const refusedUs: number[] = [];
    let allLinkedRefused = true;
    for (const v of victims) {
      const s = process.hrtime.bigint();
      const r = server.check(v, now);
      refusedUs.push(Number(process.hrtime.bigint() - s) / 1000);
      if (r.ok || r.reason !== 'linked') allLinkedRefused = false;
    }

    progress('blacklist lookups');
    const probes = Array.from({ length: 100_000 }, () => new Uint8Array(randomBytes(32)));
    const full = lookupNs(server, probes);
    const smallEntries = Math.max(1, Math.floor(entries / 100));
    const small = new NymbleServer('doug', macKeyNS, time);
    small.applyTokens(syntheticTokens(smallEntries, L), now);
    const smallNs = lookupNs(small, probes);

    progress('PDA status check');
    const blNm = nm.blacklist('doug', now);
    const pub = nm.publicKey();
    const mine = new Uint8Array(32);
    t0 = performance.now();
    const rounds = 20;
    for (let i = 0; i < rounds; i++) checkOwnStatus(blNm, pub, { sid: 'doug', w: now.w, t: now.t, lastVersion: 0 }, mine);
    const pdaMs = (performance.now() - t0) / rounds;

    return {
      periodsPerWindow: L,
      linkedEntries: server.linkedEntries,
      ticketCheckUs: summarize(checkUs),
      baselineHmacUs: summarize(hmacUs),
      linkedRefusalUs: summarize(refusedUs),
      blacklistLookupNs: { full: round(full), small: round(smallNs), smallEntries: small.linkedEntries, ratio: round(full / smallNs) },
      issue: { ticketsPerSec: Math.round((creds * L) / issueSec), credentialsPerSec: round(creds / issueSec), ticketsPerCredential: L },
      pdaStatusCheckMs: { entries: decodeBlacklist(blNm).entries.length, mean: round(pdaMs) },
      allAccepted,
      allLinkedRefused,
    };
  } finally {
    removeTempDir(dir);
  }
}
