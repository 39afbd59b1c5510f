/**
 * The mint's k·P must not take longer or shorter with the scalar: it multiplies by its private
 * keys and by NUT-12 nonces r, and s = r + e·a is public, so nonce lengths leaking through timing
 * give the key away to a lattice (the Minerva attack). libsecp256k1's publicKeyTweakMul runs the
 * variable-time secp256k1_ecmult; the curve seam uses ecdh (secp256k1_ecmult_const) instead, and
 * the mint never selects tiny-secp256k1, whose only k·P is the variable-time one.
 *
 * Timing is measured in interleaved batches and compared by medians, so load on a shared machine
 * hits every scalar class alike. The control shows the measurement does see a variable-time
 * multiplication.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MINT_CURVES, loadCurve, pickCurve, selectCurve } from '../../host/cashu/curve';
import { isScalar } from '../../host/cashu/curve/bdhke';

const native = loadCurve('libsecp256k1');
const binding = createRequire(import.meta.url)('secp256k1/bindings') as {
  publicKeyTweakMul(p: Uint8Array, k: Uint8Array, compressed: boolean): Uint8Array;
};

function scalar(): Uint8Array {
  for (;;) {
    const k = randomBytes(32);
    if (isScalar(k)) return k;
  }
}

/** Scalars a timing attacker would tell apart: tiny, sparse, short (leading zero bytes), random. */
function classes(): Uint8Array[] {
  const two = new Uint8Array(32);
  two[31] = 3;
  const sparse = new Uint8Array(32);
  sparse[0] = 0x80;
  sparse[31] = 1;
  const short = scalar();
  short.fill(0, 0, 12);
  return [two, sparse, short, scalar()];
}

/**
 * For each class, the median over rounds of (its batch time / the random scalar's batch time in the
 * same round): a load spike on the shared machine moves both sides of a ratio, not one class.
 */
function ratios(mul: (k: Uint8Array) => unknown, ks: Uint8Array[], rounds = 41, per = 20): number[] {
  const r: number[][] = ks.map(() => []);
  for (let i = 0; i < 20; i++) for (const k of ks) mul(k);
  for (let b = 0; b < rounds; b++) {
    const t = ks.map((k) => {
      const t0 = performance.now();
      for (let i = 0; i < per; i++) mul(k);
      return performance.now() - t0;
    });
    t.forEach((x, j) => r[j].push(x / t[t.length - 1]));
  }
  return r.map((x) => x.sort((p, q) => p - q)[x.length >> 1]);
}

describe('constant-time k·P', () => {
  const P = native.mulG(scalar());

  it('control: the variable-time multiplication is measurably faster for a 2-bit scalar', () => {
    const m = ratios((k) => binding.publicKeyTweakMul(P, k, true), classes());
    expect(m[0]).toBeLessThan(0.7);
  });

  it("the mint's multiplication takes as long for tiny, sparse and short scalars as for a random one", () => {
    const m = ratios((k) => native.mul(P, k), classes());
    for (const x of m.slice(0, 3)) {
      expect(x).toBeGreaterThan(0.85);
      expect(x).toBeLessThan(1.15);
    }
  });

  it('gives the same points as the variable-time path (random scalars and points, compressed and not)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), (a, b, compressed) => {
        fc.pre(isScalar(a) && isScalar(b));
        const Q = native.mulG(a, compressed);
        expect(Buffer.from(native.mul(Q, b, compressed))).toEqual(Buffer.from(binding.publicKeyTweakMul(Q, b, compressed)));
      }),
      { numRuns: 500 },
    );
  });

  it('the mint never selects tiny-secp256k1, by order or by name', () => {
    expect(MINT_CURVES).not.toContain('tiny-secp256k1');
    expect(() => selectCurve({ prefer: 'tiny-secp256k1' })).toThrow(/variable time/);
    // Without libsecp256k1 the next choice is noble.
    const skipped: string[] = [];
    const c = pickCurve(
      MINT_CURVES.map((name) => ({ name, load: () => (name === 'libsecp256k1' ? (() => { throw new Error('no binding'); })() : loadCurve(name)) })),
      (f) => skipped.push(f.library),
    );
    expect(c.name).toBe('noble');
    expect(skipped).toEqual(['libsecp256k1']);
  });
});
