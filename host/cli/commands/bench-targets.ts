/** `hood bench targets`: the four performance benches in one sitting, every target judged (host/bench/targets.ts). */
import type { Command } from 'commander';
import { benchTargets, formatTargets, type BenchName } from '../../bench/targets';
import { jsonOption, printResult, type JsonFlag } from '../output';

const NAMES: BenchName[] = ['mss', 'sessions', 'bank', 'firmware'];

function parseOnly(v: string): BenchName[] {
  const names = v.split(',').map((s) => s.trim());
  for (const n of names) if (!NAMES.includes(n as BenchName)) throw new Error('--only takes a comma list of ' + NAMES.join(', ') + '; not ' + JSON.stringify(n));
  return names as BenchName[];
}

export function registerTargetsBenchCommand(bench: Command): void {
  jsonOption(bench.command('targets'))
    .description('run the mss, sessions, bank and firmware benches one after the other, each in its own process, and judge every performance target in that one run')
    .option('--espruino <path>', 'the Espruino interpreter for Linux, for the firmware targets (without it they are reported as not measured, so not met)')
    .option('--only <names>', 'a comma list of the benches to run (' + NAMES.join(',') + '); the others count as not measured', parseOnly)
    .action(async (o: JsonFlag & { espruino?: string; only?: BenchName[] }) => {
      // The benches take minutes together: progress goes to stderr even with --json (stdout stays one JSON line).
      const r = await benchTargets({ espruino: o.espruino, only: o.only, onProgress: (m) => process.stderr.write('bench targets: ' + m + '\n') });
      printResult(o, r, formatTargets);
    });
}
