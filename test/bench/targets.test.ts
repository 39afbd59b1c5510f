/**
 * `hood bench targets`: every target judged from the benches' own JSON, a bench that was not run
 * never counts as met, and one real bench run through the command.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { figureAt, judgeTargets, runBenchChild, TARGETS, type TargetsResult } from '../../host/bench/targets';

const run = promisify(execFile);

describe('bench targets: judging', () => {
  it('reads figures by path; anything but a finite number is no figure', () => {
    expect(figureAt({ a: { b: 3 } }, 'a.b')).toBe(3);
    expect(figureAt({ a: { b: '3' } }, 'a.b')).toBeNull();
    expect(figureAt({ a: [3] }, 'a.0')).toBeNull();
    expect(figureAt({ a: { b: NaN } }, 'a.b')).toBeNull();
    expect(figureAt(null, 'a')).toBeNull();
    expect(figureAt({ a: null }, 'a.b')).toBeNull();
  });

  it('the limits themselves: >= and <= include them, < does not, == only exactly', () => {
    const at = judgeTargets({
      mss: { ratio: 0.5, mssAddedMs: { p99: 5 } },
      sessions: { joined: 10_000, bytesPerSession: 4096 },
      bank: { swapsPerSec: 1000, efficiency: 0.3 },
      firmware: { x25519: { cpu: { ratio: 5 } }, firmware: { varsAfterBoot: 4000 } },
    });
    expect(Object.fromEntries(at.rows.map((r) => [r.bench + ' ' + r.figure, r.met]))).toEqual({
      'mss ratio': true,
      'mss mssAddedMs.p99': false,
      'sessions joined': true,
      'sessions bytesPerSession': false,
      'bank swapsPerSec': true,
      'bank efficiency': true,
      'firmware x25519.cpu.ratio': true,
      'firmware firmware.varsAfterBoot': true,
    });
    expect(at.allMet).toBe(false);
    expect(judgeTargets({ sessions: { joined: 9_999, bytesPerSession: 10 } }).rows.find((r) => r.figure === 'joined')!.met).toBe(false);
  });

  it('random figures and random missing benches: met exactly when measured and on the right side', () => {
    const bench = fc.record({ present: fc.boolean(), values: fc.array(fc.oneof(fc.double({ min: 0, max: 20_000, noNaN: true }), fc.constant(Number.NaN)), { minLength: 2, maxLength: 2 }) });
    fc.assert(
      fc.property(fc.record({ mss: bench, sessions: bench, bank: bench, firmware: bench }), (b) => {
        const set = (o: Record<string, unknown>, path: string, v: number) => {
          const ks = path.split('.');
          let x = o;
          for (const k of ks.slice(0, -1)) x = (x[k] ??= {}) as Record<string, unknown>;
          x[ks[ks.length - 1]] = v;
        };
        const results: Record<string, Record<string, unknown>> = {};
        for (const name of ['mss', 'sessions', 'bank', 'firmware'] as const) {
          if (!b[name].present) continue;
          results[name] = {};
          TARGETS.filter((t) => t.bench === name).forEach((t, i) => set(results[name], t.figure, b[name].values[i]));
        }
        const j = judgeTargets(results);
        TARGETS.forEach((t, i) => {
          const v = b[t.bench].present ? b[t.bench].values[TARGETS.filter((u) => u.bench === t.bench).indexOf(t)] : NaN;
          const want = Number.isFinite(v) && (t.op === '>=' ? v >= t.limit : t.op === '<' ? v < t.limit : t.op === '<=' ? v <= t.limit : v === t.limit);
          expect(j.rows[i].met).toBe(want);
          expect(j.rows[i].value).toBe(Number.isFinite(v) ? v : null);
        });
        expect(j.allMet).toBe(j.rows.every((r) => r.met));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('hood bench targets', () => {
  it('runs the sessions bench in its own process; the others are not measured, so not every target is met', async () => {
    const { stdout, stderr } = await run(process.execPath, ['bin/hood.js', 'bench', 'targets', '--only', 'sessions', '--json'], { timeout: 180_000, killSignal: 'SIGKILL' });
    const r = JSON.parse(stdout) as TargetsResult;
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/bench targets: running hood bench sessions --n 10000 --json/);
    const b = r.benches.sessions as { ms: number; result: { joined: number; bytesPerSession: number } };
    expect(b.result.joined).toBe(10_000);
    const rows = r.rows.filter((x) => x.bench === 'sessions');
    expect(rows.map((x) => x.value)).toEqual([b.result.joined, b.result.bytesPerSession]);
    expect(rows.find((x) => x.figure === 'joined')!.met).toBe(true);
    for (const x of r.rows.filter((y) => y.bench !== 'sessions')) expect(x).toMatchObject({ value: null, met: false });
    expect(r.benches.firmware).toEqual({ notRun: 'not asked for (--only)' });
    expect(r.allMet).toBe(false);
    expect(r.cores).toBeGreaterThan(0);
  }, 200_000);

  it('a bench that fails: the error names it and quotes its reason; bad --only is refused', async () => {
    await expect(runBenchChild(['firmware', '--espruino', '/nonexistent/espruino', '--json'], 60_000)).rejects.toThrow(/hood bench firmware failed \(exit \d+\):.*not an executable file/);
    await expect(run(process.execPath, ['bin/hood.js', 'bench', 'targets', '--only', 'mss,bogus'], { timeout: 60_000, killSignal: 'SIGKILL' })).rejects.toMatchObject({
      stderr: expect.stringMatching(/--only takes a comma list of mss, sessions, bank, firmware; not "bogus"/),
    });
  }, 150_000);
});
