/** `hood bench sessions`: memory per admitted session and JOIN admission rate of the MSS core. */
import type { Command } from 'commander';
import { MAX_SESSIONS_BENCH_N, benchSessions } from '../../bench/sessions-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

export function registerSessionsBenchCommand(bench: Command): void {
  jsonOption(bench.command('sessions'))
    .description('n JOINs into one MSS core that keeps every session: bytes per session (heap after GC) and JOINs admitted per second')
    .option('--n <n>', 'sessions to admit and hold (1..' + MAX_SESSIONS_BENCH_N + ')', parseIntOption, 10_000)
    .action(async (o: JsonFlag & { n: number }) => {
      if (o.n < 1 || o.n > MAX_SESSIONS_BENCH_N) throw new Error('--n must be in 1..' + MAX_SESSIONS_BENCH_N);
      progressLines(o, 'bench sessions')?.(`admitting ${o.n} sessions, then measuring the heap`);
      printResult(o, await benchSessions({ n: o.n }));
    });
}
