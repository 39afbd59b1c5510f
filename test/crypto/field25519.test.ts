import { describe, it, expect } from 'vitest';
import {
  Fe, feNew, feFromBytes, feToBytes, feAdd, feSub, feMul, feSq, feMulSmall, feCswap, feCmov,
  feInvert, fePow2523, feIsZero, feIsNegative, feEqual, feNeg, feReduce, feMulSmallAdd, feSqSum, feSqDiff,
  feLayout, feNewLayout, feMulLayout, feSqLayout, MUL_INPUT_LIMIT, REDUCED_MAX, SUB_K,
} from '../../shared/src/crypto/field25519';
import { seededBytes } from './helpers';

// Reference arithmetic with BigInt (tests run on Node only).
const P = (1n << 255n) - 19n;
const mod = (a: bigint) => ((a % P) + P) % P;
function toBig(a: Fe): bigint {
  let x = 0n;
  for (let i = 15; i >= 0; i--) x = x * 65536n + BigInt(a[i]); // limbs may be negative: exact
  return x;
}
function canon(a: Fe): bigint {
  const b = new Uint8Array(32);
  feToBytes(b, a);
  let x = 0n;
  for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function fromBig(x: bigint): Fe {
  const o = feNew();
  for (let i = 0; i < 16; i++) {
    o[i] = Number(x & 0xffffn);
    x >>= 16n;
  }
  return o;
}
function pow(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

const SPECIAL = [0n, 1n, 2n, 19n, P - 1n, P, P + 1n, P + 18n, (1n << 255n) - 1n, (1n << 254n), (1n << 16n) - 1n];

function fromLimbs(l: ArrayLike<number>): Fe {
  return feNew(l);
}
/** Limbs are integers in [0, REDUCED_MAX[i]]. */
function withinReduced(x: Fe): boolean {
  for (let i = 0; i < 16; i++) if (!(Number.isInteger(x[i]) && x[i] >= 0 && x[i] <= REDUCED_MAX[i])) return false;
  return true;
}

function randomFe(rnd: (n: number) => Uint8Array): Fe {
  const o = feNew();
  feFromBytes(o, rnd(32));
  return o;
}

describe('field25519 vs BigInt', () => {
  it('feFromBytes masks bit 255; feToBytes is canonical (< p) for special values', () => {
    const all = new Uint8Array(32).fill(0xff);
    const a = feNew();
    feFromBytes(a, all);
    expect(toBig(a)).toBe((1n << 255n) - 1n);
    expect(canon(a)).toBe(mod((1n << 255n) - 1n));
    for (const x of SPECIAL) {
      const c = canon(fromBig(x));
      expect(c).toBe(mod(x));
      expect(c < P).toBe(true);
    }
  });

  it('add, sub, mul, sq, mulSmall, neg agree on random and special inputs', () => {
    const rnd = seededBytes('field');
    const vals: Fe[] = SPECIAL.map(fromBig);
    for (let i = 0; i < 150; i++) vals.push(randomFe(rnd));
    const o = feNew();
    for (let i = 0; i < vals.length; i++) {
      const a = vals[i];
      const b = vals[(i * 7 + 3) % vals.length];
      const A = toBig(a);
      const B = toBig(b);
      feAdd(o, a, b);
      expect(canon(o)).toBe(mod(A + B));
      feSub(o, a, b);
      expect(canon(o)).toBe(mod(A - B));
      feMul(o, a, b);
      expect(canon(o)).toBe(mod(A * B));
      feSq(o, a);
      expect(canon(o)).toBe(mod(A * A));
      feMulSmall(o, a, 121665);
      expect(canon(o)).toBe(mod(A * 121665n));
      feNeg(o, a);
      expect(canon(o)).toBe(mod(-A));
    }
  });

  it('the documented bounds hold as integers: 571 * limit^2 < 2^48, 8p and the reduced maxima', () => {
    // Mantissa trick: every folded column must stay below 2^48 (pieces exact, top piece constant).
    expect(571n * BigInt(MUL_INPUT_LIMIT) ** 2n < 1n << 48n).toBe(true);
    // SUB_K is 8p, limb-wise at least the reduced maxima (so a - b + 8p >= 0 for reduced b).
    let k = 0n;
    for (let i = 15; i >= 0; i--) k = k * 65536n + BigInt(SUB_K[i]);
    expect(k).toBe(8n * P);
    for (let i = 0; i < 16; i++) expect(SUB_K[i]).toBeGreaterThanOrEqual(REDUCED_MAX[i]);
    // Largest operands the ladder and the Edwards formulas form are valid multiplication inputs.
    for (let i = 0; i < 16; i++) {
      expect(3 * REDUCED_MAX[i]).toBeLessThan(MUL_INPUT_LIMIT); // sum of three reduced values
      expect(2 * REDUCED_MAX[i] + SUB_K[i]).toBeLessThan(MUL_INPUT_LIMIT); // (two reduced) - reduced + 8p
    }
    // Carry output with every 16-bit piece at its maximum (the proof in field25519's comment).
    const m = 65535;
    const v0 = m + 38 * 2 * m;
    const c0 = Math.floor(v0 / 65536);
    const v1 = 2 * m + 38 * m + c0;
    const c1 = Math.floor(v1 / 65536);
    expect([c0, c1]).toEqual([76, 40]);
    expect(REDUCED_MAX[2]).toBe(3 * m + c1);
    expect(REDUCED_MAX[3]).toBe(3 * m);
  });

  it('stays exact with every limb at the multiplication limit, and outputs are within REDUCED_MAX', () => {
    const max = feNew();
    const mixed = feNew();
    for (let i = 0; i < 16; i++) {
      max[i] = MUL_INPUT_LIMIT - 1;
      mixed[i] = i % 2 ? MUL_INPUT_LIMIT - 1 : 0;
    }
    const o = feNew();
    for (const [a, b] of [[max, max], [mixed, max], [mixed, mixed], [max, mixed]]) {
      feMul(o, a, b);
      expect(canon(o)).toBe(mod(toBig(a) * toBig(b)));
      expect(withinReduced(o)).toBe(true);
      feSq(o, a);
      expect(canon(o)).toBe(mod(toBig(a) * toBig(a)));
      expect(withinReduced(o)).toBe(true);
    }
    // Worst subtrahend feSub allows: a reduced value at its limb maxima; minuend two of them.
    const red = fromLimbs(REDUCED_MAX);
    const two = feNew();
    feAdd(two, red, red);
    const s = feNew();
    feSub(s, fromBig(0n), red);
    for (let i = 0; i < 16; i++) expect(s[i]).toBeGreaterThanOrEqual(0);
    expect(canon(s)).toBe(mod(-toBig(red)));
    feSub(s, two, fromBig(0n));
    for (let i = 0; i < 16; i++) expect(s[i]).toBeLessThan(MUL_INPUT_LIMIT);
    feMul(o, s, s);
    expect(canon(o)).toBe(mod(toBig(s) * toBig(s)));
    feSqDiff(o, two, red);
    expect(canon(o)).toBe(mod((toBig(two) - toBig(red)) ** 2n));
    feSqSum(o, red, red);
    expect(canon(o)).toBe(mod((2n * toBig(red)) ** 2n));
    // feReduce of limbs near 2^47 and feMulSmallAdd at its extremes.
    const big = feNew();
    for (let i = 0; i < 16; i++) big[i] = 2 ** 47 - 1 - i;
    const B = toBig(big);
    feReduce(big);
    expect(canon(big)).toBe(mod(B));
    expect(withinReduced(big)).toBe(true);
    feMulSmallAdd(o, max, 131071, max);
    expect(canon(o)).toBe(mod(toBig(max) * 131071n + toBig(max)));
    expect(withinReduced(o)).toBe(true);
  });

  it('every operation returns limbs within REDUCED_MAX (the bounds the next operation relies on)', () => {
    const rnd = seededBytes('bounds');
    const o = feNew();
    for (let n = 0; n < 200; n++) {
      const a = randomFe(rnd);
      const b = randomFe(rnd);
      const s = feNew();
      feSub(s, a, b);
      feMul(o, s, s);
      expect(withinReduced(o)).toBe(true);
      feSq(o, s);
      expect(withinReduced(o)).toBe(true);
      feMulSmall(o, s, 121665);
      expect(withinReduced(o)).toBe(true);
      feNeg(o, a);
      expect(withinReduced(o)).toBe(true);
      expect(canon(o)).toBe(mod(-toBig(a)));
    }
  });

  it('the layout variants equal feMul/feSq (feLayout, feMulLayout, feSqLayout)', () => {
    const rnd = seededBytes('layout');
    const r = feNewLayout();
    const o1 = feNew();
    const o2 = feNew();
    for (let n = 0; n < 50; n++) {
      const a = randomFe(rnd);
      const b = randomFe(rnd);
      feLayout(r, b);
      feMulLayout(o1, a, r);
      feMul(o2, a, b);
      expect(Array.from(o1)).toEqual(Array.from(o2));
      feLayout(r, a);
      feSqLayout(o1, a, r);
      feSq(o2, a);
      expect(Array.from(o1)).toEqual(Array.from(o2));
    }
  });

  it('feMul allows the output to alias an input', () => {
    const rnd = seededBytes('alias');
    const a = randomFe(rnd);
    const b = randomFe(rnd);
    const A = toBig(a);
    const B = toBig(b);
    feMul(a, a, b);
    expect(canon(a)).toBe(mod(A * B));
    feMul(b, a, b);
    expect(canon(b)).toBe(mod(A * B * B));
    feSq(b, b);
    expect(canon(b)).toBe(mod(A * A * B ** 4n));
  });

  it('long chains of unreduced add/sub feeding mul stay correct (ladder-like)', () => {
    const rnd = seededBytes('chain');
    let x = randomFe(rnd);
    let X = toBig(x);
    const y = randomFe(rnd);
    const Y = toBig(y);
    const s = feNew();
    const d = feNew();
    for (let i = 0; i < 200; i++) {
      feAdd(s, x, y);
      feSub(d, x, y);
      const nx = feNew();
      feMul(nx, s, d); // (x + y)(x - y)
      feAdd(nx, nx, s); // + (x + y), unreduced
      x = feNew();
      feMul(x, nx, nx);
      X = mod(((X + Y) * (X - Y) + (X + Y)) ** 2n);
    }
    expect(canon(x)).toBe(X);
  });

  it('invert and pow2523', () => {
    const rnd = seededBytes('inv');
    const o = feNew();
    const t = feNew();
    for (let i = 0; i < 20; i++) {
      const a = i < SPECIAL.length ? fromBig(SPECIAL[i]) : randomFe(rnd);
      const A = mod(toBig(a));
      feInvert(o, a);
      expect(canon(o)).toBe(pow(A, P - 2n));
      if (A !== 0n) {
        feMul(t, o, a);
        expect(canon(t)).toBe(1n);
      }
      fePow2523(o, a);
      expect(canon(o)).toBe(pow(A, (P - 5n) / 8n));
    }
  });

  it('cswap, cmov, isZero, isNegative, equal', () => {
    const a = fromBig(5n);
    const b = fromBig(7n);
    feCswap(a, b, 0);
    expect([canon(a), canon(b)]).toEqual([5n, 7n]);
    feCswap(a, b, 1);
    expect([canon(a), canon(b)]).toEqual([7n, 5n]);
    feCmov(a, b, 0);
    expect(canon(a)).toBe(7n);
    feCmov(a, b, 1);
    expect(canon(a)).toBe(5n);
    expect(feIsZero(fromBig(P))).toBe(1);
    expect(feIsZero(fromBig(0n))).toBe(1);
    expect(feIsZero(fromBig(1n))).toBe(0);
    expect(feIsNegative(fromBig(P + 1n))).toBe(1); // canonical value 1 is odd
    expect(feIsNegative(fromBig(P - 1n))).toBe(0); // p - 1 is even
    expect(feEqual(fromBig(3n), fromBig(P + 3n))).toBe(1);
    expect(feEqual(fromBig(3n), fromBig(4n))).toBe(0);
  });
});
