/** `hood bench mss`: MSS cell throughput against a relay of the same cells through the same broker, and the gateway's own time per cell. */
import type { Command } from 'commander';
import { benchMss } from '../../bench/mss-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

type Opts = JsonFlag & { pdas: number; workers: number; seconds: number; reps: number; warmup: number; window: number };

export function registerMssBenchCommand(bench: Command): void {
  jsonOption(bench.command('mss'))
    .description('sessions exchange echo cells through the MSS vs. a bare relay of the same cells through the same broker')
    .option('--pdas <n>', 'sessions held (each joins through the MSS, on its own connection)', parseIntOption, 100)
    .option('--workers <n>', 'generator worker threads', parseIntOption, 1)
    .option('--seconds <n>', 'measured seconds per phase', parseIntOption, 5)
    .option('--reps <n>', 'relay/MSS phase pairs, alternated', parseIntOption, 2)
    .option('--warmup <n>', 'unmeasured seconds before the first phase of each kind', parseIntOption, 2)
    .option('--window <n>', 'cells in flight per session', parseIntOption, 1)
    .action(async (o: Opts) => {
      if (o.pdas < 1 || o.workers < 1 || o.seconds < 1 || o.reps < 1 || o.window < 1 || o.warmup < 0) {
        throw new Error('--pdas, --workers, --seconds, --reps and --window must be at least 1, --warmup at least 0');
      }
      if (o.workers > o.pdas) throw new Error('--workers must not exceed --pdas');
      const r = await benchMss({
        pdas: o.pdas,
        workers: o.workers,
        seconds: o.seconds,
        reps: o.reps,
        warmupSec: o.warmup,
        window: o.window,
        onProgress: progressLines(o, 'bench mss'),
      });
      printResult(o, r);
    });
}
