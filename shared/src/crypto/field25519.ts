/**
 * Arithmetic in GF(p), p = 2^255 - 19, without BigInt (Espruino has none).
 *
 * An element is a Float64Array of 16 limbs, value = sum(l[i] * 2^(16 i)). Limbs are kept
 * small enough that every intermediate is an exact integer in a double (< 2^53):
 *  - after feMul/feSq/feMulSmall/feCarry: limbs in [-38, 2^16 + 38)
 *  - after feAdd/feSub of such values: |limb| < 2^17 + 76
 *  - feMul accepts inputs with |limb| < 2^18: column sums stay < 16 * 2^36 * 39 < 2^46.
 * Reduction uses 2^256 = 2 * 2^255 = 38 (mod p).
 *
 * Constant time (as far as an interpreter allows): no branch or array index depends on a
 * limb value; carries use Math.floor on exact integers and selection uses arithmetic masks.
 * Public-exponent powers (inversion, square root) branch only on the fixed exponent.
 */

export type Fe = Float64Array;

export function feNew(init?: ArrayLike<number>): Fe {
  const o = new Float64Array(16);
  if (init) for (let i = 0; i < 16 && i < init.length; i++) o[i] = init[i];
  return o;
}

export function feCopy(o: Fe, a: Fe): void {
  o.set(a);
}

export function feZero(o: Fe): void {
  o.fill(0);
}

export function feOne(o: Fe): void {
  o.fill(0);
  o[0] = 1;
}

/** Decode 32 little-endian bytes; the top bit (bit 255) is ignored (RFC 7748 §5, RFC 8032 §5.1.3). */
export function feFromBytes(o: Fe, b: Uint8Array): void {
  for (let i = 0; i < 16; i++) o[i] = b[2 * i] | (b[2 * i + 1] << 8);
  o[15] &= 0x7fff;
}

/**
 * One sequential carry pass with the wrap at 2^256 folded back as 38. Brings limbs 1..15 into
 * [0, 2^16); limb 0 receives 38 * carry. Two passes after a multiplication give the bounds above.
 */
export function feCarry(o: Fe): void {
  let c = 0;
  for (let i = 0; i < 16; i++) {
    const v = o[i] + c;
    c = Math.floor(v / 65536);
    o[i] = v - c * 65536;
  }
  o[0] += 38 * c;
}

export function feAdd(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] + b[i];
}

export function feSub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] - b[i];
}

/** Product columns, reused by every multiplication (no allocation per call). */
const T = new Float64Array(31);

/** o = a * b mod p. o may alias a or b. */
export function feMul(o: Fe, a: Fe, b: Fe): void {
  const t = T;
  t.fill(0);
  const b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7];
  const b8 = b[8], b9 = b[9], b10 = b[10], b11 = b[11], b12 = b[12], b13 = b[13], b14 = b[14], b15 = b[15];
  // Schoolbook: row i adds a[i] * b into columns i..i+15 (inner loop unrolled for the interpreter).
  for (let i = 0; i < 16; i++) {
    const ai = a[i];
    t[i] += ai * b0;
    t[i + 1] += ai * b1;
    t[i + 2] += ai * b2;
    t[i + 3] += ai * b3;
    t[i + 4] += ai * b4;
    t[i + 5] += ai * b5;
    t[i + 6] += ai * b6;
    t[i + 7] += ai * b7;
    t[i + 8] += ai * b8;
    t[i + 9] += ai * b9;
    t[i + 10] += ai * b10;
    t[i + 11] += ai * b11;
    t[i + 12] += ai * b12;
    t[i + 13] += ai * b13;
    t[i + 14] += ai * b14;
    t[i + 15] += ai * b15;
  }
  // Column 16 + i has weight 2^256 * 2^(16 i) = 38 * 2^(16 i).
  for (let i = 0; i < 15; i++) o[i] = t[i] + 38 * t[i + 16];
  o[15] = t[15];
  feCarry(o);
  feCarry(o);
}

export function feSq(o: Fe, a: Fe): void {
  feMul(o, a, a);
}

/** o = a * k for a small non-negative integer k (< 2^20), e.g. a24 = 121665 (RFC 7748 §5). */
export function feMulSmall(o: Fe, a: Fe, k: number): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] * k;
  feCarry(o);
  feCarry(o);
}

/** Swap a and b iff bit == 1, without branching on bit (bit must be 0 or 1). */
export function feCswap(a: Fe, b: Fe, bit: number): void {
  for (let i = 0; i < 16; i++) {
    const d = bit * (a[i] - b[i]);
    a[i] -= d;
    b[i] += d;
  }
}

/** o = bit ? a : o, without branching on bit. */
export function feCmov(o: Fe, a: Fe, bit: number): void {
  for (let i = 0; i < 16; i++) o[i] += bit * (a[i] - o[i]);
}

const N = new Float64Array(16);

/**
 * Canonical 32-byte little-endian encoding (value fully reduced into [0, p)).
 * Three carry passes that fold at 2^255 (2^255 = 19) leave canonical limbs and a value in
 * [0, 2^255); one conditional subtraction of p then gives [0, p).
 */
export function feToBytes(out: Uint8Array, a: Fe): void {
  const t = N;
  t.set(a);
  for (let pass = 0; pass < 3; pass++) {
    let c = 0;
    for (let i = 0; i < 15; i++) {
      const v = t[i] + c;
      c = Math.floor(v / 65536);
      t[i] = v - c * 65536;
    }
    const v = t[15] + c;
    c = Math.floor(v / 32768);
    t[15] = v - c * 32768;
    t[0] += 19 * c;
  }
  // m = t - p, limbs of p: 0xffed, 0xffff x 14, 0x7fff. borrow is 0 or 1, computed arithmetically.
  const m = T; // scratch (first 16 entries)
  let borrow = 0;
  for (let i = 0; i < 15; i++) {
    const v = t[i] - (i === 0 ? 0xffed : 0xffff) - borrow;
    borrow = -Math.floor(v / 65536);
    m[i] = v + borrow * 65536;
  }
  const v15 = t[15] - 0x7fff - borrow;
  borrow = -Math.floor(v15 / 32768);
  m[15] = v15 + borrow * 32768;
  // borrow == 1 means t < p: keep t; otherwise take m.
  const takeM = 1 - borrow;
  for (let i = 0; i < 16; i++) {
    const l = t[i] + takeM * (m[i] - t[i]);
    out[2 * i] = l & 0xff;
    out[2 * i + 1] = l >>> 8;
  }
  t.fill(0);
  m.fill(0);
}

const B32 = new Uint8Array(32);

/** 1 if a == 0 (mod p) else 0; constant time over the canonical encoding. */
export function feIsZero(a: Fe): number {
  feToBytes(B32, a);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= B32[i];
  return ((d - 1) >>> 31) & 1;
}

/** Low bit of the canonical encoding (the "sign" of RFC 8032 §5.1.2). */
export function feIsNegative(a: Fe): number {
  feToBytes(B32, a);
  return B32[0] & 1;
}

/** 1 if a == b (mod p) else 0. */
export function feEqual(a: Fe, b: Fe): number {
  const d = new Float64Array(16);
  feSub(d, a, b);
  return feIsZero(d);
}

export function feNeg(o: Fe, a: Fe): void {
  for (let i = 0; i < 16; i++) o[i] = -a[i];
  feCarry(o);
  feCarry(o);
}

/** o = a^(2^n) by n squarings. */
function sqn(o: Fe, a: Fe, n: number): void {
  feSq(o, a);
  for (let i = 1; i < n; i++) feSq(o, o);
}

const C0 = new Float64Array(16);
const C1 = new Float64Array(16);
const C2 = new Float64Array(16);
const Z11 = new Float64Array(16);
const Z250 = new Float64Array(16);

/**
 * Shared addition chain (Curve25519 paper, §5 of Bernstein 2006): sets Z11 = z^11 and
 * Z250 = z^(2^250 - 1) using 250 squarings and 10 multiplications.
 */
function chain250(z: Fe): void {
  sqn(C0, z, 1); // z^2
  sqn(C1, C0, 2); // z^8
  feMul(C1, C1, z); // z^9
  feMul(Z11, C1, C0); // z^11
  sqn(C0, Z11, 1); // z^22
  feMul(C0, C0, C1); // z^(2^5 - 1)
  sqn(C1, C0, 5);
  feMul(C1, C1, C0); // z^(2^10 - 1)
  sqn(C2, C1, 10);
  feMul(C2, C2, C1); // z^(2^20 - 1)
  sqn(Z250, C2, 20);
  feMul(Z250, Z250, C2); // z^(2^40 - 1)
  sqn(Z250, Z250, 10);
  feMul(C0, Z250, C1); // z^(2^50 - 1)
  sqn(C1, C0, 50);
  feMul(C1, C1, C0); // z^(2^100 - 1)
  sqn(C2, C1, 100);
  feMul(C2, C2, C1); // z^(2^200 - 1)
  sqn(C2, C2, 50);
  feMul(Z250, C2, C0); // z^(2^250 - 1)
}

/** o = a^(p-2) = a^-1 (and 0 for a = 0). p - 2 = (2^250 - 1) * 2^5 + 11. */
export function feInvert(o: Fe, a: Fe): void {
  chain250(a);
  sqn(C0, Z250, 5);
  feMul(o, C0, Z11);
  wipeChain();
}

/** o = a^((p-5)/8) = a^(2^252 - 3), used for square roots (RFC 8032 §5.1.3). (2^250-1)*4 + 1. */
export function fePow2523(o: Fe, a: Fe): void {
  chain250(a);
  sqn(C0, Z250, 2);
  feMul(o, C0, a);
  wipeChain();
}

function wipeChain(): void {
  C0.fill(0);
  C1.fill(0);
  C2.fill(0);
  Z11.fill(0);
  Z250.fill(0);
}
