/**
 * The protocol model (docs/model.md) at CI size: Spin finds no error in a bounded search of at least
 * 100 000 states, every mutant is caught with a counterexample, and 200 random model traces replay
 * against MssCore without a single differing decision.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { replay, simulate, traceSeed } from '../../host/model/conformance';
import { runModel } from '../../host/model/run';
import { modelWorkdir, parsePan, removeWorkdir } from '../../host/model/spin';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { testDir } from '../helpers/temp-dir';

describe('hood model (Spin)', () => {
  it('verifies the model, catches every mutant and finds MssCore conforming', { timeout: 230_000 }, async () => {
    const r = await runModel({ seed: 1, traces: 200, size: 'ci' });
    expect(r.violation).toBeNull();
    expect(r.errors).toBe(0);
    expect(r.statesStored).toBeGreaterThanOrEqual(100_000);
    expect(r.properties.length).toBeGreaterThanOrEqual(10);
    for (const p of r.properties) expect(p, p.name).toMatchObject({ verified: true });
    expect(r.mutants).toBe(7);
    // The hand-off model is searched exhaustively, and its properties are among those verified.
    expect(r.handoffStates).toBeGreaterThan(1000);
    for (const p of ['handoff_one_session', 'handoff_spent_once', 'handoff_no_hijack', 'handoff_not_lost']) expect(r.properties.map((x) => x.name)).toContain(p);
    for (const m of r.mutantDetails) {
      expect(m.caught, m.name).toBe(true);
      expect(m.trail, m.name).toMatch(/assertion violated|HOOD|proc/);
    }
    expect(r.mutantsCaught).toBe(r.mutants);
    expect(r.conformanceTraces).toBeGreaterThanOrEqual(200);
    expect(r.mismatchDetails).toEqual([]);
    expect(r.conformanceMismatches).toBe(0);
    // The traces reached every part of the admission order they can (capacity is rare but not needed here).
    for (const d of ['accept', 'refuse_1', 'refuse_3', 'refuse_4', 'renew', 'ignore_replay', 'timeout', 'bye', 'paid']) expect(r.conformanceDecisions[d], d).toBeGreaterThan(0);
  });
});

describe('conformance driver', () => {
  it('reports a decision the code does not make, and a model line it cannot replay', async () => {
    const dir = modelWorkdir();
    const keyDir = testDir('hood-model-test-');
    try {
      const keys = loadOrCreateMssKeys(keyDir);
      // Find a trace with an ACCEPT, then claim the model refused it instead.
      let lines: string[] = [];
      for (let i = 0; i < 20 && !lines.some((l) => / A \d+ \d+$/.test(l) && l.startsWith('HOOD JOIN')); i++) lines = (await simulate(dir, traceSeed(7, i))).lines;
      const idx = lines.findIndex((l) => l.startsWith('HOOD JOIN') && / A \d+ \d+$/.test(l));
      expect(idx).toBeGreaterThanOrEqual(0);
      expect(replay(1, lines, keys, {})).toEqual([]);
      const forged = lines.slice(0, idx + 1);
      forged[idx] = forged[idx].replace(/ A \d+ \d+$/, ' R 1 0');
      const m = replay(1, forged, keys, {});
      expect(m.map((x) => x.what).join('\n')).toMatch(/decision: model no:refused_tmpmac_in_use, code ok:join/);
      expect(replay(1, ['HOOD NONSENSE 1'], keys, {})[0].what).toBe('unknown line');
      expect(replay(1, ['HOOD UP 4 0 0 6 0 D 1 0'], keys, {})[0].what).toMatch(/no key set/);
    } finally {
      removeWorkdir(dir);
      rmSync(keyDir, { recursive: true, force: true });
    }
  });

  it('parses what pan prints, and treats a cut-off search as incomplete', () => {
    const ok = parsePan('State-vector 336 byte, depth reached 1442, errors: 0\n  1134826 states, stored\npan: elapsed time 11.7 seconds\n');
    expect(ok).toMatchObject({ errors: 0, statesStored: 1134826, depth: 1442, complete: true, violation: null });
    const bad = parsePan('pan:1: assertion violated  !(x) (at depth 9)\nWarning: Search not completed\nerrors: 1\n       2 states, stored\n');
    expect(bad).toMatchObject({ errors: 1, statesStored: 2, complete: false, violation: 'assertion violated  !(x)' });
    expect(parsePan('')).toMatchObject({ errors: 0, statesStored: 0, complete: true });
  });
});
