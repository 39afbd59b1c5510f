/**
 * `hood bench flood`: is the MSS bounded under flood (docs/protocol.md §7.6)? N connections send junk and
 * valid JOINs sealed to the MSS's real box key as fast as the broker takes them, for `seconds`, while a
 * legitimate PDA joins once a second. Reports how long the legitimate joins took (target p99 < 2 s), how
 * much the process grew (target < 200 MiB), what was dropped where and why, and how much the flooders sent.
 * The flooders and the legitimate PDA each run in a worker thread; the main thread runs only the broker and
 * the gateway, like an MSS host. floodSendersHeadroom = 1 − the flood thread's event-loop utilization: well
 * above 0 means the flooders waited on the broker's sockets, i.e. they were not the bottleneck.
 */
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { bundleWorker } from './worker-bundle';

/** The worker's JavaScript, bundled once per process (worker-bundle.ts: no loader hooks in workers). */
let script = '';
function workerScript(): string {
  if (!script) script = bundleWorker(fileURLToPath(new URL('./flood-worker-entry.ts', import.meta.url)));
  return script;
}
import { toHex } from '../../shared/src/bytes';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { MssGateway } from '../mss/gateway';
import type { FloodResult, FloodWorkerSetup, LegitResult } from './flood-worker';
import { round, summarize } from './stats';

export interface FloodBenchOptions {
  seconds: number;
  connections: number;
  onProgress?: (msg: string) => void;
}

export interface FloodBenchResult {
  seconds: number;
  connections: number;
  legitJoinMs: { p50: number; p99: number; max: number };
  /** p99 of each part of a legitimate join: connect (TCP + CONNACK), beacon, JOIN → ACCEPT. */
  legitPhasesP99Ms: { connect: number; beacon: number; accept: number };
  legitJoins: number;
  legitFailed: number;
  legitFailures: Record<string, number>;
  rssGrowthMiB: number;
  rssBaselineMiB: number;
  /** Drops and refusals by where and why: broker.*, queue.*, mss.* (core rejections), mss.refused.* */
  rejected: Record<string, number>;
  floodCellsSent: number;
  floodCellsByKind: Record<string, number>;
  floodReconnects: number;
  /** Cells the flooders wrote over publishes the broker parsed: above 1, the broker, not the flooders, set the pace. */
  floodSendersHeadroom: number;
  floodThread: { busy: number; nice: number | null };
  /** The machine's 1-minute load average before and after (the MSS shares its CPUs with the flooders and the PDA). */
  loadAverage: { before: number; after: number };
  mss: {
    joinsReleasedByBroker: number;
    joinsOpened: number;
    joinQueueMax: number;
    sessionsAdmitted: number;
    sessionsAtEnd: number;
    evictedPending: number;
    cellsUp: number;
    mainThreadBusy: number;
    /** Event-loop delay of the broker + gateway thread: how long a ready cell waited for it. */
    loopDelayMs: { p50: number; p99: number; max: number };
  };
  targets: { legitJoinP99Ms: number; rssGrowthMiB: number; met: boolean };
}

const MiB = 1024 * 1024;
const TARGET_P99_MS = 2000;
const TARGET_RSS_MIB = 200;

function startWorker<T>(setup: FloodWorkerSetup) {
  const w = new Worker(workerScript(), { workerData: setup });
  let onReady: () => void = () => undefined;
  let onFail: (e: Error) => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  const result = new Promise<T>((resolve, reject) => {
    w.on('message', (m: { ready?: boolean; result?: T; error?: string }) => {
      if (m.ready) onReady();
      else if (m.error) {
        onFail(new Error(setup.role + ' worker: ' + m.error));
        reject(new Error(setup.role + ' worker: ' + m.error));
      } else resolve(m.result as T);
    });
    w.on('error', (e) => {
      onFail(e);
      reject(e);
    });
  });
  result.catch(() => undefined);
  return { ready, result, send: (cmd: string) => w.postMessage({ cmd }), terminate: () => w.terminate() };
}

function prefixed(into: Record<string, number>, prefix: string, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) if (v) into[prefix + k] = (into[prefix + k] || 0) + v;
}

export async function benchFlood(o: FloodBenchOptions): Promise<FloodBenchResult> {
  if (!(o.seconds >= 1) || !(o.connections >= 1)) throw new Error('--seconds and --connections must be at least 1');
  const progress = o.onProgress || (() => undefined);
  // The gateway's keys: removed in the finally below, or at exit / on Ctrl-C (host/common/temp-dir.ts).
  const dataDir = makeTempDir('hood-bench-flood-');
  const gw = await MssGateway.start({ dataDir, log: silentLogger(), listen: { host: '127.0.0.1', port: 0 } });
  const emb = gw.embedded!;
  const base = { host: '127.0.0.1', port: emb.port, mssId: gw.mssId };
  const flood = startWorker<FloodResult>({ ...base, role: 'flood', connections: o.connections });
  const legit = startWorker<LegitResult>({ ...base, role: 'legit', identityKeyHex: toHex(gw.core.identityKey), intervalMs: 1000, timeoutMs: 10_000 });
  try {
    progress(`preparing ${o.connections} flood connections and their JOINs`);
    // Bounded: a worker that never comes up fails the bench with a reason instead of hanging it.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([flood.ready, legit.ready]),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the load-generating workers did not start within 60 s')), 60_000);
      }),
    ]).finally(() => clearTimeout(timer));
    const acceptedBefore = gw.core.stats.accepted;
    const publishesBefore = emb.stats.publishesIn;
    const load0 = loadavg()[0];
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const rss0 = process.memoryUsage().rss;
    let rssPeak = rss0;
    const t0 = performance.now();
    const elu0 = performance.eventLoopUtilization();
    flood.send('start');
    legit.send('start');
    progress(`flooding for ${o.seconds} s`);
    await new Promise<void>((resolve) => {
      let last = 0;
      const timer = setInterval(() => {
        rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
        const s = Math.floor((performance.now() - t0) / 1000);
        if (s >= o.seconds) {
          clearInterval(timer);
          return resolve();
        }
        if (s >= last + 5) {
          last = s;
          const dropped = Object.values(emb.stats.rejected).reduce((a, b) => a + b, 0);
          progress(`${s}s: cells up ${gw.core.stats.cellsUp}, broker drops ${dropped}, JOINs opened ${gw.admission.joins.stats.processed}, sessions ${gw.core.sessions.size}`);
        }
      }, 250);
    });
    const busy = performance.eventLoopUtilization(elu0).utilization;
    delay.disable();
    flood.send('stop');
    legit.send('stop');
    const [f, l] = await Promise.all([flood.result, legit.result]);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    const rejected: Record<string, number> = {};
    prefixed(rejected, 'broker.', emb.stats.rejected);
    prefixed(rejected, 'broker.disconnected.', emb.stats.disconnected);
    prefixed(rejected, 'queue.', gw.admission.joins.stats.dropped);
    prefixed(rejected, 'mss.', gw.core.stats.rejected);
    prefixed(rejected, 'mss.refused.', gw.core.stats.refused);
    if (gw.admission.pending.stats.evicted) rejected['mss.evicted_pending'] = gw.admission.pending.stats.evicted;
    const j = summarize(l.joinMs);
    const failed = Object.values(l.failed).reduce((a, b) => a + b, 0);
    const growth = round((rssPeak - rss0) / MiB, 1);
    const p99 = l.joinMs.length ? j.p99 : NaN;
    const floodCellsSent = Object.values(f.cellsSent).reduce((a, b) => a + b, 0);
    const taken = Math.max(1, emb.stats.publishesIn - publishesBefore);
    return {
      seconds: o.seconds,
      connections: o.connections,
      legitJoinMs: { p50: j.p50, p99, max: round(Math.max(0, ...l.joinMs)) },
      legitPhasesP99Ms: { connect: summarize(l.phasesMs.connect).p99, beacon: summarize(l.phasesMs.beacon).p99, accept: summarize(l.phasesMs.accept).p99 },
      legitJoins: l.joinMs.length,
      legitFailed: failed,
      legitFailures: l.failed,
      rssGrowthMiB: growth,
      rssBaselineMiB: round(rss0 / MiB, 1),
      rejected,
      floodCellsSent,
      floodCellsByKind: f.cellsSent,
      floodReconnects: f.reconnects,
      floodSendersHeadroom: round(floodCellsSent / taken, 2),
      floodThread: { busy: round(f.busy, 3), nice: f.nice },
      loadAverage: { before: round(load0, 2), after: round(loadavg()[0], 2) },
      mss: {
        joinsReleasedByBroker: emb.stats.joinsReleased,
        joinsOpened: gw.admission.joins.stats.processed,
        joinQueueMax: gw.admission.joins.stats.maxLength,
        sessionsAdmitted: gw.core.stats.accepted - acceptedBefore,
        sessionsAtEnd: gw.core.sessions.size,
        evictedPending: gw.admission.pending.stats.evicted,
        cellsUp: gw.core.stats.cellsUp,
        mainThreadBusy: round(busy, 3),
        loopDelayMs: { p50: round(delay.percentile(50) / 1e6, 1), p99: round(delay.percentile(99) / 1e6, 1), max: round(delay.max / 1e6, 1) },
      },
      targets: { legitJoinP99Ms: TARGET_P99_MS, rssGrowthMiB: TARGET_RSS_MIB, met: p99 < TARGET_P99_MS && growth < TARGET_RSS_MIB && failed === 0 },
    };
  } finally {
    await Promise.all([flood.terminate(), legit.terminate()]);
    await gw.stop();
    removeTempDir(dataDir);
  }
}
