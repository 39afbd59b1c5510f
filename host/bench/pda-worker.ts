/**
 * The PDA side of `hood bench mss`, one worker thread of the load generator. Each session it holds is a PDA's:
 * its own MQTT connection, a real JOIN/ACCEPT through the MSS (shared/: sealJoin, deriveSessionKeys,
 * openSession, as the firmware does, once per session), then DATA cells on the echo channel sealed with
 * node:crypto (session-cells.ts) over a lean MQTT client (mqtt-wire.ts), so the generator is not what is
 * measured. Every answer is opened and compared with what was sent:
 *  - 'mss'  : the MSS's echo, under the session's downlink key;
 *  - 'relay': the baseline relay's copy of the uplink cell, under the uplink key;
 *  - 'solo' : the same against a sink that reflects each publish (mqtt-sink.ts), no broker, no gateway.
 * Each session keeps `window` cells in flight until the phase's time is up, then waits for the last answers.
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { equalBytes, fromHex, toHex } from '../../shared/src/bytes';
import { decodeBeacon, verifyBeaconSignature } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession, sessionCapacity } from '../../shared/src/protocol/cells';
import { BYE_NORMAL, CHANNEL_ECHO, MSG_ACCEPT, MSG_BYE, MSG_DATA, MSG_JOIN } from '../../shared/src/protocol/constants';
import { encodeMessage } from '../../shared/src/protocol/messages';
import { deriveSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { beaconTopic, downTopic, upTopic } from '../../shared/src/protocol/topics';
import { newTmpMac } from '../../shared/src/tmpmac';
import { installNativeCrypto } from '../crypto/native';
import { WireClient, mqttString, publishPacket } from './mqtt-wire';
import { openSessionNative, sealSessionNative } from './session-cells';

export interface WorkerSetup {
  host: string;
  port: number;
  mssId: string;
  identityKeyHex: string;
  /** Sessions this worker holds. */
  sessions: number;
  payloadBytes: number;
}

export type RunMode = 'mss' | 'relay' | 'solo';

export interface RunRequest {
  mode: RunMode;
  ms: number;
  window: number;
  /** solo: the sink's port. */
  sinkPort?: number;
}

export interface RunResult {
  sent: number;
  answered: number;
  bad: number;
  elapsedMs: number;
  /** Event-loop utilization of this worker over the run: well below 1 means it waited for answers. */
  elu: number;
}

/** What the baseline relay needs to know of a session: its uplink tag and its downlink topic. */
export interface Route {
  upTagHex: string;
  down: string;
}

interface Held {
  conn: WireClient;
  keys: SessionKeys;
  down: string;
  seq: number;
}

// The JOIN's X25519 and HKDF natively too: the generator stands for a hundred PDAs' CPUs, not one ESP32's.
installNativeCrypto();

const setup = workerData as WorkerSetup;
const port = parentPort!;
const rnd = (n: number) => new Uint8Array(randomBytes(n));
const clientId = () => 'bench-' + randomBytes(9).toString('hex');
const up = upTopic(setup.mssId);
const upEncoded = mqttString(up);
const held: Held[] = [];
let cellSize = 0;
let plain: Buffer = Buffer.alloc(0);

function firstPublish(c: WireClient, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no ' + what + ' within ' + timeoutMs + ' ms')), timeoutMs);
    c.onPublish = (_topic, payload) => {
      if (payload.length === 0) return;
      clearTimeout(t);
      c.onPublish = () => undefined;
      resolve(Buffer.from(payload));
    };
  });
}

async function join(): Promise<{ routes: Route[]; joinMs: number[] }> {
  const pin = fromHex(setup.identityKeyHex);
  const watcher = await WireClient.connect(setup.host, setup.port, clientId());
  const beaconP = firstPublish(watcher, 10_000, 'beacon');
  await watcher.subscribe(beaconTopic(setup.mssId));
  const beacon = decodeBeacon(new Uint8Array(await beaconP));
  await watcher.end();
  // As the firmware does (§2.2, §2.3): the pinned identity key, and the signature.
  if (!equalBytes(beacon.identityKey, pin)) throw new Error('beacon identity key does not match the pin');
  if (!verifyBeaconSignature(beacon)) throw new Error('beacon signature does not verify');
  cellSize = beacon.cellSize;
  plain = Buffer.from(encodeMessage({ type: MSG_DATA, channel: CHANNEL_ECHO, payload: rnd(setup.payloadBytes) }, sessionCapacity(cellSize)));
  const routes: Route[] = [];
  const joinMs: number[] = [];
  for (let i = 0; i < setup.sessions; i++) {
    const t0 = performance.now();
    const conn = await WireClient.connect(setup.host, setup.port, clientId());
    const kbd = rnd(32);
    const sealed = sealJoin(beacon.boxKey, { type: MSG_JOIN, kbd, tmpMac: newTmpMac(rnd), joinNonce: rnd(16), beaconNonce: beacon.beaconNonce }, cellSize, rnd(32));
    // The JOIN's keys are bound to its ephemeral public key, bytes 2..34 of the cell (§3.1, §6).
    const keys = deriveSessionKeys(kbd, sealed.cell.subarray(2, 34));
    const down = downTopic(setup.mssId, keys.downTag);
    await conn.subscribe(down);
    const answer = firstPublish(conn, 30_000, 'ACCEPT');
    conn.write(publishPacket(upEncoded, sealed.cell));
    const cell = new Uint8Array(await answer);
    const h = decodeCellHeader(cell, cellSize);
    if (h.kind !== 2) throw new Error('JOIN answered with a JOIN-shaped cell');
    const m = openSession(keys.downKey, cell, h.seq, DIR_DOWN);
    if (m.type !== MSG_ACCEPT) throw new Error('JOIN answered with message type ' + m.type);
    joinMs.push(performance.now() - t0);
    held.push({ conn, keys, down, seq: 0 });
    routes.push({ upTagHex: toHex(keys.upTag), down });
  }
  return { routes, joinMs };
}

async function run(r: RunRequest): Promise<RunResult> {
  const solo = r.mode === 'solo';
  const conns = solo ? await Promise.all(held.map(() => WireClient.connect(setup.host, r.sinkPort!, clientId()))) : held.map((h) => h.conn);
  if (solo) await Promise.all(conns.map((c, i) => c.subscribe(held[i].down)));
  let sent = 0;
  let answered = 0;
  let bad = 0;
  let open = held.length;
  let last = 0;
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  const deadline = t0 + r.ms;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  held.forEach((h, i) => {
    const conn = conns[i];
    // The MSS answers under the downlink key; the relay and the sink return the uplink cell itself.
    const key = r.mode === 'mss' ? h.keys.downKey : h.keys.upKey;
    const dir = r.mode === 'mss' ? DIR_DOWN : DIR_UP;
    let inFlight = 0;
    const send = () => {
      inFlight++;
      sent++;
      conn.write(publishPacket(upEncoded, sealSessionNative(h.keys.upKey, h.keys.upTag, h.seq++, DIR_UP, plain)));
    };
    conn.onPublish = (_topic, payload) => {
      const p = openSessionNative(key, payload, dir, cellSize);
      if (p && p.equals(plain)) answered++;
      else bad++;
      inFlight--;
      const now = performance.now();
      if (now < deadline) send();
      else if (inFlight === 0) {
        last = now;
        conn.onPublish = () => undefined;
        if (--open === 0) done();
      }
    };
    for (let k = 0; k < r.window; k++) send();
  });
  // Bounded: an answer that never comes fails the phase instead of hanging the benchmark.
  const grace = new Promise<void>((resolve) => setTimeout(resolve, r.ms + 30_000).unref());
  await Promise.race([finished, grace]);
  const elu = performance.eventLoopUtilization(elu0).utilization;
  for (const c of conns) c.onPublish = () => undefined;
  if (solo) await Promise.all(conns.map((c) => c.end()));
  if (open > 0) throw new Error(r.mode + ': ' + (sent - answered - bad) + ' of ' + sent + ' cells unanswered after ' + (r.ms + 30_000) + ' ms');
  return { sent, answered, bad, elapsedMs: last - t0, elu };
}

async function end(): Promise<Record<string, never>> {
  // Leave politely (BYE, §4), so the MSS ends the sessions rather than timing them out.
  for (const h of held) {
    h.conn.write(publishPacket(upEncoded, sealSession(h.keys.upKey, h.keys.upTag, h.seq++, DIR_UP, { type: MSG_BYE, reason: BYE_NORMAL }, cellSize)));
    await h.conn.end();
  }
  return {};
}

port.on('message', (m: { id: number; cmd: 'join' | 'run' | 'end'; run?: RunRequest }) => {
  const p: Promise<unknown> = m.cmd === 'join' ? join() : m.cmd === 'run' ? run(m.run!) : end();
  p.then(
    (result) => port.postMessage({ id: m.id, result }),
    (e) => port.postMessage({ id: m.id, error: (e as Error).message }),
  );
});
