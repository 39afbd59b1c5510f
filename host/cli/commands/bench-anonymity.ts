/** `hood bench anonymity`: the exponential mix's measured sender anonymity against log2(λe/μ) (docs/anonymity.md). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { benchAnonymity } from '../../bench/anonymity-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

function numberList(v: string): number[] {
  const xs = v.split(',').map((s) => Number(s.trim()));
  if (!xs.length || xs.some((x) => !(x > 0) || !Number.isFinite(x))) throw new InvalidArgumentError('a comma-separated list of positive numbers');
  return xs;
}

export function registerAnonymityBenchCommand(bench: Command): void {
  jsonOption(bench.command('anonymity'))
    .description('Poisson arrivals into the real exponential mix (simulated clock): measured entropy vs log2(λe/μ); writes JSON + SVG')
    .option('--lambdas <list>', 'arrival rates λ per second', numberList, [0.1, 1])
    .option('--loads <list>', 'mean delays as multiples of 1/λ (λ/μ)', numberList, [0.25, 1, 4, 16, 64])
    .option('--messages <n>', 'messages per row', parseIntOption, 20000)
    .option('--out <dir>', 'where anonymity-bench.json and anonymity-bench.svg go', '.')
    .action((o: JsonFlag & { lambdas: number[]; loads: number[]; messages: number; out: string }) => {
      const r = benchAnonymity({ lambdas: o.lambdas, loads: o.loads, messages: o.messages, out: o.out });
      printResult(o, r, (x) =>
        [
          'lambda/s  meanDelay/s  measured  theory  relErr',
          ...x.rows.map((w) => `${w.lambda}  ${w.meanDelaySec}  ${w.measuredBits}  ${w.theoryBits ?? '-'}  ${w.relErr ?? '-'}`),
          `maxRelErr ${x.maxRelErr} (rows with μ < λe), ${x.rowsWithin5pct} row(s) within 5%`,
          `wrote ${x.json}`,
          `plot ${x.svg}`,
        ].join('\n'),
      );
    });
}
