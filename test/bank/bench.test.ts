/**
 * `hood bench bank --json`: the fields it promises, measured for real (a short run: the figures
 * themselves depend on the machine and its load; docs/bank.md has them).
 */
import { expect, it } from 'vitest';
import { benchBank } from '../../host/bank/bench';

it('reports durable swaps over HTTP, every curve library, and efficiency against the fastest', async () => {
  const r = await benchBank({ seconds: 1, concurrency: 16, maxSwaps: 800 });
  expect(r.durable).toEqual({ journal: 'wal', synchronous: 'FULL' });
  expect(r.transport).toBe('http');
  expect(r.concurrency).toBe(16);
  expect(r.curves.map((c) => c.library).sort()).toEqual(['libsecp256k1', 'noble', 'tiny-secp256k1']);
  expect(r.curves[0].library).toBe('libsecp256k1'); // fastest first
  expect(r.library).toBe('libsecp256k1');
  expect(r.pointMulPerSec).toBe(r.curves[0].mulPerSec);
  for (const k of ['swapsPerSec', 'inProcessSwapsPerSec', 'mintsPerSec'] as const) expect(r[k]).toBeGreaterThan(0);
  expect(r.swaps).toBeGreaterThan(0);
  expect(r.mulsPerSwap).toBe(3);
  // The yardstick is the fastest library, measured right before and after the timed phase.
  expect(r.yardstick.library).toBe(r.curves[0].library);
  expect(r.yardstick.before).toBeGreaterThan(0);
  expect(r.yardstick.after).toBeGreaterThan(0);
  expect(r.yardstick.mulPerSec).toBeCloseTo((r.yardstick.before + r.yardstick.after) / 2, 2);
  expect(r.efficiency).toBeCloseTo(r.swapsPerSec / (r.yardstick.mulPerSec / 3), 2);
  // the variable-time rate is a reference only, reported beside the constant-time one
  expect(r.variableTime!.mulPerSec).toBeGreaterThan(0);
  expect(r.variableTime!.efficiency).toBeCloseTo(r.swapsPerSec / (r.variableTime!.mulPerSec / 3), 2);
  // the load generator's and the bank's CPU over the HTTP phase
  expect(r.generator.busy).toBeGreaterThan(0);
  expect(r.generator.cpuPerSwapUs).toBeGreaterThan(0);
  expect(r.bankBusy).toBeGreaterThan(0);
  // concurrent swaps shared commits
  expect(r.groups.commits).toBeGreaterThan(0);
  expect(r.groups.meanSize).toBeGreaterThan(1);
}, 180_000);
