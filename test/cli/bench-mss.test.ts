/** `hood bench mss --json` runs and reports both rates, their ratio and the added latency (figures go in notes, not asserts). */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('hood bench mss --json', () => {
  it('reports MSS and raw rates from the same run', async () => {
    const { stdout } = await run(process.execPath, ['bin/hood.js', 'bench', 'mss', '--pdas', '4', '--cells', '5', '--json'], { timeout: 120_000 });
    const r = JSON.parse(stdout);
    expect(r.pdas).toBe(4);
    expect(r.sessionsHeld).toBe(4);
    expect(r.mss.rttMs.n).toBe(20);
    expect(r.raw.rttMs.n).toBe(20);
    expect(r.mss.cellsPerSec).toBeGreaterThan(0);
    expect(r.raw.msgsPerSec).toBeGreaterThan(0);
    expect(r.ratio).toBeCloseTo(r.mss.cellsPerSec / r.raw.msgsPerSec, 2);
    expect(typeof r.addedLatencyMs.p50).toBe('number');
    expect(typeof r.addedLatencyMs.p99).toBe('number');
  });

  it('rejects nonsense arguments clearly', async () => {
    const e = await run(process.execPath, ['bin/hood.js', 'bench', 'mss', '--pdas', 'many']).catch((x) => x);
    expect(e.code).not.toBe(0);
    expect(String(e.stderr)).toMatch(/expected a whole number/);
  });
});
