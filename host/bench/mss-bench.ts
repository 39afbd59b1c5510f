/**
 * `hood bench mss`: N emulated PDAs (the real firmware bundle in Espruino-profile VMs) hold sessions and
 * exchange DATA echo cells through the MSS; the baseline is a raw MQTT echo of a payload of the same size
 * through the same embedded broker, measured in the same run. Reports both rates, their ratio, and the
 * p50/p99 latency the MSS adds (MSS round trip minus raw round trip).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { sessionCapacity } from '../../shared/src/protocol/cells';
import { maxDataPayload } from '../../shared/src/protocol/messages';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { ensureFirmware } from '../build/firmware';
import { silentLogger } from '../common/log';
import { brokerAddress, endSession, joinSession, pdaFor } from '../demo/emu-session';
import { MssGateway } from '../mss/gateway';
import { round, summarize } from './stats';

export interface MssBenchOptions {
  pdas: number;
  cellsPerPda: number;
  onProgress?: (msg: string) => void;
}

export interface MssBenchResult {
  pdas: number;
  cellsPerPda: number;
  cellSize: number;
  payloadBytes: number;
  join: { n: number; p50: number; p99: number; mean: number };
  mss: { cellsPerSec: number; rttMs: { n: number; p50: number; p99: number; mean: number } };
  raw: { msgsPerSec: number; rttMs: { n: number; p50: number; p99: number; mean: number } };
  ratio: number;
  addedLatencyMs: { p50: number; p99: number };
  sessionsHeld: number;
}

/** Closed loop: each of `workers` sends its next message when the previous echo is back. */
async function closedLoop(workers: number, perWorker: number, once: (w: number) => Promise<void>): Promise<{ elapsedMs: number; rtts: number[] }> {
  const rtts: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let i = 0; i < perWorker; i++) {
        const t = performance.now();
        await once(w);
        rtts.push(performance.now() - t);
      }
    }),
  );
  return { elapsedMs: performance.now() - t0, rtts };
}

async function rawEchoBaseline(gw: MssGateway, n: number, perWorker: number, size: number) {
  const url = gw.brokerUrl;
  const emb = gw.embedded!;
  // The echo side uses the gateway's credentials (so it may use a wildcard), like the MSS does.
  const echo = await mqtt.connectAsync(url, { username: emb.gatewayUsername, password: emb.gatewayPassword, clientId: 'bench-echo-' + randomBytes(4).toString('hex') });
  echo.on('message', (topic, payload) => {
    const w = topic.split('/')[2];
    echo.publish(`bench/raw/${w}/down`, payload, { qos: 0 });
  });
  await echo.subscribeAsync('bench/raw/+/up', { qos: 0 });
  const clients: MqttClient[] = [];
  const waiting: ((b: Buffer) => void)[] = [];
  for (let w = 0; w < n; w++) {
    const c = await mqtt.connectAsync(url, { clientId: 'bench-raw-' + w + '-' + randomBytes(4).toString('hex') });
    c.on('message', (_t, p) => waiting[w]?.(p));
    await c.subscribeAsync(`bench/raw/${w}/down`, { qos: 0 });
    clients.push(c);
  }
  const payload = randomBytes(size);
  const r = await closedLoop(n, perWorker, (w) => {
    return new Promise<void>((resolve) => {
      waiting[w] = () => resolve();
      clients[w].publish(`bench/raw/${w}/up`, payload, { qos: 0 });
    });
  });
  await Promise.all(clients.map((c) => c.endAsync()));
  await echo.endAsync();
  return r;
}

export async function benchMss(o: MssBenchOptions): Promise<MssBenchResult> {
  const progress = o.onProgress || (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'hood-bench-'));
  const { outFile } = await ensureFirmware();
  const gw = await MssGateway.start({
    dataDir,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    config: { maxSessions: o.pdas + 10, idleTimeoutSec: 600 },
  });
  const pdas: EmuPda[] = [];
  try {
    const cellSize = gw.core.config.cellSize;
    const payloadBytes = maxDataPayload(sessionCapacity(cellSize));
    const joins: number[] = [];
    for (let i = 0; i < o.pdas; i++) {
      const pda = pdaFor(gw, outFile);
      pdas.push(pda);
      const e = await joinSession(pda, 60_000);
      joins.push(e.joinMs);
      if ((i + 1) % 25 === 0 || i + 1 === o.pdas) progress(`joined ${i + 1}/${o.pdas}`);
    }
    const sessionsHeld = gw.core.sessions.size;
    const hex = randomBytes(payloadBytes).toString('hex');
    progress(`MSS echo: ${o.pdas} PDAs x ${o.cellsPerPda} cells of ${cellSize} bytes`);
    const mss = await closedLoop(o.pdas, o.cellsPerPda, async (w) => {
      const pda = pdas[w];
      const since = pda.events.length;
      pda.cmd({ cmd: 'send', channel: 0, payload: hex });
      await pda.waitFor((e) => e.ev === 'data' && e.payload === hex, 30_000, since);
      pda.events.length = 0; // keep memory flat over long runs
    });
    progress(`raw MQTT echo: ${o.pdas} clients x ${o.cellsPerPda} messages of ${cellSize} bytes`);
    const raw = await rawEchoBaseline(gw, o.pdas, o.cellsPerPda, cellSize);
    for (const pda of pdas) await endSession(pda);
    const mssRate = (o.pdas * o.cellsPerPda) / (mss.elapsedMs / 1000);
    const rawRate = (o.pdas * o.cellsPerPda) / (raw.elapsedMs / 1000);
    const m = summarize(mss.rtts);
    const r = summarize(raw.rtts);
    return {
      pdas: o.pdas,
      cellsPerPda: o.cellsPerPda,
      cellSize,
      payloadBytes,
      join: summarize(joins),
      mss: { cellsPerSec: round(mssRate, 1), rttMs: m },
      raw: { msgsPerSec: round(rawRate, 1), rttMs: r },
      ratio: round(mssRate / rawRate, 4),
      addedLatencyMs: { p50: round(m.p50 - r.p50), p99: round(m.p99 - r.p99) },
      sessionsHeld,
    };
  } finally {
    for (const p of pdas) p.powerOff();
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
