/**
 * `hood bench anonymity` at reduced size: the real mix's measured sender anonymity is within 5% of
 * Danezis's log2(λe/μ) on at least three rows with μ < λe, and the JSON and SVG land in --out.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { benchAnonymity, renderSvg, runAnonymityRow } from '../../host/bench/anonymity-bench';
import { testDir } from '../helpers/temp-dir';

describe('bench anonymity', () => {
  it('measured entropy within 5% of log2(λe/μ) on ≥ 3 rows; JSON + SVG written', () => {
    const out = testDir('hood-anon-bench-');
    const r = benchAnonymity({ lambdas: [0.5, 2], loads: [0.25, 4, 16, 64], messages: 6000, out });
    expect(r.rows).toHaveLength(8);
    const valid = r.rows.filter((x) => x.relErr !== null);
    expect(valid).toHaveLength(6); // λ/μ = 0.25 < 1/e: outside the formula
    expect(r.rowsWithin5pct).toBeGreaterThanOrEqual(3);
    expect(r.maxRelErr).toBeLessThan(0.05);
    for (const row of valid) expect(row.samples).toBeGreaterThan(3000);
    const json = JSON.parse(readFileSync(r.json, 'utf8'));
    expect(json.rows).toEqual(r.rows);
    const svg = readFileSync(r.svg, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<circle /g)!.length).toBe(8 + 2); // 8 points + 2 legend marks
    expect(svg.match(/<polyline /g)!.length).toBe(2);
  });

  it('each 4x longer mean delay buys log2(4) = 2 bits', () => {
    const short = runAnonymityRow(1, 4, 4000);
    const long = runAnonymityRow(1, 16, 4000);
    expect(long.measuredBits - short.measuredBits).toBeGreaterThan(1.8);
    expect(long.measuredBits - short.measuredBits).toBeLessThan(2.2);
    expect(renderSvg([short, long])).toContain('</svg>');
  });

  it('runs from the CLI with --json and prints the paths', () => {
    const out = testDir('hood-anon-cli-');
    const stdout = execFileSync(process.execPath, ['bin/hood.js', 'bench', 'anonymity', '--json', '--lambdas', '1', '--loads', '4,16', '--messages', '2000', '--out', out], { encoding: 'utf8', timeout: 300_000, killSignal: 'SIGKILL' });
    const r = JSON.parse(stdout);
    expect(r.svg).toBe(join(out, 'anonymity-bench.svg'));
    expect(r.rows).toHaveLength(2);
    expect(r.rows[0]).toEqual(expect.objectContaining({ lambda: 1, meanDelaySec: 4, theoryBits: expect.any(Number), measuredBits: expect.any(Number), relErr: expect.any(Number), mu: 0.25 }));
  }, 120_000);
});
