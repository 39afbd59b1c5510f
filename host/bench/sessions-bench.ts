/**
 * `hood bench sessions`: what one admitted session costs the MSS in memory, and how fast it admits JOINs.
 *
 * An MssCore (docs/protocol.md §7, no broker: the point is the MSS's per-session state) with room for n
 * sessions is fed n valid JOINs (paper step 2), made beforehand with node:crypto — X25519 key pairs for the
 * epk, sealJoin of shared/ on the native provider — so their making is not timed. It keeps every session:
 * bytesPerSession is the growth of the V8 heap plus external memory, each side taken after a full
 * garbage collection, divided by the sessions admitted. It covers the session table entry and its four
 * indexes, the key set, the replay window and the JOIN replay cache's entry for the JOIN's epk.
 * The collector is V8's own (exposed at run time, see collector()), so each side is measured after a
 * full collection.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { sealJoin } from '../../shared/src/protocol/cells';
import { MSG_JOIN } from '../../shared/src/protocol/constants';
import { newTmpMac } from '../../shared/src/tmpmac';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { installNativeCrypto } from '../crypto/native';
import { DEFAULT_MSS_CONFIG, MssCore } from '../mss/core';
import { loadOrCreateMssKeys } from '../mss/keys';

export interface SessionsBenchResult {
  n: number;
  joined: number;
  bytesPerSession: number;
  /** JOINs admitted per second of wall time, and per second of this process's CPU time (steadier on a busy host). */
  joinsPerSec: number;
  joinsPerCpuSec: number;
  heapBeforeMB: number;
  heapAfterMB: number;
  /** Heap + external growth, in bytes, over the n sessions. */
  grownBytes: number;
  /** What held the sessions and which crypto it ran. */
  mss: 'MssCore';
  crypto: 'node:crypto';
}

/** The JOIN replay cache holds at most this many JOINs per beacon epoch (host/mss/join-replay.ts). */
export const MAX_SESSIONS_BENCH_N = 100_000;

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const MB = 1024 * 1024;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

const WARMUP_JOINS = 200;

/** A valid JOIN for the beacon (box key, nonce): a fresh node:crypto X25519 key pair, K_BD and TmpMAC. */
function makeJoin(boxKey: Uint8Array, beaconNonce: Uint8Array, cellSize: number): Uint8Array {
  const kp = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  const esk = new Uint8Array(Buffer.from(kp.d as string, 'base64url'));
  const epk = new Uint8Array(Buffer.from(kp.x as string, 'base64url'));
  const join = { type: MSG_JOIN, kbd: rnd(32), tmpMac: newTmpMac(rnd), joinNonce: rnd(16), beaconNonce } as const;
  const sealed = sealJoin(boxKey, join, cellSize, esk, epk);
  sealed.refuseKey.fill(0);
  return sealed.cell;
}

/** Bytes in use: the V8 heap and the memory outside it (ArrayBuffer backing stores, node:crypto objects). */
function used(): { heap: number; total: number } {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, total: m.heapUsed + m.external };
}

/** Collect until the heap stops shrinking (weak callbacks and finalizers may free more in a second pass). */
function settle(gc: () => void): void {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    const u = used().total;
    if (u >= last - 1024) return;
    last = u;
  }
}

/** The measurement itself; needs a collector (run with --expose-gc). */
export function measureSessions(n: number, gc: () => void): SessionsBenchResult {
  if (!Number.isInteger(n) || n < 1 || n > MAX_SESSIONS_BENCH_N) throw new Error('n must be an integer in 1..' + MAX_SESSIONS_BENCH_N);
  installNativeCrypto();
  const dir = makeTempDir('hood-bench-sessions-');
  let keys;
  try {
    keys = loadOrCreateMssKeys(dir);
  } finally {
    removeTempDir(dir);
  }
  const config = { ...DEFAULT_MSS_CONFIG, maxSessions: Math.max(n, DEFAULT_MSS_CONFIG.maxSessions) };
  let emitted = 0;
  // A gateway hands each answer (ACCEPT) to its MQTT client and keeps nothing; so does this sink.
  const newCore = () => new MssCore(keys, config, silentLogger(), () => emitted++);

  // Warm-up on a core that is then dropped: the code of the JOIN path is compiled before the heap is measured.
  const warm = newCore();
  const warmBeacon = decodeBeacon(warm.beacon());
  for (let i = 0; i < WARMUP_JOINS; i++) warm.handleUp(makeJoin(warmBeacon.boxKey, warmBeacon.beaconNonce, config.cellSize));
  if (warm.sessions.size !== WARMUP_JOINS) throw new Error('warm-up JOINs were not admitted');

  const core = newCore();
  const beacon = decodeBeacon(core.beacon());
  const cells: Uint8Array[] = new Array(n);
  for (let i = 0; i < n; i++) cells[i] = makeJoin(beacon.boxKey, beacon.beaconNonce, config.cellSize);

  emitted = 0;
  settle(gc);
  const before = used();
  let joined = 0;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const r = core.handleUp(cells[i]);
    if (r.ok && r.what === 'join') joined++;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  settle(gc);
  const after = used();
  if (core.sessions.size !== joined || emitted !== n) throw new Error('sessions held ' + core.sessions.size + ', answers ' + emitted + ', joins ' + joined);
  const grown = after.total - before.total;
  const result: SessionsBenchResult = {
    n,
    joined,
    bytesPerSession: joined ? Math.round(grown / joined) : 0,
    joinsPerSec: Math.round(n / seconds),
    joinsPerCpuSec: Math.round(n / cpuSeconds),
    heapBeforeMB: round(before.heap / MB),
    heapAfterMB: round(after.heap / MB),
    grownBytes: grown,
    mss: 'MssCore',
    crypto: 'node:crypto',
  };
  // The sessions and the cells must live until after the second measurement.
  if (cells.length !== n || core.sessions.size !== joined) throw new Error('unreachable');
  return result;
}

/**
 * A full collector for this process. V8 exposes `gc` only when the flag is set before a context is made,
 * so set it and take `gc` from a fresh context. Measuring in this process, not in a child, keeps the
 * bench to one process (no second TypeScript load, nothing to wait for or to orphan).
 */
function collector(): () => void {
  const own = (globalThis as { gc?: () => void }).gc;
  if (typeof own === 'function') return own;
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  if (typeof gc !== 'function') throw new Error('bench sessions: this Node does not expose a garbage collector');
  return gc as () => void;
}

/** Measure in this process (the CLI is idle while it runs, so the heap grows only by the sessions). */
export async function benchSessions(o: { n: number }): Promise<SessionsBenchResult> {
  if (!Number.isInteger(o.n) || o.n < 1 || o.n > MAX_SESSIONS_BENCH_N) throw new Error('--n must be an integer in 1..' + MAX_SESSIONS_BENCH_N);
  return measureSessions(o.n, collector());
}
