/**
 * `hood bench mss --json` at a small size: every field is there and consistent (figures go in notes, not
 * asserts). The bench itself fails if a cell goes unanswered or is answered wrongly, or if the gateway's
 * timing hook saw a different number of cells than were answered.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('hood bench mss --json', () => {
  it('measures the MSS against a relay of the same cells, with the gateway histogram and the generator headroom', async () => {
    const args = ['bin/hood.js', 'bench', 'mss', '--pdas', '4', '--workers', '2', '--seconds', '1', '--reps', '2', '--warmup', '0', '--json'];
    const { stdout } = await run(process.execPath, args, { timeout: 120_000 });
    const r = JSON.parse(stdout);
    expect(r.pdas).toBe(4);
    expect(r.sessionsHeld).toBe(4);
    expect(r.join.n).toBe(4);
    expect(r.warmupSec).toBe(0);
    expect(r.cellSize).toBe(512);
    expect(r.phases.map((p: { kind: string; rep: number }) => p.kind + p.rep)).toEqual(['relay1', 'mss1', 'relay2', 'mss2']);
    const mss = r.phases.filter((p: { kind: string }) => p.kind === 'mss');
    const relay = r.phases.filter((p: { kind: string }) => p.kind === 'relay');
    for (const p of r.phases) {
      expect(p.cells).toBeGreaterThan(0);
      expect(p.seconds).toBeGreaterThanOrEqual(1);
      expect(p.generatorElu).toHaveLength(2);
    }
    // Every answered cell of an MSS phase was timed inside the gateway exactly once.
    for (const p of mss) expect(p.mssAddedMs.n).toBe(p.cells);
    const sum = (ps: { cells: number }[]) => ps.reduce((a, p) => a + p.cells, 0);
    const secs = (ps: { seconds: number }[]) => ps.reduce((a, p) => a + p.seconds, 0);
    expect(r.mssAddedMs.n).toBe(sum(mss));
    expect(r.mssAddedMs.p50).toBeGreaterThan(0);
    expect(r.mssAddedMs.p50).toBeLessThanOrEqual(r.mssAddedMs.p99);
    expect(r.mssAddedMs.p99).toBeLessThanOrEqual(r.mssAddedMs.max);
    expect(r.cellsPerSec.mss).toBeCloseTo(sum(mss) / secs(mss), 0);
    expect(r.cellsPerSec.relay).toBeCloseTo(sum(relay) / secs(relay), 0);
    expect(r.ratio).toBeCloseTo(r.cellsPerSec.mss / r.cellsPerSec.relay, 2);
    expect(r.generator.workers).toBe(2);
    expect(r.generator.elu).toHaveLength(2);
    for (const u of [...r.generator.elu, ...r.generator.soloElu, r.mainThreadElu.mss, r.mainThreadElu.relay]) {
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThanOrEqual(1);
    }
    expect(r.generator.soloRatePerSec).toBeGreaterThan(0);
    expect(typeof r.targets.met).toBe('boolean');
  });

  it('rejects nonsense arguments clearly', async () => {
    const e = await run(process.execPath, ['bin/hood.js', 'bench', 'mss', '--pdas', 'many']).catch((x) => x);
    expect(e.code).not.toBe(0);
    expect(String(e.stderr)).toMatch(/expected a whole number/);
    const w = await run(process.execPath, ['bin/hood.js', 'bench', 'mss', '--pdas', '2', '--workers', '3']).catch((x) => x);
    expect(w.code).not.toBe(0);
    expect(String(w.stderr)).toMatch(/--workers must not exceed --pdas/);
  });
});
