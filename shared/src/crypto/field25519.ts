/**
 * Arithmetic in GF(p), p = 2^255 - 19, without BigInt (Espruino has none).
 *
 * An element is a Float64Array of 16 limbs, value = sum(l[i] * 2^(16 i)). Every intermediate
 * must stay an exact non-negative integer in a double, and carries use `(v / 2^16) | 0`,
 * which is floor only for 0 <= v < 2^47. So limbs are never negative and bounded:
 *  - "reduced" (output of feMul, feSq, feMulSmall, feNeg, feReduce, feFromBytes): limbs 1..14
 *    in [0, 2^16), limb 15 in [0, 2^15), limb 0 in [0, 2^16 + 19).
 *  - feAdd(a, b): limb-wise sum, no carry (so a sum of k reduced values has limbs < k * 2^16).
 *  - feSub(a, b) = a - b + 4p limb-wise, so it never goes negative; `b` must be reduced or a
 *    sum of at most three reduced values (its limbs must not exceed those of 4p).
 *  - feMul/feSq inputs: limbs in [0, 496000) (~2^18.9). Column k + 38 * column (k + 16) has at
 *    most 1 + 38 * 15 = 571 products, so the sums stay below 571 * 496000^2 < 2^47.
 * Reduction folds 2^256 = 38 and 2^255 = 19 (mod p).
 *
 * Speed on Espruino (an interpreter that re-reads the source as it runs) comes from straight-
 * line code: the product is unrolled column by column into locals, carries are unrolled, and
 * nothing is allocated per call. Measured on Espruino 2v29 for Linux (same machine, same load),
 * one X25519 went from 9.7 s with a loop-based schoolbook multiply to 2.5 s with this.
 *
 * Constant time (as far as an interpreter allows): no branch or array index depends on a
 * limb value; selection uses arithmetic masks. Public-exponent powers (inversion, square root)
 * branch only on the fixed exponent.
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

/** Decode 32 little-endian bytes; bit 255 is ignored (RFC 7748 §5, RFC 8032 §5.1.3). Reduced. */
export function feFromBytes(o: Fe, b: Uint8Array): void {
  for (let i = 0; i < 16; i++) o[i] = b[2 * i] | (b[2 * i + 1] << 8);
  o[15] &= 0x7fff;
}

/**
 * One sequential carry pass: limbs 0..14 keep 16 bits, limb 15 keeps 15 bits, and the carry
 * out of bit 255 comes back into limb 0 times 19. Needs non-negative limbs with every
 * v / 2^16 (v / 2^15 for limb 15) below 2^31. Two passes after a product give a reduced value.
 */
export function feCarry(o: Fe): void {
  let v = o[0];
  let c = (v / 65536) | 0;
  o[0] = v - c * 65536;
  v = o[1] + c;
  c = (v / 65536) | 0;
  o[1] = v - c * 65536;
  v = o[2] + c;
  c = (v / 65536) | 0;
  o[2] = v - c * 65536;
  v = o[3] + c;
  c = (v / 65536) | 0;
  o[3] = v - c * 65536;
  v = o[4] + c;
  c = (v / 65536) | 0;
  o[4] = v - c * 65536;
  v = o[5] + c;
  c = (v / 65536) | 0;
  o[5] = v - c * 65536;
  v = o[6] + c;
  c = (v / 65536) | 0;
  o[6] = v - c * 65536;
  v = o[7] + c;
  c = (v / 65536) | 0;
  o[7] = v - c * 65536;
  v = o[8] + c;
  c = (v / 65536) | 0;
  o[8] = v - c * 65536;
  v = o[9] + c;
  c = (v / 65536) | 0;
  o[9] = v - c * 65536;
  v = o[10] + c;
  c = (v / 65536) | 0;
  o[10] = v - c * 65536;
  v = o[11] + c;
  c = (v / 65536) | 0;
  o[11] = v - c * 65536;
  v = o[12] + c;
  c = (v / 65536) | 0;
  o[12] = v - c * 65536;
  v = o[13] + c;
  c = (v / 65536) | 0;
  o[13] = v - c * 65536;
  v = o[14] + c;
  c = (v / 65536) | 0;
  o[14] = v - c * 65536;
  v = o[15] + c;
  c = (v / 32768) | 0;
  o[15] = v - c * 32768;
  o[0] += 19 * c;
}

/** Bring any non-negative value within the bounds above back to reduced form. */
export function feReduce(o: Fe): void {
  feCarry(o);
  feCarry(o);
}

export function feAdd(o: Fe, a: Fe, b: Fe): void {
  o[0] = a[0] + b[0];
  o[1] = a[1] + b[1];
  o[2] = a[2] + b[2];
  o[3] = a[3] + b[3];
  o[4] = a[4] + b[4];
  o[5] = a[5] + b[5];
  o[6] = a[6] + b[6];
  o[7] = a[7] + b[7];
  o[8] = a[8] + b[8];
  o[9] = a[9] + b[9];
  o[10] = a[10] + b[10];
  o[11] = a[11] + b[11];
  o[12] = a[12] + b[12];
  o[13] = a[13] + b[13];
  o[14] = a[14] + b[14];
  o[15] = a[15] + b[15];
}

/** o = a - b + 4p (limbs of 4p: 0x3ffb4, 0x3fffc x 14, 0x1fffc), never negative. */
export function feSub(o: Fe, a: Fe, b: Fe): void {
  o[0] = a[0] - b[0] + 0x3ffb4;
  o[1] = a[1] - b[1] + 0x3fffc;
  o[2] = a[2] - b[2] + 0x3fffc;
  o[3] = a[3] - b[3] + 0x3fffc;
  o[4] = a[4] - b[4] + 0x3fffc;
  o[5] = a[5] - b[5] + 0x3fffc;
  o[6] = a[6] - b[6] + 0x3fffc;
  o[7] = a[7] - b[7] + 0x3fffc;
  o[8] = a[8] - b[8] + 0x3fffc;
  o[9] = a[9] - b[9] + 0x3fffc;
  o[10] = a[10] - b[10] + 0x3fffc;
  o[11] = a[11] - b[11] + 0x3fffc;
  o[12] = a[12] - b[12] + 0x3fffc;
  o[13] = a[13] - b[13] + 0x3fffc;
  o[14] = a[14] - b[14] + 0x3fffc;
  o[15] = a[15] - b[15] + 0x1fffc;
}

/** o = a * b mod p, reduced. o may alias a or b (all reads happen before the first write). */
export function feMul(o: Fe, a: Fe, b: Fe): void {
  // t_k = sum of a_i * b_j with i + j = k (schoolbook, product scanning).
  const a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
  const b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7], b8 = b[8], b9 = b[9], b10 = b[10], b11 = b[11], b12 = b[12], b13 = b[13], b14 = b[14], b15 = b[15];
  const t0 = a0 * b0;
  const t1 = a0 * b1 + a1 * b0;
  const t2 = a0 * b2 + a1 * b1 + a2 * b0;
  const t3 = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0;
  const t4 = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0;
  const t5 = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0;
  const t6 = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0;
  const t7 = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0;
  const t8 = a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0;
  const t9 = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0;
  const t10 = a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0;
  const t11 = a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0;
  const t12 = a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0;
  const t13 = a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0;
  const t14 = a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0;
  const t15 = a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0;
  const t16 = a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1;
  const t17 = a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2;
  const t18 = a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3;
  const t19 = a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4;
  const t20 = a5 * b15 + a6 * b14 + a7 * b13 + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5;
  const t21 = a6 * b15 + a7 * b14 + a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6;
  const t22 = a7 * b15 + a8 * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7;
  const t23 = a8 * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8;
  const t24 = a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9;
  const t25 = a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10;
  const t26 = a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11;
  const t27 = a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12;
  const t28 = a13 * b15 + a14 * b14 + a15 * b13;
  const t29 = a14 * b15 + a15 * b14;
  const t30 = a15 * b15;
  // Column 16 + i has weight 2^256 * 2^(16 i) = 38 * 2^(16 i) (mod p).
  o[0] = t0 + 38 * t16;
  o[1] = t1 + 38 * t17;
  o[2] = t2 + 38 * t18;
  o[3] = t3 + 38 * t19;
  o[4] = t4 + 38 * t20;
  o[5] = t5 + 38 * t21;
  o[6] = t6 + 38 * t22;
  o[7] = t7 + 38 * t23;
  o[8] = t8 + 38 * t24;
  o[9] = t9 + 38 * t25;
  o[10] = t10 + 38 * t26;
  o[11] = t11 + 38 * t27;
  o[12] = t12 + 38 * t28;
  o[13] = t13 + 38 * t29;
  o[14] = t14 + 38 * t30;
  o[15] = t15;
  feCarry(o);
  feCarry(o);
}

/** o = a^2 mod p: the cross products a_i a_j (i < j) are computed once, against d_i = 2 a_i. */
export function feSq(o: Fe, a: Fe): void {
  const a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
  const d0 = 2 * a0, d1 = 2 * a1, d2 = 2 * a2, d3 = 2 * a3, d4 = 2 * a4, d5 = 2 * a5, d6 = 2 * a6, d7 = 2 * a7, d8 = 2 * a8, d9 = 2 * a9, d10 = 2 * a10, d11 = 2 * a11, d12 = 2 * a12, d13 = 2 * a13, d14 = 2 * a14;
  const t0 = a0 * a0;
  const t1 = d0 * a1;
  const t2 = d0 * a2 + a1 * a1;
  const t3 = d0 * a3 + d1 * a2;
  const t4 = d0 * a4 + d1 * a3 + a2 * a2;
  const t5 = d0 * a5 + d1 * a4 + d2 * a3;
  const t6 = d0 * a6 + d1 * a5 + d2 * a4 + a3 * a3;
  const t7 = d0 * a7 + d1 * a6 + d2 * a5 + d3 * a4;
  const t8 = d0 * a8 + d1 * a7 + d2 * a6 + d3 * a5 + a4 * a4;
  const t9 = d0 * a9 + d1 * a8 + d2 * a7 + d3 * a6 + d4 * a5;
  const t10 = d0 * a10 + d1 * a9 + d2 * a8 + d3 * a7 + d4 * a6 + a5 * a5;
  const t11 = d0 * a11 + d1 * a10 + d2 * a9 + d3 * a8 + d4 * a7 + d5 * a6;
  const t12 = d0 * a12 + d1 * a11 + d2 * a10 + d3 * a9 + d4 * a8 + d5 * a7 + a6 * a6;
  const t13 = d0 * a13 + d1 * a12 + d2 * a11 + d3 * a10 + d4 * a9 + d5 * a8 + d6 * a7;
  const t14 = d0 * a14 + d1 * a13 + d2 * a12 + d3 * a11 + d4 * a10 + d5 * a9 + d6 * a8 + a7 * a7;
  const t15 = d0 * a15 + d1 * a14 + d2 * a13 + d3 * a12 + d4 * a11 + d5 * a10 + d6 * a9 + d7 * a8;
  const t16 = d1 * a15 + d2 * a14 + d3 * a13 + d4 * a12 + d5 * a11 + d6 * a10 + d7 * a9 + a8 * a8;
  const t17 = d2 * a15 + d3 * a14 + d4 * a13 + d5 * a12 + d6 * a11 + d7 * a10 + d8 * a9;
  const t18 = d3 * a15 + d4 * a14 + d5 * a13 + d6 * a12 + d7 * a11 + d8 * a10 + a9 * a9;
  const t19 = d4 * a15 + d5 * a14 + d6 * a13 + d7 * a12 + d8 * a11 + d9 * a10;
  const t20 = d5 * a15 + d6 * a14 + d7 * a13 + d8 * a12 + d9 * a11 + a10 * a10;
  const t21 = d6 * a15 + d7 * a14 + d8 * a13 + d9 * a12 + d10 * a11;
  const t22 = d7 * a15 + d8 * a14 + d9 * a13 + d10 * a12 + a11 * a11;
  const t23 = d8 * a15 + d9 * a14 + d10 * a13 + d11 * a12;
  const t24 = d9 * a15 + d10 * a14 + d11 * a13 + a12 * a12;
  const t25 = d10 * a15 + d11 * a14 + d12 * a13;
  const t26 = d11 * a15 + d12 * a14 + a13 * a13;
  const t27 = d12 * a15 + d13 * a14;
  const t28 = d13 * a15 + a14 * a14;
  const t29 = d14 * a15;
  const t30 = a15 * a15;
  o[0] = t0 + 38 * t16;
  o[1] = t1 + 38 * t17;
  o[2] = t2 + 38 * t18;
  o[3] = t3 + 38 * t19;
  o[4] = t4 + 38 * t20;
  o[5] = t5 + 38 * t21;
  o[6] = t6 + 38 * t22;
  o[7] = t7 + 38 * t23;
  o[8] = t8 + 38 * t24;
  o[9] = t9 + 38 * t25;
  o[10] = t10 + 38 * t26;
  o[11] = t11 + 38 * t27;
  o[12] = t12 + 38 * t28;
  o[13] = t13 + 38 * t29;
  o[14] = t14 + 38 * t30;
  o[15] = t15;
  feCarry(o);
  feCarry(o);
}

/** o = a * k for a small non-negative integer k (< 2^17), e.g. a24 = 121665 (RFC 7748 §5). */
export function feMulSmall(o: Fe, a: Fe, k: number): void {
  for (let i = 0; i < 16; i++) o[i] = a[i] * k;
  feCarry(o);
  feCarry(o);
}

/** Swap a and b iff bit == 1, without branching on bit (bit must be 0 or 1). */
export function feCswap(a: Fe, b: Fe, bit: number): void {
  let d: number;
  d = bit * (a[0] - b[0]);
  a[0] -= d;
  b[0] += d;
  d = bit * (a[1] - b[1]);
  a[1] -= d;
  b[1] += d;
  d = bit * (a[2] - b[2]);
  a[2] -= d;
  b[2] += d;
  d = bit * (a[3] - b[3]);
  a[3] -= d;
  b[3] += d;
  d = bit * (a[4] - b[4]);
  a[4] -= d;
  b[4] += d;
  d = bit * (a[5] - b[5]);
  a[5] -= d;
  b[5] += d;
  d = bit * (a[6] - b[6]);
  a[6] -= d;
  b[6] += d;
  d = bit * (a[7] - b[7]);
  a[7] -= d;
  b[7] += d;
  d = bit * (a[8] - b[8]);
  a[8] -= d;
  b[8] += d;
  d = bit * (a[9] - b[9]);
  a[9] -= d;
  b[9] += d;
  d = bit * (a[10] - b[10]);
  a[10] -= d;
  b[10] += d;
  d = bit * (a[11] - b[11]);
  a[11] -= d;
  b[11] += d;
  d = bit * (a[12] - b[12]);
  a[12] -= d;
  b[12] += d;
  d = bit * (a[13] - b[13]);
  a[13] -= d;
  b[13] += d;
  d = bit * (a[14] - b[14]);
  a[14] -= d;
  b[14] += d;
  d = bit * (a[15] - b[15]);
  a[15] -= d;
  b[15] += d;
}

/** o = bit ? a : o, without branching on bit. */
export function feCmov(o: Fe, a: Fe, bit: number): void {
  for (let i = 0; i < 16; i++) o[i] += bit * (a[i] - o[i]);
}

const N = new Float64Array(16);
const M = new Float64Array(16);

/**
 * Canonical 32-byte little-endian encoding (value fully reduced into [0, p)). Accepts any
 * limbs that are exact integers (negative too): three carry passes with Math.floor that fold
 * at 2^255 leave canonical limbs and a value in [0, 2^255); one conditional subtraction of p
 * then gives [0, p).
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
  const m = M;
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
const B32b = new Uint8Array(32);

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

/** 1 if a == b (mod p) else 0 (compares canonical encodings). */
export function feEqual(a: Fe, b: Fe): number {
  feToBytes(B32, a);
  feToBytes(B32b, b);
  let d = 0;
  for (let i = 0; i < 32; i++) d |= B32[i] ^ B32b[i];
  return ((d - 1) >>> 31) & 1;
}

const ZERO = new Float64Array(16);

/** o = -a mod p (as 4p - a, then reduced). `a` must be valid as feSub's `b`. */
export function feNeg(o: Fe, a: Fe): void {
  feSub(o, ZERO, a);
  feReduce(o);
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
 * Shared addition chain (Curve25519 paper, Bernstein 2006): sets Z11 = z^11 and
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
