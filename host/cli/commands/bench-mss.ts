/** `hood bench mss`: MSS cell throughput and added latency against raw MQTT in the same run. */
import type { Command } from 'commander';
import { benchMss } from '../../bench/mss-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

export function registerMssBenchCommand(bench: Command): void {
  jsonOption(bench.command('mss'))
    .description('N emulated PDAs exchange DATA cells through the MSS vs. raw MQTT publish of the same size')
    .option('--pdas <n>', 'number of emulated PDAs holding sessions', parseIntOption, 100)
    .option('--cells <n>', 'echo cells per PDA', parseIntOption, 20)
    .action(async (o: JsonFlag & { pdas: number; cells: number }) => {
      if (o.pdas < 1 || o.cells < 1) throw new Error('--pdas and --cells must be at least 1');
      const r = await benchMss({ pdas: o.pdas, cellsPerPda: o.cells, onProgress: (m) => process.stderr.write(`bench mss: ${m}\n`) });
      printResult(o, r);
    });
}
