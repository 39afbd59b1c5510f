/**
 * The two clients of `hood bench flood`, each in its own worker thread so neither competes with the MSS's
 * thread nor with the other:
 *  - 'flood': N MQTT connections that send, as fast as the broker takes them, a mix of junk and valid
 *    JOINs sealed to the MSS's real box key (precomputed with node:crypto, flood-cells.ts); a connection
 *    the broker closes comes back after 200 ms;
 *  - 'legit': one PDA at the protocol level (shared/: sealJoin, openSession) that joins once a second on a
 *    fresh connection with a fresh client id, as the firmware does, and times beacon → ACCEPT.
 */
import { randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { equalBytes, fromHex, toHex } from '../../shared/src/bytes';
import { decodeBeacon, verifyBeaconSignature, type Beacon } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import { BYE_NORMAL, MSG_ACCEPT, MSG_BYE, MSG_JOIN } from '../../shared/src/protocol/constants';
import { deriveSessionKeys } from '../../shared/src/protocol/session-keys';
import { beaconTopic, downTopic, upTopic } from '../../shared/src/protocol/topics';
import { newTmpMac } from '../../shared/src/tmpmac';
import { joinMaker, junkJoinCell, junkSessionCell } from './flood-cells';

export interface FloodWorkerSetup {
  role: 'flood' | 'legit';
  host: string;
  port: number;
  mssId: string;
  /** flood: connections, valid JOINs kept ready per beacon. */
  connections?: number;
  poolSize?: number;
  /** legit: the pinned identity key, one attempt every intervalMs, given up after timeoutMs. */
  identityKeyHex?: string;
  intervalMs?: number;
  timeoutMs?: number;
}

export interface FloodResult {
  cellsSent: Record<string, number>;
  reconnects: number;
  validJoinsMade: number;
  busy: number;
  nice: number | null;
}

export interface LegitResult {
  joinMs: number[];
  /** Per join: connected (TCP + CONNACK), beacon received, ACCEPT received after the JOIN was sent. */
  phasesMs: { connect: number[]; beacon: number[]; accept: number[] };
  failed: Record<string, number>;
}

type Phases = LegitResult['phasesMs'];

const setup = workerData as FloodWorkerSetup;
const port = parentPort!;
const url = `mqtt://${setup.host.includes(':') ? '[' + setup.host + ']' : setup.host}:${setup.port}`;
const rnd = (n: number) => new Uint8Array(randomBytes(n));
const clientId = () => 'c' + randomBytes(9).toString('hex');
let running = false;
let stopped: () => void = () => undefined;
const stop = new Promise<void>((resolve) => (stopped = resolve));

function firstMessage(c: MqttClient, topic: string, timeoutMs: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => {
      c.off('message', on);
      reject(new Error('timeout'));
    }, timeoutMs);
    const on = (tp: string, p: Buffer) => {
      if (tp !== topic || p.length === 0) return;
      clearTimeout(t);
      c.off('message', on);
      resolve(p);
    };
    c.on('message', on);
  });
}

// ---------------------------------------------------------------- flood

/** Publishes a connection may have in flight; beyond that it waits for the socket (so memory stays flat). */
const WINDOW = 64;
/** Publishes per turn of the event loop and connection, so stop and reconnects are still heard. */
const BATCH = 128;

/**
 * The flooders stand in for other devices, which bring their own CPUs: on one machine this thread yields
 * the CPU to the MSS's thread (Linux: a thread is a task, /proc/thread-self names it). Whether the flood
 * was still more than the broker took is measured, not assumed (offered vs. taken in the result).
 */
function yieldCpu(nice: number): number | null {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    setPriority(tid, nice);
    return nice;
  } catch {
    return null;
  }
}

async function flood(): Promise<FloodResult> {
  const nice = yieldCpu(10);
  const n = setup.connections ?? 50;
  const poolSize = setup.poolSize ?? 4000;
  const up = upTopic(setup.mssId);
  const watcher = await mqtt.connectAsync(url, { clientId: clientId(), reconnectPeriod: 200 });
  const beaconP = firstMessage(watcher, beaconTopic(setup.mssId), 10_000);
  await watcher.subscribeAsync(beaconTopic(setup.mssId));
  let beacon = decodeBeacon(new Uint8Array(await beaconP));
  const cellSize = beacon.cellSize;
  let pool: Buffer[] = [];
  let made = 0;
  const fill = (b: Beacon) => {
    const make = joinMaker(b.boxKey, b.beaconNonce, cellSize);
    const next: Buffer[] = [];
    for (let i = 0; i < poolSize; i++) next.push(make());
    made += poolSize;
    return next;
  };
  pool = fill(beacon);
  // A new beacon nonce makes the pool stale after one more period (§2.1): make a fresh one.
  watcher.on('message', (_t, p) => {
    if (p.length === 0) return;
    const b = decodeBeacon(new Uint8Array(p));
    if (equalBytes(b.beaconNonce, beacon.beaconNonce)) return;
    beacon = b;
    pool = fill(b);
  });
  const junkSession = Array.from({ length: 16 }, () => junkSessionCell(cellSize));
  const junkJoin = Array.from({ length: 16 }, () => junkJoinCell(cellSize));
  const wrongSize = randomBytes(cellSize - 1);
  const sent: Record<string, number> = { junk_session: 0, valid_join: 0, junk_join: 0, wrong_size: 0 };
  let reconnects = 0;
  let k = 0;
  const next = (): [string, Buffer] => {
    const m = k++ % 20;
    if (m < 12) return ['junk_session', junkSession[k & 15]];
    if (m < 16) return ['valid_join', pool[k % pool.length]];
    if (m < 19) return ['junk_join', junkJoin[k & 15]];
    return ['wrong_size', wrongSize];
  };
  const clients: MqttClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await mqtt.connectAsync(url, { clientId: clientId(), reconnectPeriod: 200, queueQoSZero: false, connectTimeout: 5000 });
    c.on('error', () => undefined);
    let inflight = 0;
    let pumping = false;
    let scheduled = false;
    // Publishes cut off by a disconnect may never call back: count per connection generation.
    let generation = 0;
    const pump = () => {
      scheduled = false;
      if (pumping) return;
      pumping = true;
      for (let b = 0; b < BATCH && running && c.connected && inflight < WINDOW; b++) {
        const [kind, cell] = next();
        const gen = generation;
        inflight++;
        c.publish(up, cell, { qos: 0 }, (err) => {
          if (gen !== generation) return;
          inflight--;
          if (!err) sent[kind]++;
          again();
        });
      }
      pumping = false;
      again();
    };
    const again = () => {
      if (!scheduled && running && c.connected && inflight < WINDOW) {
        scheduled = true;
        setImmediate(pump);
      }
    };
    c.on('connect', () => {
      generation++;
      inflight = 0;
      reconnects++;
      again();
    });
    (c as unknown as { kick: () => void }).kick = again;
    clients.push(c);
  }
  reconnects = 0;
  port.postMessage({ ready: true });
  await started;
  const elu0 = performance.eventLoopUtilization();
  for (const c of clients) (c as unknown as { kick: () => void }).kick();
  await stop;
  const busy = performance.eventLoopUtilization(elu0).utilization;
  await Promise.all([...clients, watcher].map((c) => c.endAsync(true).catch(() => undefined)));
  return { cellsSent: sent, reconnects, validJoinsMade: made, busy, nice };
}

// ---------------------------------------------------------------- legit

async function legitOnce(pin: Uint8Array, verified: { signed: string }, timeoutMs: number, phases?: Phases): Promise<number> {
  const t0 = performance.now();
  const c = await mqtt.connectAsync(url, { clientId: clientId(), reconnectPeriod: 0, connectTimeout: timeoutMs, clean: true });
  c.on('error', () => undefined);
  const t1 = performance.now();
  try {
    const beaconP = firstMessage(c, beaconTopic(setup.mssId), timeoutMs);
    await c.subscribeAsync(beaconTopic(setup.mssId));
    const b = decodeBeacon(new Uint8Array(await beaconP));
    const t2 = performance.now();
    // As the firmware does (§2.2, §2.3): the pinned key, and the signature once per signed part.
    if (!equalBytes(b.identityKey, pin)) throw new Error('pin_mismatch');
    const signed = toHex(b.signed);
    if (verified.signed !== signed) {
      if (!verifyBeaconSignature(b)) throw new Error('bad_signature');
      verified.signed = signed;
    }
    const kbd = rnd(32);
    const sealed = sealJoin(b.boxKey, { type: MSG_JOIN, kbd, tmpMac: newTmpMac(rnd), joinNonce: rnd(16), beaconNonce: b.beaconNonce }, b.cellSize, rnd(32));
    // The JOIN's keys are bound to its ephemeral public key, which is bytes 2..34 of the cell (§3.1, §6).
    const keys = deriveSessionKeys(kbd, sealed.cell.subarray(2, 34));
    const down = downTopic(setup.mssId, keys.downTag);
    await c.subscribeAsync(down);
    const answer = firstMessage(c, down, Math.max(1, timeoutMs - (performance.now() - t0)));
    const t3 = performance.now();
    c.publish(upTopic(setup.mssId), Buffer.from(sealed.cell), { qos: 0 });
    const cell = new Uint8Array(await answer);
    const h = decodeCellHeader(cell, b.cellSize);
    if (h.kind !== 2) throw new Error('bad_answer');
    let m;
    try {
      m = openSession(keys.downKey, cell, h.seq, DIR_DOWN);
    } catch {
      throw new Error('refused');
    }
    if (m.type !== MSG_ACCEPT) throw new Error('not_accept');
    const t4 = performance.now();
    phases?.connect.push(t1 - t0);
    phases?.beacon.push(t2 - t1);
    phases?.accept.push(t4 - t3);
    // Leave politely (BYE, §4) so the bench measures admission, not a table filled by the legitimate PDA.
    c.publish(upTopic(setup.mssId), Buffer.from(sealSession(keys.upKey, keys.upTag, 0, DIR_UP, { type: MSG_BYE, reason: BYE_NORMAL }, b.cellSize)), { qos: 0 });
    return t4 - t0;
  } finally {
    await c.endAsync().catch(() => undefined);
  }
}

async function legit(): Promise<LegitResult> {
  const pin = fromHex(setup.identityKeyHex!);
  const interval = setup.intervalMs ?? 1000;
  const timeoutMs = setup.timeoutMs ?? 10_000;
  const verified = { signed: '' };
  const joinMs: number[] = [];
  const phasesMs: Phases = { connect: [], beacon: [], accept: [] };
  const failed: Record<string, number> = {};
  // One join before the flood starts: the signature check (Ed25519 in JS) is paid once, as on a PDA.
  await legitOnce(pin, verified, timeoutMs);
  port.postMessage({ ready: true });
  await started;
  let next = performance.now();
  while (running) {
    try {
      joinMs.push(await legitOnce(pin, verified, timeoutMs, phasesMs));
    } catch (e) {
      const why = (e as Error).message || 'error';
      failed[why] = (failed[why] || 0) + 1;
    }
    next += interval;
    const wait = next - performance.now();
    if (wait > 0) await Promise.race([new Promise((r) => setTimeout(r, wait)), stop]);
    else next = performance.now();
  }
  return { joinMs, phasesMs, failed };
}

let begin: () => void = () => undefined;
const started = new Promise<void>((resolve) => (begin = resolve));

port.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'start') {
    running = true;
    begin();
  } else if (m.cmd === 'stop') {
    running = false;
    stopped();
  }
});

(setup.role === 'flood' ? flood() : legit()).then(
  (result) => port.postMessage({ result }),
  (e) => port.postMessage({ error: (e as Error).message }),
);
