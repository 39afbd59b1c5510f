/**
 * Conformance (docs/model.md): random simulations of the Promela model print every MSS decision
 * ("HOOD ..." lines, shared/model/mss.pml); each is replayed, cell by cell, against the real MssCore
 * (host/mss/core.ts) with cells built by shared/src/protocol, and the code must decide the same at every
 * step — accept, refuse with the same reason, RENEW to the holder, ignore — and emit the same cells.
 * Abstract values map to fixed bytes: K_BD k = 32 bytes of k, TmpMAC m = 02:00:00:00:00:0m (3 is the
 * multicast 03:00:00:00:00:03). A simulation is reproducible from its seed (spin -n).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { toHex } from '../../shared/src/bytes';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import { MSG_ACCEPT, MSG_BYE, MSG_DATA, MSG_JOIN, MSG_REKEY, MSG_REKEYED, MSG_RENEW } from '../../shared/src/protocol/constants';
import type { Message } from '../../shared/src/protocol/messages';
import { openRefuse } from '../../shared/src/protocol/refuse';
import { CHANNEL_PAID, CHANNEL_PAY } from '../../shared/src/pay/constants';
import { deriveSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { downTopic } from '../../shared/src/protocol/topics';
import { createLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { DEFAULT_MSS_CONFIG, MssCore, type Outbound, type Service, type UpResult } from '../mss/core';
import { loadOrCreateMssKeys, type MssKeys } from '../mss/keys';
import { echoService } from '../mss/services/echo';
import { MODEL_FILE, defineArgs, exec } from './spin';

/** Model message types (shared/model/defs.pml). */
const M = { DATA: 6, REKEY: 8, PAY: 9, BYE: 5 };
const REFUSE_NAME: Record<number, string> = { 1: 'tmpmac_in_use', 2: 'capacity', 3: 'stale_beacon', 4: 'bad_request' };
/** MAXSESS of the model. */
const MODEL_MAX_SESSIONS = 2;

export interface Mismatch {
  seed: number;
  step: number;
  line: string;
  what: string;
}

export interface ConformanceResult {
  traces: number;
  steps: number;
  mismatches: Mismatch[];
  /** Decisions seen, by kind (accept, refuse_3, renew, ...): how much of the admission order the traces covered. */
  decisions: Record<string, number>;
}

const kbdBytes = (k: number) => new Uint8Array(32).fill(k);
const macBytes = (m: number) => Uint8Array.of(m === 3 ? 0x03 : 0x02, 0, 0, 0, 0, m);

/** One simulation of the model: its HOOD lines, or why there are none. */
export async function simulate(dir: string, seed: number, defines: Record<string, number | true> = {}): Promise<{ lines: string[]; error?: string }> {
  const r = await exec('spin', [...defineArgs({ ...defines, SIM: true }), '-n' + seed, '-u200000', '-B', '-T', MODEL_FILE], dir, 60_000);
  const out = r.stdout + r.stderr;
  const lines = out
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('HOOD '));
  if (r.timedOut) return { lines, error: 'simulation timed out' };
  const bad = /assertion violated.*|Error:.*/.exec(out);
  return bad ? { lines, error: 'model: ' + bad[0] } : { lines };
}

interface Join {
  cell: Uint8Array;
  epk: Uint8Array;
  refuseKey: Uint8Array;
  k: number;
}

/** Replay one trace against a fresh MssCore; every disagreement is a mismatch. */
export function replay(seed: number, lines: string[], keys: MssKeys, decisions: Record<string, number>): Mismatch[] {
  const out: Outbound[] = [];
  const quiet = new Writable({ write: (_c, _e, cb) => cb() });
  const now = 1_700_000_000_000;
  const core = new MssCore(keys, { ...DEFAULT_MSS_CONFIG, maxSessions: MODEL_MAX_SESSIONS }, createLogger({ level: 'silent', destination: quiet }), (o) => out.push(o), () => now);
  core.addService(echoService);
  // The bank is not part of MssCore: the model says when its answer comes (HOOD BANK) and when a repeated
  // PAY gets the stored answer again; this stand-in for the payment service does just that.
  let resendPaid = -1;
  const till: Service = {
    channel: CHANNEL_PAY,
    onData(ctx) {
      if (resendPaid >= 0) ctx.reply(CHANNEL_PAID, Uint8Array.of(resendPaid));
    },
  };
  core.addService(till);
  const paidResult = new Map<string, number>();
  const mssId = core.config.mssId;
  const cellSize = core.config.cellSize;
  // Epoch 0 of the model is the first beacon.
  const first = decodeBeacon(core.beacon());
  const nonces: Uint8Array[] = [first.beaconNonce];
  const boxKey = first.boxKey;
  const joins = new Map<number, Join>();
  const keysets = new Map<string, SessionKeys>();
  /** (key set, nonce) -> plaintext, over every cell the MSS emitted: a second plaintext is a two-time pad. */
  const sealed = new Map<string, string>();
  const mismatches: Mismatch[] = [];
  let step = 0;
  let line = '';
  const fail = (what: string) => mismatches.push({ seed, step, line, what });
  const count = (d: string) => (decisions[d] = (decisions[d] || 0) + 1);
  const expect = (r: UpResult, ok: boolean, whatOrReason: string) => {
    const got = r.ok ? 'ok:' + r.what : 'no:' + r.reason;
    const want = (ok ? 'ok:' : 'no:') + whatOrReason;
    if (got !== want) fail('decision: model ' + want + ', code ' + got);
  };
  const take = () => out.splice(0, out.length);
  /** Open the single cell the step must have emitted on `ks`'s topic and check type and seq. */
  const expectCell = (cells: Outbound[], ks: SessionKeys, id: string, type: number, seq: number) => {
    if (cells.length !== 1) return fail('emitted ' + cells.length + ' cells, model 1');
    if (cells[0].topic !== downTopic(mssId, ks.downTag)) return fail('cell on another topic');
    const h = decodeCellHeader(cells[0].payload, cellSize);
    if (h.kind !== 2) return fail('not a session cell');
    let m: Message;
    try {
      m = openSession(ks.downKey, cells[0].payload, h.seq, DIR_DOWN);
    } catch {
      return fail('cell does not open under the session keys');
    }
    if (m.type !== type) fail('message type ' + m.type + ', model ' + type);
    if (h.seq !== seq) fail('downlink seq ' + h.seq + ', model ' + seq);
    const slot = id + '@' + h.seq;
    const pt = JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? toHex(v) : v));
    const prev = sealed.get(slot);
    if (prev !== undefined && prev !== pt) fail('two plaintexts under one (key, nonce): ' + slot);
    sealed.set(slot, pt);
  };
  const expectNone = (cells: Outbound[]) => {
    if (cells.length) fail('emitted ' + cells.length + ' cells, model none');
  };

  for (line of lines) {
    step++;
    const f = line.split(' ');
    const n = f.slice(2).map(Number);
    if (f[1] === 'ROT') {
      nonces[n[0]] = decodeBeacon(core.beacon()).beaconNonce;
      continue;
    }
    if (f[1] === 'BANK') {
      const [, res, k, w, dseq] = n;
      if (k === 0) continue; // the session ended before the bank answered: nothing to send
      count('paid');
      const ks = keysets.get(k + '/' + w);
      const s = ks && core.sessions.findByUpTag(ks.upTag);
      if (!ks || !s) {
        fail('model pays a session the code does not have');
        continue;
      }
      paidResult.set(k + '/' + w, res);
      take();
      core.deliver(s.tmpId, CHANNEL_PAID, Uint8Array.of(res));
      expectCell(take(), ks, k + '/' + w, MSG_DATA, dseq);
      continue;
    }
    if (f[1] === 'JOIN') {
      const [k, mac, ep, z] = n;
      const d = f[6];
      const a = Number(f[7]);
      const b = Number(f[8]);
      let j = joins.get(z);
      if (!j) {
        const esk = new Uint8Array(randomBytes(32));
        const epk = x25519Base(esk);
        const nonce = nonces[ep];
        if (!nonce) {
          fail('no beacon nonce for epoch ' + ep);
          continue;
        }
        const s = sealJoin(boxKey, { type: MSG_JOIN, kbd: kbdBytes(k), tmpMac: macBytes(mac), joinNonce: new Uint8Array(randomBytes(16)), beaconNonce: nonce }, cellSize, esk, epk);
        j = { cell: s.cell, epk, refuseKey: s.refuseKey, k };
        joins.set(z, j);
      }
      take();
      const r = core.handleUp(j.cell.slice());
      const cells = take();
      if (d === 'A') {
        count('accept');
        expect(r, true, 'join');
        const ks = deriveSessionKeys(kbdBytes(k), j.epk);
        keysets.set(k + '/' + b, ks);
        expectCell(cells, ks, k + '/' + b, MSG_ACCEPT, 0);
      } else if (d === 'R') {
        count('refuse_' + a);
        expect(r, false, 'refused_' + REFUSE_NAME[a]);
        const ks = deriveSessionKeys(kbdBytes(k), j.epk);
        if (cells.length !== 1) fail('emitted ' + cells.length + ' cells for REFUSE');
        else if (cells[0].topic !== downTopic(mssId, ks.downTag)) fail("REFUSE not on the newcomer's topic");
        else {
          const h = decodeCellHeader(cells[0].payload, cellSize);
          try {
            if (h.kind !== 2 || openRefuse(j.refuseKey, cells[0].payload, h.seq) !== a) fail('REFUSE reason differs');
          } catch {
            fail('REFUSE does not open under refuseKey(JOIN) with nonce = reason');
          }
        }
      } else if (d === 'N') {
        count('renew');
        expect(r, false, 'kbd_collision');
        const holder = keysets.get(k + '/' + a);
        if (!holder) fail('holder unknown');
        else expectCell(cells, holder, k + '/' + a, MSG_RENEW, b);
      } else {
        count(a === 1 ? 'ignore_replay' : 'ignore_stale');
        expect(r, false, a === 1 ? 'join_replay' : 'stale_beacon');
        expectNone(cells);
      }
      continue;
    }
    if (f[1] === 'UP') {
      const [k, w, seq, ty, arg] = n;
      const d = f[7];
      const a = Number(f[8]);
      const ks = keysets.get(k + '/' + w);
      if (!ks) {
        fail('no key set for ' + k + '/' + w);
        continue;
      }
      const m: Message =
        ty === M.REKEY
          ? { type: MSG_REKEY, kbd: kbdBytes(arg) }
          : ty === M.BYE
            ? { type: MSG_BYE, reason: 0 }
            : ty === M.PAY
              ? { type: MSG_DATA, channel: CHANNEL_PAY, payload: Uint8Array.of(arg) }
              : { type: MSG_DATA, channel: 0, payload: new Uint8Array(0) };
      take();
      const resend = ty === M.PAY && Number(f[9]) === 1;
      resendPaid = resend ? (paidResult.get(k + '/' + w) ?? -1) : -1;
      const r = core.handleUp(sealSession(ks.upKey, ks.upTag, seq, DIR_UP, m, cellSize));
      resendPaid = -1;
      const cells = take();
      if (d === 'U') {
        count('unknown_session');
        expect(r, false, 'unknown_session');
        expectNone(cells);
      } else if (d === 'P') {
        count('replay');
        expect(r, false, 'replay');
        expectNone(cells);
      } else if (d === 'D') {
        count('data');
        expect(r, true, 'data');
        if (ty === M.DATA || resend) expectCell(cells, ks, k + '/' + w, MSG_DATA, a);
        else expectNone(cells);
      } else if (d === 'C') {
        count('rekey_collision');
        expect(r, false, 'kbd_collision');
        expectNone(cells);
      } else if (d === 'K') {
        count('rekey');
        expect(r, true, 'rekey');
        const nks = deriveSessionKeys(kbdBytes(arg), ks.upTag);
        keysets.set(arg + '/' + a, nks);
        expectCell(cells, nks, arg + '/' + a, MSG_REKEYED, 0);
      } else if (d === 'B') {
        count('bye');
        expect(r, true, 'bye');
        expectCell(cells, ks, k + '/' + w, MSG_BYE, a);
      } else fail('unknown decision ' + d);
      continue;
    }
    if (f[1] === 'TICK') {
      const [k, w, reason, dseq] = n;
      count('timeout');
      const ks = keysets.get(k + '/' + w);
      const s = ks && core.sessions.findByUpTag(ks.upTag);
      if (!ks || !s) {
        fail('model times out a session the code does not have');
        continue;
      }
      // Paper step 8: make exactly this session idle (reason 1) or too old (reason 2), then tick.
      if (reason === 1) s.lastSeenAt = now - s.idleTimeoutMs;
      else s.expiresAt = now;
      take();
      core.tick();
      const cells = take();
      expectCell(cells, ks, k + '/' + w, MSG_BYE, dseq);
      if (core.sessions.findByUpTag(ks.upTag)) fail('session still live after its timeout');
      continue;
    }
    fail('unknown line');
  }
  return mismatches;
}

export interface ConformanceOptions {
  /** Makes a private copy of the model for one worker (spin writes temp files next to the model). */
  workdir: () => string;
  removeWorkdir: (dir: string) => void;
  seed: number;
  traces: number;
  /** Simulations run at once (each is one spin process). */
  parallel?: number;
  onProgress?: (done: number) => void;
}

/** The spin seed of trace `i` of a run started with `seed`: `spin -DSIM -n<that>` replays it. */
export function traceSeed(seed: number, i: number): number {
  return seed * 100_003 + i + 1;
}

export async function conformance(o: ConformanceOptions): Promise<ConformanceResult> {
  const keyDir = makeTempDir('hood-model-mss-'); // MSS keys for the replay
  try {
    const keys = loadOrCreateMssKeys(keyDir);
    const decisions: Record<string, number> = {};
    const mismatches: Mismatch[] = [];
    let steps = 0;
    let next = 0;
    let done = 0;
    const worker = async () => {
      const dir = o.workdir();
      try {
        for (;;) {
          const i = next++;
          if (i >= o.traces) return;
          const seed = traceSeed(o.seed, i);
          const sim = await simulate(dir, seed);
          if (sim.error) mismatches.push({ seed, step: 0, line: '', what: sim.error });
          steps += sim.lines.length;
          mismatches.push(...replay(seed, sim.lines, keys, decisions));
          o.onProgress?.(++done);
        }
      } finally {
        o.removeWorkdir(dir);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.parallel ?? 2) }, worker));
    return { traces: o.traces, steps, mismatches, decisions };
  } finally {
    removeTempDir(keyDir);
  }
}
