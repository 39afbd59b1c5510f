/** `hood model`: Spin checks the Promela model of the protocol, its mutants, and MssCore's conformance (docs/model.md). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { formatReport, runModel } from '../../model/run';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

function parseSize(v: string): 'ci' | 'full' {
  if (v !== 'ci' && v !== 'full') throw new InvalidArgumentError('expected ci or full');
  return v;
}

export function registerModelCommand(program: Command): void {
  jsonOption(program.command('model'))
    .description('model-check the protocol and the hand-off with session tickets with Spin (safety, liveness, mutants) and replay random model traces against the MSS core')
    .option('--seed <n>', 'seed of the randomised mutant searches and of the conformance traces', parseIntOption, 1)
    .option('--traces <n>', 'conformance traces (random simulations of the model)', parseIntOption, 200)
    .option('--size <size>', 'ci (bounded to fit a test run) or full (2 GB per search)', parseSize, 'ci')
    .action(async (o: JsonFlag & { seed: number; traces: number; size: 'ci' | 'full' }) => {
      const r = await runModel({ seed: o.seed, traces: o.traces, size: o.size, onProgress: progressLines(o, 'model') });
      printResult(o, r, formatReport);
      const done = r.errors === 0 && r.mutantsCaught === r.mutants && r.conformanceMismatches === 0;
      if (!done) process.exitCode = 1;
    });
}
