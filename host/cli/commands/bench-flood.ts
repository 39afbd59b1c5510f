/** `hood bench flood`: a legitimate PDA joins once a second while N connections flood the MSS. */
import type { Command } from 'commander';
import { benchFlood } from '../../bench/flood-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

export function registerFloodBenchCommand(bench: Command): void {
  jsonOption(bench.command('flood'))
    .description('N connections flood the MSS with junk and valid JOINs while a legitimate PDA joins every second')
    .option('--seconds <n>', 'how long to flood', parseIntOption, 30)
    .option('--connections <n>', 'flooding connections', parseIntOption, 50)
    .action(async (o: JsonFlag & { seconds: number; connections: number }) => {
      if (o.seconds < 1 || o.connections < 1) throw new Error('--seconds and --connections must be at least 1');
      const r = await benchFlood({ seconds: o.seconds, connections: o.connections, onProgress: progressLines(o, 'bench flood') });
      printResult(o, r);
    });
}
