/**
 * The X25519 ladder Espruino runs (shared/src/crypto/x25519-conv.ts), run on Node with a
 * JavaScript model of E.convolve (src/jswrap_espruino.c: a double accumulator over arr1, arr2
 * read cyclically from `offset`). The model also checks, on every call, the bounds the ladder's
 * exactness rests on. The real interpreter runs the same code in `hood bench firmware`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { diffieHellman } from 'node:crypto';
import { type Convolve, feSetConvolve, feScratchIsClear, REDUCED_MAX, SUB_K } from '../../shared/src/crypto/field25519';
import { makeConvParts } from '../../shared/src/crypto/x25519-conv';
import { x25519, x25519Base } from '../../shared/src/crypto/x25519';
import { hex, unhex, seededBytes } from './helpers';
import { x25519Private, x25519Public, rawPublic } from './node-keys';

const TWO48 = 2 ** 48;
/**
 * Largest limbs of a loosely carried value (x25519-conv.ts, makeCarries: limbs 0 and 1 keep their
 * folded pieces, 77 and 40 pieces of at most 65535; the others three pieces).
 */
const LOOSE_MAX = new Float64Array([77 * 65535, 40 * 65535, ...new Array(14).fill(3 * 65535)]);
const P = (1n << 255n) - 19n;
const mod = (a: bigint) => ((a % P) + P) % P;
const big = (a: ArrayLike<number>, n = 16) => {
  let x = 0n;
  for (let i = n - 1; i >= 0; i--) x = x * 65536n + BigInt(a[i]);
  return x;
};
/** Value of a layout r (r[15 - k] = limb k). */
const bigLayout = (r: ArrayLike<number>) => {
  let x = 0n;
  for (let k = 15; k >= 0; k--) x = x * 65536n + BigInt(r[15 - k]);
  return x;
};

/** What the model saw: calls, and any call that broke a bound (with its arguments). */
let calls = 0;
let breaches: string[] = [];
/**
 * Column calls: x of 16 limbs or the 47-entry DA/CB operand; carry calls: the 7-entry pattern;
 * swap calls: 4 weights (A, C) or 5 (B, D with 8p). The ladder omits the offset where it is 0,
 * which E.convolve reads as 0 (int32 conversion of undefined).
 */
const checkedConvolve = (arr1: ArrayLike<number>, arr2: ArrayLike<number>, offset?: number): number => {
  calls++;
  if (offset === undefined) offset = 0;
  const l = arr2.length;
  let off = offset % l;
  if (off < 0) off += l;
  let conv = 0;
  let j = off;
  for (let i = 0; i < arr1.length; i++) {
    const t = arr1[i] * arr2[j];
    conv += t;
    if (!Number.isSafeInteger(conv) || !Number.isSafeInteger(t)) breaches.push('inexact ' + arr1.length + '/' + offset);
    j++;
    if (j >= l) j = 0;
  }
  if (arr1.length === 4) {
    // A or C: the sum of two reduced state values.
    if (conv < 0 || conv > 2 * 196645) breaches.push('input ' + conv);
  } else if (arr1.length === 5) {
    // B or D: a difference of two reduced state values plus 8p, never negative.
    if (conv < 0 || conv > 196645 + 262140) breaches.push('input ' + conv);
  } else if (arr1.length === 7) {
    if (conv < 0 || conv >= 3 * 65536) breaches.push('carry ' + conv);
  } else if (arr1.length === 47 && offset >= 31) {
    // CB - DA: with 2^29 SUB_K_k added it must be a non-negative column below 2^48.
    const k = 46 - offset;
    const t = conv + 2 ** 29 * SUB_K[k];
    if (t < 0 || t >= TWO48) breaches.push('T column ' + k + ' ' + t);
  } else if (conv < 0 || conv >= TWO48) {
    breaches.push('column ' + arr1.length + '/' + offset + ' ' + conv);
  }
  return conv;
};

describe('X25519 ladder for E.convolve (Espruino), modelled on Node', () => {
  let previous: Convolve | null = null;
  beforeAll(() => {
    previous = feSetConvolve(checkedConvolve);
  });
  afterAll(() => {
    feSetConvolve(previous);
  });

  it('is the ladder taken, and gives RFC 7748 §5.2 vectors and the one-iteration result', () => {
    calls = 0;
    breaches = [];
    expect(
      hex(x25519(unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
        unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))),
    ).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    // One call: 255 steps of 9 column sets (16 calls), 10 carries (14 calls) and the inputs (64
    // calls), then the inversion.
    expect(calls).toBeGreaterThan(255 * (9 * 16 + 10 * 14 + 64));
    expect(
      hex(x25519(unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
        unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'))),
    ).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
    const nine = unhex('0900000000000000000000000000000000000000000000000000000000000000');
    expect(hex(x25519(nine, nine))).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    expect(breaches).toEqual([]);
    expect(feScratchIsClear()).toBe(true);
  });

  it('equals tweetnacl and the unrolled ladder on random scalars and any u (top bit, u >= p, low order), bounds held', () => {
    breaches = [];
    const special = [
      '0000000000000000000000000000000000000000000000000000000000000000',
      '0100000000000000000000000000000000000000000000000000000000000000',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // 2^256 - 1 (bit 255 masked)
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
    ].map(unhex);
    const scalar = fc.oneof(
      fc.uint8Array({ minLength: 32, maxLength: 32 }),
      fc.constantFrom(new Uint8Array(32), new Uint8Array(32).fill(255)),
    );
    const point = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(...special));
    fc.assert(
      fc.property(scalar, point, (k, u) => {
        const want = hex(nacl.scalarMult(new Uint8Array(k), new Uint8Array(u)));
        expect(hex(x25519(new Uint8Array(k), new Uint8Array(u)))).toBe(want);
        const conv = feSetConvolve(null);
        try {
          expect(hex(x25519(new Uint8Array(k), new Uint8Array(u)))).toBe(want);
        } finally {
          feSetConvolve(conv);
        }
      }),
      { numRuns: 150 },
    );
    expect(breaches).toEqual([]);
  });

  it('agrees with node:crypto on 20 random Diffie-Hellman pairs', () => {
    const rnd = seededBytes('conv-ladder-dh');
    for (let n = 0; n < 20; n++) {
      const a = rnd(32);
      const b = rnd(32);
      const viaNode = diffieHellman({ privateKey: x25519Private(a), publicKey: x25519Public(rawPublic(x25519Private(b))) });
      expect(hex(x25519(a, x25519Base(b)))).toBe(hex(new Uint8Array(viaNode)));
    }
  });
});

describe('X25519 ladder steps for E.convolve: bounds at their extremes, against BigInt', () => {
  const parts = makeConvParts();
  const f = new Float64Array(16);
  const u = new Uint16Array(f.buffer);
  const C = parts.makeCarries(u, checkedConvolve);
  const I = () => new Int32Array(16);
  const L = () => new Int32Array(31);
  /** Limbs and layout of a, as the carries write them (feLayout). */
  const layoutOf = (a: ArrayLike<number>) => {
    const r = L();
    for (let i = 0; i < 16; i++) {
      r[15 - i] = a[i];
      if (i > 0) r[31 - i] = 38 * a[i];
    }
    return r;
  };
  /** Columns of x * (the value laid out in r), both ways the ladder computes them (equal). */
  const product = (x: Int32Array, r: Int32Array) => {
    parts.colsOn(r, 16)(f, checkedConvolve, x);
    const viaViews = Float64Array.from(f);
    parts.cols(f, checkedConvolve, x, r);
    expect(Array.from(viaViews)).toEqual(Array.from(f));
  };
  const max = (m: ArrayLike<number>) => Int32Array.from(m);
  /** E = AA - BB + K with K limb by limb (ef). */
  const K = [5111656, 2686898, 262103, ...new Array(13).fill(262140)];

  it('the constants: 2^29 * 8p is 0 mod p and covers any CB column, K = 8p covers loose values, columns stay below 2^48', () => {
    const colMax = 571n * 393290n * 458785n; // A or C (two reduced) times B or D (reduced - reduced + 8p)
    let eightP = 0n;
    for (let k = 15; k >= 0; k--) eightP = eightP * 65536n + BigInt(SUB_K[k]);
    expect(eightP).toBe(8n * P);
    for (let k = 0; k < 16; k++) {
      expect(BigInt(2 ** 29 * SUB_K[k])).toBeGreaterThan(colMax);
      expect(BigInt(2 ** 29 * SUB_K[k]) + colMax).toBeLessThan(1n << 48n);
    }
    expect(2n * colMax).toBeLessThan(1n << 48n);
    expect(65535 + 38 * 2 * 65535).toBeLessThan(2 ** 31);
    // ef's K: the same value 8p, every limb at least the loose subtrahend's.
    expect(big(K)).toBe(8n * P);
    for (let k = 0; k < 16; k++) expect(K[k]).toBeGreaterThanOrEqual(LOOSE_MAX[k]);
    // LOOSE_MAX is what the loose carry gives for columns whose pieces are all 65535.
    expect(LOOSE_MAX[0]).toBe(65535 * 77);
    expect(LOOSE_MAX[1]).toBe(65535 * 40);
    for (let k = 2; k < 16; k++) expect(LOOSE_MAX[k]).toBe(65535 * 3);
  });

  it('the carries at their extreme (every piece 65535): loose limbs equal LOOSE_MAX, reduced ones stay within REDUCED_MAX', () => {
    breaches = [];
    for (let k = 0; k < 16; k++) f[k] = 2 ** 52 + TWO48 - 1;
    const o = I(), r = L(), o2 = I(), r2 = L(), st = new Int32Array(80);
    C.n(o);
    C.l(r);
    C.nl(o2, r2);
    C.n4(st);
    expect(Array.from(o)).toEqual(Array.from(LOOSE_MAX));
    expect(Array.from(o2)).toEqual(Array.from(LOOSE_MAX));
    expect(Array.from(r)).toEqual(Array.from(layoutOf(LOOSE_MAX)));
    expect(Array.from(r2)).toEqual(Array.from(layoutOf(LOOSE_MAX)));
    // The value is kept: sum_k t_k 2^(16k) mod p, for the loose and the reduced carry.
    let value = 0n;
    for (let k = 15; k >= 0; k--) value = value * 65536n + BigInt(TWO48 - 1);
    expect(mod(big(o))).toBe(mod(value));
    const red = Int32Array.from({ length: 16 }, (_, i) => st[5 * i]);
    expect(mod(big(red))).toBe(mod(value));
    for (let k = 0; k < 16; k++) expect(red[k]).toBeLessThanOrEqual(REDUCED_MAX[k]);
    expect(breaches).toEqual([]);
  });

  it('products of loose values at LOOSE_MAX (and E at its largest) stay below 2^48 and exact', () => {
    breaches = [];
    const lm = max(LOOSE_MAX);
    const check = (x: Int32Array, y: Int32Array, want: bigint) => {
      product(x, layoutOf(y));
      for (let k = 0; k < 16; k++) expect(f[k] - 2 ** 52).toBeLessThan(TWO48);
      const o = I();
      C.n(o);
      expect(mod(big(o))).toBe(mod(want));
    };
    // S^2, T^2, AA BB, the inversion's squares and products: loose times loose.
    check(lm, lm, big(lm) * big(lm));
    // U = x1 T: x1 < 2^16 (then z3 = T U, loose times loose).
    const x1 = Int32Array.from({ length: 16 }, () => 65535);
    check(lm, x1, big(lm) * big(x1));
    // E at its largest (AA = LOOSE_MAX, BB = 0) and F from it; E F.
    const aa = max(LOOSE_MAX), e = I();
    parts.ef(aa, L(), e, f);
    for (let k = 0; k < 16; k++) {
      expect(e[k]).toBe(LOOSE_MAX[k] + K[k]);
      expect(f[k] - 2 ** 52).toBeLessThan(TWO48);
    }
    const fl = I();
    C.n(fl);
    expect(mod(big(fl))).toBe(mod(big(aa) + 121665n * big(e)));
    check(e, lm, big(e) * big(lm));
    // E at its smallest (AA = 0, BB = LOOSE_MAX): never negative.
    parts.ef(I(), layoutOf(LOOSE_MAX), e, f);
    for (let k = 0; k < 16; k++) expect(e[k]).toBeGreaterThanOrEqual(0);
    expect(mod(big(e))).toBe(mod(-big(LOOSE_MAX)));
    expect(breaches).toEqual([]);
  });

  it('products of random loose values are exact, columns below 2^48 (fast-check)', () => {
    breaches = [];
    const limb = (i: number) => fc.integer({ min: 0, max: LOOSE_MAX[i] });
    const fe = fc.tuple(...Array.from({ length: 16 }, (_, i) => limb(i))).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(fe, fe, fe, (a, b, bb) => {
        product(a, layoutOf(b));
        const o = I(), r = L(), o2 = I();
        C.nl(o, r);
        expect(mod(big(o))).toBe(mod(big(a) * big(b)));
        expect(Array.from(r)).toEqual(Array.from(layoutOf(o)));
        for (let k = 0; k < 16; k++) expect(o[k]).toBeLessThanOrEqual(LOOSE_MAX[k]);
        // E = a - bb + K, F = a + a24 E, E F.
        const e = I();
        parts.ef(a, layoutOf(bb), e, f);
        C.l(r);
        expect(mod(big(e))).toBe(mod(big(a) - big(bb)));
        expect(mod(bigLayout(r))).toBe(mod(big(a) + 121665n * (big(a) - big(bb))));
        product(e, r);
        C.n(o2);
        expect(mod(big(o2))).toBe(mod(big(e) * bigLayout(r)));
      }),
      { numRuns: 300 },
    );
    expect(breaches).toEqual([]);
  });

  /** One whole ladder step on the given state and x1, every value checked against BigInt. */
  function step(s: number, x2: Int32Array, z2: Int32Array, x3: Int32Array, z3: Int32Array, x1: Int32Array): void {
    const xa = I(), xb = I(), y = new Int32Array(62), z = new Int32Array(78);
    const st = new Int32Array(80);
    for (let i = 0; i < 16; i++) {
      st[5 * i] = x2[i];
      st[5 * i + 1] = z2[i];
      st[5 * i + 2] = x3[i];
      st[5 * i + 3] = z3[i];
      st[5 * i + 4] = SUB_K[i];
    }
    parts.makeInputs(st, checkedConvolve)(s, xa, xb, y, z);
    const [X2, Z2, X3, Z3] = s ? [x3, z3, x2, z2] : [x2, z2, x3, z3];
    const A = big(X2) + big(Z2), B = big(X2) - big(Z2), Cv = big(X3) + big(Z3), D = big(X3) - big(Z3);
    expect(mod(big(xa))).toBe(mod(A));
    expect(mod(big(xb))).toBe(mod(B));
    for (let i = 0; i < 16; i++) {
      expect(xa[i]).toBeLessThanOrEqual(2 * REDUCED_MAX[i]);
      expect(xb[i]).toBeGreaterThanOrEqual(0);
      expect(z[i]).toBeGreaterThanOrEqual(0);
      expect(z[62 + i]).toBe(-z[i]);
    }
    const yb = y.subarray(31);
    const s1 = I(), rs = L(), t1 = I(), aa = I(), rbb = L(), e = I(), rf = L(), ru = L();
    parts.colsOn(y, 47)(f, checkedConvolve, xa);
    C.n(aa);
    expect(mod(big(aa))).toBe(mod(A * A));
    product(xb, yb);
    C.l(rbb);
    expect(mod(bigLayout(rbb))).toBe(mod(B * B));
    parts.colsOn(y, 47)(f, checkedConvolve, z.subarray(0, 47));
    C.nl(s1, rs);
    expect(mod(big(s1))).toBe(mod(D * A + Cv * B));
    expect(bigLayout(rs)).toBe(big(s1));
    parts.colsT(f, checkedConvolve, z.subarray(31), y);
    C.n(t1);
    expect(mod(big(t1))).toBe(mod(Cv * B - D * A));
    for (let i = 0; i < 16; i++) {
      for (const v of [aa, s1, t1]) expect(v[i]).toBeLessThanOrEqual(LOOSE_MAX[i]);
      expect(rbb[15 - i]).toBeLessThanOrEqual(LOOSE_MAX[i]);
      if (i > 0) expect(rs[31 - i]).toBe(38 * rs[15 - i]);
    }
    const next = new Int32Array(80);
    const nx2 = next, nz2 = next.subarray(1), nx3 = next.subarray(2), nz3 = next.subarray(3);
    product(s1, rs); // x3 = S^2
    C.n4(nx3);
    product(t1, layoutOf(x1)); // U = x1 T, as a layout
    C.l(ru);
    expect(mod(bigLayout(ru))).toBe(mod(big(x1) * big(t1)));
    for (let i = 0; i < 16; i++) expect(ru[15 - i]).toBeLessThanOrEqual(LOOSE_MAX[i]);
    product(t1, ru); // z3 = T U = x1 T^2
    C.n4(nz3);
    product(aa, rbb); // x2 = AA BB
    C.n4(nx2);
    parts.ef(aa, rbb, e, f);
    for (let k = 0; k < 16; k++) expect(e[k]).toBeGreaterThanOrEqual(0);
    C.l(rf);
    expect(mod(big(e))).toBe(mod(big(aa) - bigLayout(rbb)));
    expect(mod(bigLayout(rf))).toBe(mod(big(aa) + 121665n * (big(aa) - bigLayout(rbb))));
    product(e, rf); // z2 = E F
    C.n4(nz2);
    const limbs = (o: number) => Int32Array.from({ length: 16 }, (_, i) => next[5 * i + o]);
    const S = D * A + Cv * B, T = D * A - Cv * B, AA = A * A, BB = B * B, E = AA - BB;
    expect(mod(big(limbs(2)))).toBe(mod(S * S));
    expect(mod(big(limbs(3)))).toBe(mod(big(x1) * T * T));
    expect(mod(big(limbs(0)))).toBe(mod(AA * BB));
    expect(mod(big(limbs(1)))).toBe(mod(E * (AA + 121665n * E)));
    for (let o = 0; o < 4; o++) {
      const v = limbs(o);
      for (let i = 0; i < 16; i++) {
        expect(v[i]).toBeGreaterThanOrEqual(0);
        expect(v[i]).toBeLessThanOrEqual(REDUCED_MAX[i]);
      }
    }
  }

  it('each step is exact with every state limb at REDUCED_MAX or 0, in every mix, both swap bits', () => {
    breaches = [];
    const x1 = Int32Array.from({ length: 16 }, () => 65535);
    const shapes = [() => max(REDUCED_MAX), () => I()];
    for (let m = 0; m < 16; m++) {
      for (const s of [0, 1]) {
        step(s, shapes[m & 1](), shapes[(m >> 1) & 1](), shapes[(m >> 2) & 1](), shapes[(m >> 3) & 1](), x1);
      }
    }
    expect(breaches).toEqual([]);
  });

  it('each step is exact on long random sequences of reduced states (fast-check)', () => {
    breaches = [];
    const limb = (i: number) => fc.integer({ min: 0, max: REDUCED_MAX[i] });
    const fe = fc.tuple(...Array.from({ length: 16 }, (_, i) => limb(i))).map((a) => Int32Array.from(a));
    const x1 = fc.tuple(...Array.from({ length: 16 }, () => fc.integer({ min: 0, max: 65535 }))).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fe, fe, fe, fe, x1, (s, a, b, c, d, x) => {
        step(s, a, b, c, d, x);
      }),
      { numRuns: 300 },
    );
    expect(breaches).toEqual([]);
  });
});
