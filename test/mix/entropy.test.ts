/**
 * Danezis's sender-anonymity metric (host/mix/entropy.ts): hand-computed small cases, the O(1)
 * running tracker against the direct O(n) sum over long random sequences, and the Poisson limit
 * log2(λe/μ).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntropyTracker, RateWindow, entropyBits, theoryBits } from '../../host/mix/entropy';

const h2 = (ps: number[]) => -ps.reduce((s, p) => s + (p > 0 ? p * Math.log2(p) : 0), 0);

describe('entropyBits: hand-computed cases', () => {
  it('one candidate: 0 bits; k simultaneous candidates: log2 k', () => {
    expect(entropyBits([3], 10, 0.5)).toBe(0);
    expect(entropyBits([], 10, 0.5)).toBe(0);
    expect(entropyBits([2, 2], 10, 0.5)).toBeCloseTo(1, 12);
    expect(entropyBits([2, 2, 2, 2], 10, 0.5)).toBeCloseTo(2, 12);
  });

  it('weights follow the delay density: arrivals ln3/μ apart give p = (1/4, 3/4)', () => {
    const mu = 0.2;
    const t2 = Math.log(3) / mu;
    expect(entropyBits([0, t2], t2 + 7, mu)).toBeCloseTo(h2([0.25, 0.75]), 12); // 0.8113 bits
    expect(h2([0.25, 0.75])).toBeCloseTo(0.811278, 5);
    // Three arrivals 1/μ apart: p ∝ (1, e, e²).
    const w = [1, Math.E, Math.E * Math.E];
    const s = w[0] + w[1] + w[2];
    expect(entropyBits([0, 5, 10], 12, 0.2)).toBeCloseTo(h2(w.map((x) => x / s)), 12);
  });

  it('arrivals after the output time are not candidates', () => {
    expect(entropyBits([0, 0, 50], 10, 1)).toBeCloseTo(1, 12);
  });

  it('theoryBits is log2(λe/μ) and undefined where μ ≥ λe', () => {
    expect(theoryBits(1, 1)).toBeCloseTo(Math.log2(Math.E), 12);
    expect(theoryBits(0.1, 0.001)).toBeCloseTo(Math.log2(100 * Math.E), 12);
    expect(theoryBits(1, 3)).toBeNaN();
    expect(theoryBits(0, 1)).toBeNaN();
  });
});

describe('EntropyTracker', () => {
  it('hand cases: the candidate set lasts until the mix is provably empty', () => {
    const t = new EntropyTracker(0.5);
    t.arrive(0);
    expect(t.release()).toBe(0); // alone in the mix
    t.arrive(5);
    t.arrive(5);
    expect(t.release()).toBeCloseTo(1, 9); // the earlier message provably left before these came
    expect(t.release()).toBeCloseTo(1, 9); // which one left is unknown: both stay candidates
    expect(t.depth).toBe(0);
    expect(t.candidateCount).toBe(0);
    expect(t.release()).toBe(0); // nothing inside
  });

  it('equals the direct sum over long random arrive/release sequences (rebasing included)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.001, max: 5, noNaN: true }),
        fc.array(fc.record({ dt: fc.double({ min: 0, max: 400, noNaN: true }), out: fc.boolean() }), { minLength: 1, maxLength: 400 }),
        (mu, ops) => {
          const tr = new EntropyTracker(mu);
          let t = 0;
          let cands: number[] = [];
          let inside = 0;
          for (const op of ops) {
            t += op.dt;
            if (op.out && inside > 0) {
              const want = entropyBits(cands, t, mu);
              const got = tr.release();
              expect(Math.abs(got - want)).toBeLessThan(1e-6 * Math.max(1, want));
              inside--;
              if (inside === 0) cands = [];
            } else {
              tr.arrive(t);
              cands.push(t);
              inside++;
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('stays finite and exact across a very long run (10^5 arrivals far apart in μ·t)', () => {
    const mu = 3;
    const tr = new EntropyTracker(mu);
    let t = 0;
    for (let i = 0; i < 100_000; i++) {
      t += 0.5;
      tr.arrive(t);
    }
    // Arrivals every 0.5 s, μ = 3: p_k ∝ e^{−1.5k}, a geometric distribution with q = e^{−1.5}.
    const q = Math.exp(-1.5);
    const geometric = (-(1 - q) * Math.log2(1 - q) - q * Math.log2(q)) / (1 - q);
    expect(tr.release()).toBeCloseTo(geometric, 6);
  });
});

describe('the Poisson limit', () => {
  it('mean entropy at random instants over Poisson arrivals tends to log2(λe/μ)', () => {
    // λ = 1/s, 1/μ = 30 s: theory log2(30e) = 6.35 bits.
    const lambda = 1;
    const mu = 1 / 30;
    const arrivals: number[] = [];
    let t = 0;
    // Deterministic LCG only for the test's arrival process (the mix itself never uses one).
    let seed = 12345;
    const u = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
    while (t < 20_000) {
      t += -Math.log(u()) / lambda;
      arrivals.push(t);
    }
    let sum = 0;
    let n = 0;
    for (let at = 1000; at < 20_000; at += 97) {
      const window = arrivals.filter((a) => a > at - 40 / mu && a <= at);
      sum += entropyBits(window, at, mu);
      n++;
    }
    const th = theoryBits(lambda, mu);
    expect(Math.abs(sum / n - th) / th).toBeLessThan(0.05);
  });
});

describe('RateWindow', () => {
  it('measures a Poisson rate over its window and forgets after a gap', () => {
    const w = new RateWindow(3600);
    let t = 0;
    let seed = 7;
    const u = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) + 1) / 2147483649;
    while (t < 20_000) {
      t += -Math.log(u()) / 2;
      w.add(t);
    }
    expect(w.rate(t)).toBeGreaterThan(1.9);
    expect(w.rate(t)).toBeLessThan(2.1);
    expect(w.rate(t + 10_000)).toBe(0);
    const fresh = new RateWindow(60);
    expect(fresh.rate(5)).toBe(0);
  });
});
