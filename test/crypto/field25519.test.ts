import { describe, it, expect } from 'vitest';
import {
  Fe, feNew, feFromBytes, feToBytes, feAdd, feSub, feMul, feSq, feMulSmall, feCswap, feCmov,
  feInvert, fePow2523, feIsZero, feIsNegative, feEqual, feNeg,
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

  it('stays exact at the documented limb bounds (feMul inputs < 496000, feSub of 3-term sums)', () => {
    const max = feNew();
    const mixed = feNew();
    for (let i = 0; i < 16; i++) {
      max[i] = 495999;
      mixed[i] = i % 2 ? 495999 : 0;
    }
    const o = feNew();
    for (const [a, b] of [[max, max], [mixed, max], [mixed, mixed]]) {
      feMul(o, a, b);
      expect(canon(o)).toBe(mod(toBig(a) * toBig(b)));
      feSq(o, a);
      expect(canon(o)).toBe(mod(toBig(a) * toBig(a)));
    }
    // Worst subtrahend allowed by feSub: a sum of three reduced values, each at its limb maximum.
    const red = feNew();
    for (let i = 0; i < 16; i++) red[i] = i === 0 ? 65535 + 18 : i === 15 ? 32767 : 65535;
    const three = feNew();
    feAdd(three, red, red);
    feAdd(three, three, red);
    const s = feNew();
    feSub(s, fromBig(0n), three);
    for (let i = 0; i < 16; i++) expect(s[i]).toBeGreaterThanOrEqual(0);
    expect(canon(s)).toBe(mod(-3n * toBig(red)));
    // ... and the largest feSub output (minuend also a 3-term sum) is still a valid feMul input.
    feSub(s, three, fromBig(0n));
    for (let i = 0; i < 16; i++) expect(s[i]).toBeLessThan(496000);
    feMul(o, s, s);
    expect(canon(o)).toBe(mod(toBig(s) * toBig(s)));
  });

  it('every operation returns reduced limbs (the bounds the next operation relies on)', () => {
    const rnd = seededBytes('bounds');
    const isReduced = (x: Fe) => {
      for (let i = 0; i < 16; i++) {
        const max = i === 0 ? 65536 + 19 : i === 15 ? 32768 : 65536;
        if (!(x[i] >= 0 && x[i] < max && Number.isInteger(x[i]))) return false;
      }
      return true;
    };
    const o = feNew();
    for (let n = 0; n < 200; n++) {
      const a = randomFe(rnd);
      const b = randomFe(rnd);
      const s = feNew();
      feSub(s, a, b);
      feMul(o, s, s);
      expect(isReduced(o)).toBe(true);
      feSq(o, s);
      expect(isReduced(o)).toBe(true);
      feMulSmall(o, s, 121665);
      expect(isReduced(o)).toBe(true);
      feNeg(o, a);
      expect(isReduced(o)).toBe(true);
      expect(canon(o)).toBe(mod(-toBig(a)));
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
