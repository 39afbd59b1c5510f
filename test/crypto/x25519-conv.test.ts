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
/** Column calls: x of 16 limbs or the 47-entry DA/CB operand; carry calls: the 7-entry pattern; swap calls: 4 weights. */
const checkedConvolve: Convolve = (arr1, arr2, offset) => {
  calls++;
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
    // The swap's weights against one limb of the interleaved state: a sum or difference of two.
    if (Math.abs(conv) > 2 * 196645) breaches.push('input ' + conv);
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

  it('the constants: 2^29 * 8p is 0 mod p and covers any CB column, columns stay below 2^48', () => {
    const colMax = 571n * 393290n * 458785n; // A or C (two reduced) times B or D (reduced - reduced + 8p)
    let eightP = 0n;
    for (let k = 15; k >= 0; k--) eightP = eightP * 65536n + BigInt(SUB_K[k]);
    expect(eightP).toBe(8n * P);
    for (let k = 0; k < 16; k++) {
      expect(BigInt(2 ** 29 * SUB_K[k])).toBeGreaterThan(colMax);
      expect(BigInt(2 ** 29 * SUB_K[k]) + colMax).toBeLessThan(1n << 48n);
    }
    expect(2n * colMax).toBeLessThan(1n << 48n);
    expect(BigInt(REDUCED_MAX[2]) + 121665n * BigInt(SUB_K[1] + REDUCED_MAX[2])).toBeLessThan(1n << 48n);
    expect(65535 + 38 * 2 * 65535).toBeLessThan(2 ** 31);
  });

  /** One ladder step's first half on the given state: A, B, S = DA + CB, T = CB - DA, checked. */
  function stepHalf(s: number, x2: Int32Array, z2: Int32Array, x3: Int32Array, z3: Int32Array): void {
    const xa = I(), xb = I(), y = new Int32Array(62), z = new Int32Array(78);
    const st = new Int32Array(64);
    for (let i = 0; i < 16; i++) {
      st[4 * i] = x2[i];
      st[4 * i + 1] = z2[i];
      st[4 * i + 2] = x3[i];
      st[4 * i + 3] = z3[i];
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
    }
    const yb = y.subarray(31);
    const s1 = I(), rs = L(), t1 = I(), rt = L(), aa = I(), rbb = L(), e = I(), rf = L(), o = I();
    parts.cols(f, checkedConvolve, xa, y);
    C.n(u, aa);
    expect(mod(big(aa))).toBe(mod(A * A));
    parts.cols(f, checkedConvolve, xb, yb);
    C.l(u, rbb);
    expect(mod(bigLayout(rbb))).toBe(mod(B * B));
    parts.cols(f, checkedConvolve, z.subarray(0, 47), y);
    C.nl(u, s1, rs);
    expect(mod(big(s1))).toBe(mod(D * A + Cv * B));
    expect(bigLayout(rs)).toBe(big(s1));
    parts.colsT(f, checkedConvolve, z.subarray(31), y);
    C.nl(u, t1, rt);
    expect(mod(big(t1))).toBe(mod(Cv * B - D * A));
    for (let i = 0; i < 16; i++) {
      for (const v of [aa, s1, t1]) expect(v[i]).toBeLessThanOrEqual(REDUCED_MAX[i]);
      expect(rbb[15 - i]).toBeLessThanOrEqual(REDUCED_MAX[i]);
      if (i > 0) expect(rs[31 - i]).toBe(38 * rs[15 - i]);
    }
    parts.ef(aa, rbb, e, f);
    C.l(u, rf);
    expect(mod(big(e))).toBe(mod(big(aa) - bigLayout(rbb)));
    expect(mod(bigLayout(rf))).toBe(mod(big(aa) + 121665n * (big(aa) - bigLayout(rbb))));
    parts.cols(f, checkedConvolve, e, rf);
    C.n(u, o);
    expect(mod(big(o))).toBe(mod(big(e) * bigLayout(rf)));
  }

  it('each step is exact with every state limb at REDUCED_MAX or 0, in every mix, both swap bits', () => {
    breaches = [];
    const max = () => Int32Array.from(REDUCED_MAX);
    const zero = () => I();
    const shapes = [max, zero];
    for (let m = 0; m < 16; m++) {
      for (const s of [0, 1]) {
        stepHalf(s, shapes[m & 1](), shapes[(m >> 1) & 1](), shapes[(m >> 2) & 1](), shapes[(m >> 3) & 1]());
      }
    }
    expect(breaches).toEqual([]);
  });

  it('each step is exact on long random sequences of reduced states (fast-check)', () => {
    breaches = [];
    const limb = (i: number) => fc.integer({ min: 0, max: REDUCED_MAX[i] });
    const fe = fc.tuple(...Array.from({ length: 16 }, (_, i) => limb(i))).map((a) => Int32Array.from(a));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1 }), fe, fe, fe, fe, (s, a, b, c, d) => {
        stepHalf(s, a, b, c, d);
      }),
      { numRuns: 300 },
    );
    expect(breaches).toEqual([]);
  });
});
