/**
 * `hood bench mss`: N emulated PDAs (the real firmware bundle in Espruino-profile VMs) hold sessions and
 * exchange DATA echo cells through the MSS; the baseline is a raw MQTT echo of a payload of the same size
 * through the same embedded broker, measured in the same run. Reports both rates, their ratio, and the
 * p50/p99 latency the MSS adds (MSS round trip minus raw round trip). The PDAs and the raw clients run in
 * a worker thread (they stand for other devices); the main thread runs the broker and the gateway.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { sessionCapacity } from '../../shared/src/protocol/cells';
import { maxDataPayload } from '../../shared/src/protocol/messages';
import { toHex } from '../../shared/src/bytes';
import { ensureFirmware } from '../build/firmware';
import { silentLogger } from '../common/log';
import { brokerAddress } from '../demo/emu-session';
import type { WorkerSetup } from './pda-worker';
import { MssGateway } from '../mss/gateway';
import { round, summarize } from './stats';

export interface MssBenchOptions {
  pdas: number;
  cellsPerPda: number;
  onProgress?: (msg: string) => void;
}

type Summary = { n: number; p50: number; p99: number; mean: number };

export interface MssBenchResult {
  pdas: number;
  cellsPerPda: number;
  cellSize: number;
  payloadBytes: number;
  join: Summary;
  /** mainThreadBusy: event-loop utilization of the thread running broker + gateway during the phase;
   *  capacityPerSec = rate / mainThreadBusy, what that thread could carry if it were the bottleneck. */
  mss: { cellsPerSec: number; rttMs: Summary; mainThreadBusy: number; capacityPerSec: number };
  raw: { msgsPerSec: number; rttMs: Summary; mainThreadBusy: number; capacityPerSec: number };
  /** MSS cells/s over raw messages/s, both end to end in the same run. */
  ratio: number;
  /** The same ratio for the broker+gateway thread's capacity (removes the cost of emulating the PDAs). */
  capacityRatio: number;
  addedLatencyMs: { p50: number; p99: number };
  sessionsHeld: number;
}

/** The echo side of the raw baseline: a plain MQTT client on the MSS host that returns each message. */
async function startRawEcho(gw: MssGateway): Promise<MqttClient> {
  const emb = gw.embedded!;
  // It uses the gateway's credentials (so it may subscribe with a wildcard), like the MSS itself.
  const echo = await mqtt.connectAsync(gw.brokerUrl, { username: emb.gatewayUsername, password: emb.gatewayPassword, clientId: 'bench-echo-' + randomBytes(4).toString('hex') });
  echo.on('message', (topic, payload) => {
    echo.publish(`bench/raw/${topic.split('/')[2]}/down`, payload, { qos: 0 });
  });
  await echo.subscribeAsync('bench/raw/+/up', { qos: 0 });
  return echo;
}

type Phase = 'join' | 'mss' | 'raw' | 'end';

function pdaWorker(setup: WorkerSetup, progress: (m: string) => void) {
  const w = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: setup });
  const pending = new Map<string, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  w.on('message', (m: { phase?: string; progress?: string; result?: unknown; error?: string }) => {
    if (m.progress) return progress(m.progress);
    const p = pending.get(m.phase!);
    pending.delete(m.phase!);
    if (m.error) p?.reject(new Error(m.error));
    else p?.resolve(m.result);
  });
  w.on('error', (e) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  });
  return {
    run<T>(phase: Phase): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        pending.set(phase, { resolve, reject });
        w.postMessage({ phase });
      });
    },
    terminate: () => w.terminate(),
  };
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
    // Throughput is measured here, not flood defence (that is `hood bench flood`): per-connection publish
    // limits that would throttle a closed loop of echo cells are lifted, for the MSS and the raw baseline alike.
    brokerLimits: { publishPerSec: 1e6, publishBurst: 1e6, publishStart: 1e6 },
  });
  const addr = brokerAddress(gw.brokerUrl);
  const cellSize = gw.core.config.cellSize;
  const payloadBytes = maxDataPayload(sessionCapacity(cellSize));
  const worker = pdaWorker(
    {
      bundlePath: outFile,
      brokerHost: addr.host,
      brokerPort: addr.port,
      mssId: gw.mssId,
      identityKeyHex: toHex(gw.core.identityKey),
      pdas: o.pdas,
      cells: o.cellsPerPda,
      payloadHex: randomBytes(payloadBytes).toString('hex'),
      rawBytes: cellSize,
    },
    progress,
  );
  let echo: MqttClient | null = null;
  try {
    const { joinMs } = await worker.run<{ joinMs: number[] }>('join');
    const sessionsHeld = gw.core.sessions.size;
    progress(`MSS echo: ${o.pdas} PDAs x ${o.cellsPerPda} cells of ${cellSize} bytes`);
    let elu = performance.eventLoopUtilization();
    const mss = await worker.run<{ elapsedMs: number; rtts: number[] }>('mss');
    const mssBusy = performance.eventLoopUtilization(elu).utilization;
    progress(`raw MQTT echo: ${o.pdas} clients x ${o.cellsPerPda} messages of ${cellSize} bytes`);
    echo = await startRawEcho(gw);
    elu = performance.eventLoopUtilization();
    const raw = await worker.run<{ elapsedMs: number; rtts: number[] }>('raw');
    const rawBusy = performance.eventLoopUtilization(elu).utilization;
    await worker.run('end');
    const mssRate = (o.pdas * o.cellsPerPda) / (mss.elapsedMs / 1000);
    const rawRate = (o.pdas * o.cellsPerPda) / (raw.elapsedMs / 1000);
    const m = summarize(mss.rtts);
    const r = summarize(raw.rtts);
    return {
      pdas: o.pdas,
      cellsPerPda: o.cellsPerPda,
      cellSize,
      payloadBytes,
      join: summarize(joinMs),
      mss: { cellsPerSec: round(mssRate, 1), rttMs: m, mainThreadBusy: round(mssBusy, 3), capacityPerSec: round(mssRate / mssBusy, 1) },
      raw: { msgsPerSec: round(rawRate, 1), rttMs: r, mainThreadBusy: round(rawBusy, 3), capacityPerSec: round(rawRate / rawBusy, 1) },
      ratio: round(mssRate / rawRate, 4),
      capacityRatio: round(mssRate / mssBusy / (rawRate / rawBusy), 4),
      addedLatencyMs: { p50: round(m.p50 - r.p50), p99: round(m.p99 - r.p99) },
      sessionsHeld,
    };
  } finally {
    await echo?.endAsync();
    await worker.terminate();
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
