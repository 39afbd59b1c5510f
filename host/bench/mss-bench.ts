/**
 * `hood bench mss`: what the MSS costs per DATA cell, against the same broker relaying the same cells.
 *
 * The main thread runs what an MSS host runs: the embedded broker and the gateway. `workers` worker threads
 * stand for the PDAs (pda-worker.ts): each session joins once through the MSS (real JOIN/ACCEPT), then sends
 * echo cells sealed natively, `window` in flight per session. Phases, after an unmeasured warm-up of each:
 *  - relay: the gateway unsubscribes from the uplink topic and a trivial relay client (relay.ts) republishes
 *    each cell unchanged on its session's downlink topic: same broker, topics, cells, sizes and generator;
 *  - mss:   the gateway handles the cells (open, replay window, echo service, seal, publish);
 * alternated `reps` times and reported per phase and combined. mssAddedMs is a histogram taken inside the
 * gateway (its onCellTiming hook): cell handed to the message handler → answer handed to the MQTT client.
 * The generator's own ceiling is measured against a sink that reflects each publish (mqtt-sink.ts):
 * soloRatePerSec, and each worker's event-loop utilization in every phase.
 */
import { loadavg } from 'node:os';
import { createHistogram, performance, type RecordableHistogram } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { bundleWorker } from './worker-bundle';

/** The worker's JavaScript, bundled once per process (worker-bundle.ts: no loader hooks in workers). */
let script = '';
function workerScript(): string {
  if (!script) script = bundleWorker(fileURLToPath(new URL('./pda-worker-entry.ts', import.meta.url)));
  return script;
}
import { toHex } from '../../shared/src/bytes';
import { sessionCapacity } from '../../shared/src/protocol/cells';
import { maxDataPayload } from '../../shared/src/protocol/messages';
import { upTopic } from '../../shared/src/protocol/topics';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { installNativeCrypto } from '../crypto/native';
import { brokerAddress } from '../demo/emu-session';
import { MssGateway } from '../mss/gateway';
import { startMqttSink } from './mqtt-sink';
import type { Route, RunRequest, RunResult, WorkerSetup } from './pda-worker';
import { startRelay } from './relay';
import { round, summarize } from './stats';

export interface MssBenchOptions {
  pdas: number;
  workers: number;
  /** Measured seconds per phase. */
  seconds: number;
  reps: number;
  warmupSec: number;
  /** Cells in flight per session. */
  window: number;
  onProgress?: (msg: string) => void;
}

export interface LatencyMs {
  p50: number;
  p99: number;
  max: number;
  n: number;
}

export interface PhaseResult {
  kind: 'relay' | 'mss';
  rep: number;
  cells: number;
  seconds: number;
  cellsPerSec: number;
  mainThreadElu: number;
  generatorElu: number[];
  /** mss phases: the gateway's own time per cell in this phase. */
  mssAddedMs?: LatencyMs;
}

export interface MssBenchResult {
  pdas: number;
  cellSize: number;
  payloadBytes: number;
  window: number;
  seconds: number;
  reps: number;
  warmupSec: number;
  /** Answered cells per second over all measured phases of each kind. */
  cellsPerSec: { mss: number; relay: number };
  /** MSS over relay: the share of the bare broker path's rate the MSS keeps. */
  ratio: number;
  /** Inside the gateway, per cell: message handler entry → answer handed to the MQTT client (all mss phases). */
  mssAddedMs: LatencyMs;
  /** Event-loop utilization of the broker + gateway thread, mean over the measured phases of each kind. */
  mainThreadElu: { mss: number; relay: number };
  generator: {
    workers: number;
    /** Per worker, mean over the measured phases: well below 1 means it waited for answers, not the reverse. */
    elu: number[];
    /** What the generator alone reaches against a reflecting sink (no broker, no gateway), and its workers' utilization then. */
    soloRatePerSec: number;
    soloElu: number[];
  };
  join: { n: number; p50: number; p99: number; mean: number };
  sessionsHeld: number;
  phases: PhaseResult[];
  /** The machine's 1-minute load average before and after (the benchmark shares the CPUs it measures). */
  loadAverage: { before: number; after: number };
  targets: { ratio: number; mssAddedP99Ms: number; met: boolean };
}

export const MSS_TARGET_RATIO = 0.5;
export const MSS_TARGET_P99_MS = 5;
const NS_PER_MS = 1e6;

function generatorWorker(setup: WorkerSetup) {
  const w = new Worker(workerScript(), { workerData: setup });
  const pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.error) p?.reject(new Error('generator: ' + m.error));
    else p?.resolve(m.result);
  });
  w.on('error', failAll);
  w.on('exit', (code) => failAll(new Error('generator worker exited with code ' + code)));
  const call = <T>(cmd: 'join' | 'run' | 'end', run?: RunRequest) =>
    new Promise<T>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.postMessage({ id, cmd, run });
    });
  return { call, terminate: () => w.terminate() };
}

function latency(h: RecordableHistogram): LatencyMs {
  if (h.count === 0) return { p50: 0, p99: 0, max: 0, n: 0 };
  return { p50: round(h.percentile(50) / NS_PER_MS, 4), p99: round(h.percentile(99) / NS_PER_MS, 4), max: round(h.max / NS_PER_MS, 4), n: h.count };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);

/** Sessions per worker: as even as possible. */
function split(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

export async function benchMss(o: MssBenchOptions): Promise<MssBenchResult> {
  if (o.workers < 1 || o.workers > o.pdas) throw new Error('--workers must be between 1 and --pdas');
  const progress = o.onProgress || (() => undefined);
  // The MSS host runs its crypto natively (host/crypto/native.ts); the PDAs' is in the workers.
  installNativeCrypto();
  const loadBefore = loadavg()[0];
  // The gateway's keys: removed in the finally below, or at exit / on Ctrl-C (host/common/temp-dir.ts).
  const dataDir = makeTempDir('hood-bench-');
  const phaseHist = createHistogram();
  let timing = false;
  const gw = await MssGateway.start({
    dataDir,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    config: { maxSessions: o.pdas + 10, idleTimeoutSec: 3600 },
    // Throughput is measured here, not flood defence (that is `hood bench flood`): per-connection publish and
    // JOIN limits that would throttle the generator are lifted, for the MSS and the relay alike.
    brokerLimits: { publishPerSec: 1e9, publishBurst: 1e9, publishStart: 1e9, joinReleasePerSec: 1000 },
    onCellTiming: (ns) => {
      if (timing && ns > 0n) phaseHist.record(ns);
    },
  });
  const addr = brokerAddress(gw.brokerUrl);
  const cellSize = gw.core.config.cellSize;
  const payloadBytes = maxDataPayload(sessionCapacity(cellSize));
  const up = upTopic(gw.mssId);
  const workers = split(o.pdas, o.workers).map((sessions) =>
    generatorWorker({ host: addr.host, port: addr.port, mssId: gw.mssId, identityKeyHex: toHex(gw.core.identityKey), sessions, payloadBytes }),
  );
  const sink = await startMqttSink(addr.host);
  let relay: Awaited<ReturnType<typeof startRelay>> | null = null;
  try {
    progress(`joining ${o.pdas} sessions over ${o.workers} generator worker(s)`);
    const joined = await Promise.all(workers.map((w) => w.call<{ routes: Route[]; joinMs: number[] }>('join')));
    const sessionsHeld = gw.core.sessions.size;
    if (sessionsHeld !== o.pdas) throw new Error(`${sessionsHeld} sessions admitted of ${o.pdas}`);
    const emb = gw.embedded!;
    relay = await startRelay(gw.brokerUrl, emb.gatewayUsername, emb.gatewayPassword, gw.mssId, joined.flatMap((j) => j.routes));

    const runAll = async (mode: RunRequest['mode'], sec: number) => {
      const req: RunRequest = { mode, ms: sec * 1000, window: o.window, sinkPort: sink.port };
      const elu0 = performance.eventLoopUtilization();
      const rs = await Promise.all(workers.map((w) => w.call<RunResult>('run', req)));
      const mainElu = performance.eventLoopUtilization(elu0).utilization;
      const answered = rs.reduce((a, r) => a + r.answered, 0);
      const bad = rs.reduce((a, r) => a + r.bad, 0);
      const sent = rs.reduce((a, r) => a + r.sent, 0);
      if (bad > 0 || answered !== sent) throw new Error(`${mode}: ${sent} cells sent, ${answered} answered correctly, ${bad} wrong`);
      const elapsed = Math.max(...rs.map((r) => r.elapsedMs)) / 1000;
      return { cells: answered, seconds: elapsed, rate: answered / elapsed, mainElu, elu: rs.map((r) => round(r.elu, 3)) };
    };
    /** Route the uplink topic to the MSS or to the relay (never both: each cell gets exactly one answer). */
    const routeTo = async (kind: 'mss' | 'relay') => {
      if (kind === 'mss') {
        await relay!.pause();
        await gw.client.subscribeAsync(up, { qos: 0 });
      } else {
        await gw.client.unsubscribeAsync(up);
        await relay!.start();
      }
    };

    progress(`generator alone against a sink: ${o.warmupSec} s warm-up, ${o.seconds} s measured`);
    if (o.warmupSec > 0) await runAll('solo', o.warmupSec);
    const solo = await runAll('solo', o.seconds);

    progress(`warm-up: ${o.warmupSec} s relay, ${o.warmupSec} s MSS`);
    if (o.warmupSec > 0) {
      await routeTo('relay');
      await runAll('relay', o.warmupSec);
      await routeTo('mss');
      await runAll('mss', o.warmupSec);
    }
    const phases: PhaseResult[] = [];
    const all = createHistogram();
    for (let rep = 1; rep <= o.reps; rep++) {
      for (const kind of ['relay', 'mss'] as const) {
        progress(`rep ${rep}/${o.reps}: ${kind}, ${o.pdas} sessions x ${o.window} in flight, ${o.seconds} s`);
        await routeTo(kind);
        phaseHist.reset();
        timing = kind === 'mss';
        const r = await runAll(kind, o.seconds);
        timing = false;
        const p: PhaseResult = { kind, rep, cells: r.cells, seconds: round(r.seconds, 3), cellsPerSec: round(r.rate, 1), mainThreadElu: round(r.mainElu, 3), generatorElu: r.elu };
        if (kind === 'mss') {
          p.mssAddedMs = latency(phaseHist);
          // Every answer of this phase was timed once: a cell the hook missed or counted twice fails here.
          if (phaseHist.count !== r.cells) throw new Error(`gateway timed ${phaseHist.count} cells of ${r.cells} answered`);
          all.add(phaseHist);
        }
        phases.push(p);
      }
    }
    await routeTo('mss');
    await Promise.all(workers.map((w) => w.call('end')));

    const of = (kind: 'mss' | 'relay') => phases.filter((p) => p.kind === kind);
    const rate = (kind: 'mss' | 'relay') => {
      const ps = of(kind);
      return ps.reduce((a, p) => a + p.cells, 0) / ps.reduce((a, p) => a + p.seconds, 0);
    };
    const mssRate = rate('mss');
    const relayRate = rate('relay');
    const added = latency(all);
    const ratio = round(mssRate / relayRate, 4);
    const joinMs = joined.flatMap((j) => j.joinMs);
    return {
      pdas: o.pdas,
      cellSize,
      payloadBytes,
      window: o.window,
      seconds: o.seconds,
      reps: o.reps,
      warmupSec: o.warmupSec,
      cellsPerSec: { mss: round(mssRate, 1), relay: round(relayRate, 1) },
      ratio,
      mssAddedMs: added,
      mainThreadElu: { mss: round(mean(of('mss').map((p) => p.mainThreadElu)), 3), relay: round(mean(of('relay').map((p) => p.mainThreadElu)), 3) },
      generator: {
        workers: o.workers,
        elu: workers.map((_, i) => round(mean(phases.map((p) => p.generatorElu[i])), 3)),
        soloRatePerSec: round(solo.rate, 1),
        soloElu: solo.elu,
      },
      join: summarize(joinMs),
      sessionsHeld,
      phases,
      loadAverage: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) },
      targets: { ratio: MSS_TARGET_RATIO, mssAddedP99Ms: MSS_TARGET_P99_MS, met: ratio >= MSS_TARGET_RATIO && added.p99 < MSS_TARGET_P99_MS },
    };
  } finally {
    await relay?.close().catch(() => undefined);
    await Promise.all(workers.map((w) => w.terminate()));
    await sink.close();
    await gw.stop();
    removeTempDir(dataDir);
  }
}
