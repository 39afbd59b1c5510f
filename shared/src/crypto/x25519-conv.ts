/**
 * The X25519 ladder (RFC 7748 §5) for Espruino, where the field's products run on the native
 * E.convolve (field25519.ts, CONV); Node and the emulated board run the ladder in x25519.ts.
 * Same results and the same constant-time rules; this one is shaped for the interpreter, whose
 * cost follows the tokens it executes and the values they create (measured as instruction
 * counts), far more than the arithmetic itself:
 *  - operands and layouts are Int32Array (E.convolve reads 32-bit integers faster than doubles);
 *  - one E.convolve call costs about as much as reading two typed-array elements, so small
 *    ones do the sums: each limb of A, B, C and D (with the swap) is one call on the
 *    interleaved state, and each carried limb one call on three 16-bit pieces;
 *  - DA + CB and DA - CB come straight from the convolutions: one E.convolve of
 *    [D | 0 x 15 | C] against [R(A) | R(B)] is a column of DA + CB, so neither product is carried
 *    on its own and the sum and difference are never formed limb by limb;
 *  - every carry writes its result in the form its next use needs (limbs, a layout, or both),
 *    so no layout is built from a finished value; E and F = AA + a24 E are formed in one pass;
 *  - the inversion (Curve25519 paper's addition chain) keeps each value as limbs and layout.
 * Bounds (field25519's header; every column stays below 2^48 so the piece carry is exact; a
 * folded column has at most 571 products):
 *  - A, C: sums of two reduced values (limbs <= 393290); B, D, E: reduced - reduced + 8p
 *    (<= 458785); x1 < 2^16; AA, BB, S, T, F and every carried value: reduced.
 *  - DA + CB: two columns of at most 571 * 393290 * 458785 < 1.031e14 each, sum < 2^48.
 *  - CB - DA + 2^29 * 8p (limbs of SUB_K times 2^29, each >= 1.406e14 > 1.031e14): positive
 *    and below 2.44e14 < 2^48; 2^29 * 8p is 0 mod p, so T = CB - DA and T^2 = (DA - CB)^2.
 *  - The carry's limbs 0 and 1 use `v & 65535` and `v >> 16`: v < 65535 + 38 * 2 * 65535 < 2^31.
 *  - F = AA + 121665 E: limbs below 196645 + 121665 * 458785 < 2^36.
 * Constant time: the swap bit only multiplies; no index or branch depends on a secret (the
 * sums skipped in the first and last steps depend on the loop index only).
 */
import { type Convolve, type Fe, type Field } from './field25519';

type I32 = Int32Array;

/**
 * The ladder's steps, made per X25519 call with the ladder (on Espruino a function costs
 * variables for as long as it exists); exported for the tests of their bounds.
 */
export function makeConvParts() {
  /**
   * The start of a ladder step with the conditional swap folded in (RFC 7748 §5). The state is
   * interleaved, st[4i .. 4i + 3] = (x2_i, z2_i, x3_i, z3_i), and S_i views those four, so
   * each limb of A = x2 + z2, B = x2 - z2, C = x3 + z3 and D = x3 - z3, with (x2, z2, x3, z3)
   * swapped iff s == 1, is one E.convolve of S_i against weights (A: (1-s, 1-s, s, s) etc.):
   * the swap is arithmetic, s only multiplies (in the weights). Differences get + 8p (SUB_K, as
   * feSub: never negative). Writes A and B (xa, xb), the layout y = [R(A) | R(B)] (31 entries
   * each, see feLayout) and z = [D | 0 x 15 | C | 0 x 15 | -D]: one E.convolve of z[0..47)
   * against y is a column of DA + CB, and one of z[31..78) against y, read from 31 further on
   * (E.convolve wraps around y), a column of CB - DA.
   */
  function makeInputs(st: I32, cv: Convolve) {
    const B = st.buffer, o = st.byteOffset;
    const WA = new Int8Array(4), WB = new Int8Array(4), WC = new Int8Array(4), WD = new Int8Array(4);
    const S0 = new Int32Array(B, o + 0, 4);
    const S1 = new Int32Array(B, o + 16, 4);
    const S2 = new Int32Array(B, o + 32, 4);
    const S3 = new Int32Array(B, o + 48, 4);
    const S4 = new Int32Array(B, o + 64, 4);
    const S5 = new Int32Array(B, o + 80, 4);
    const S6 = new Int32Array(B, o + 96, 4);
    const S7 = new Int32Array(B, o + 112, 4);
    const S8 = new Int32Array(B, o + 128, 4);
    const S9 = new Int32Array(B, o + 144, 4);
    const S10 = new Int32Array(B, o + 160, 4);
    const S11 = new Int32Array(B, o + 176, 4);
    const S12 = new Int32Array(B, o + 192, 4);
    const S13 = new Int32Array(B, o + 208, 4);
    const S14 = new Int32Array(B, o + 224, 4);
    const S15 = new Int32Array(B, o + 240, 4);
    return function (s: number, xa: I32, xb: I32, y: I32, z: I32): void {
      const r = 1 - s;
      WA[0] = WA[1] = WC[2] = WC[3] = WB[0] = WD[2] = r;
      WA[2] = WA[3] = WC[0] = WC[1] = WB[2] = WD[0] = s;
      WB[1] = WD[3] = -r;
      WB[3] = WD[1] = -s;
      y[15] = xa[0] = cv(WA, S0, 0);
      z[31] = cv(WC, S0, 0);
      y[46] = xb[0] = cv(WB, S0, 0) + 261992;
      z[62] = -(z[0] = cv(WD, S0, 0) + 261992);
      y[30] = 38 * (y[14] = xa[1] = cv(WA, S1, 0));
      z[32] = cv(WC, S1, 0);
      y[61] = 38 * (y[45] = xb[1] = cv(WB, S1, 0) + 262140);
      z[63] = -(z[1] = cv(WD, S1, 0) + 262140);
      y[29] = 38 * (y[13] = xa[2] = cv(WA, S2, 0));
      z[33] = cv(WC, S2, 0);
      y[60] = 38 * (y[44] = xb[2] = cv(WB, S2, 0) + 262140);
      z[64] = -(z[2] = cv(WD, S2, 0) + 262140);
      y[28] = 38 * (y[12] = xa[3] = cv(WA, S3, 0));
      z[34] = cv(WC, S3, 0);
      y[59] = 38 * (y[43] = xb[3] = cv(WB, S3, 0) + 262140);
      z[65] = -(z[3] = cv(WD, S3, 0) + 262140);
      y[27] = 38 * (y[11] = xa[4] = cv(WA, S4, 0));
      z[35] = cv(WC, S4, 0);
      y[58] = 38 * (y[42] = xb[4] = cv(WB, S4, 0) + 262140);
      z[66] = -(z[4] = cv(WD, S4, 0) + 262140);
      y[26] = 38 * (y[10] = xa[5] = cv(WA, S5, 0));
      z[36] = cv(WC, S5, 0);
      y[57] = 38 * (y[41] = xb[5] = cv(WB, S5, 0) + 262140);
      z[67] = -(z[5] = cv(WD, S5, 0) + 262140);
      y[25] = 38 * (y[9] = xa[6] = cv(WA, S6, 0));
      z[37] = cv(WC, S6, 0);
      y[56] = 38 * (y[40] = xb[6] = cv(WB, S6, 0) + 262140);
      z[68] = -(z[6] = cv(WD, S6, 0) + 262140);
      y[24] = 38 * (y[8] = xa[7] = cv(WA, S7, 0));
      z[38] = cv(WC, S7, 0);
      y[55] = 38 * (y[39] = xb[7] = cv(WB, S7, 0) + 262140);
      z[69] = -(z[7] = cv(WD, S7, 0) + 262140);
      y[23] = 38 * (y[7] = xa[8] = cv(WA, S8, 0));
      z[39] = cv(WC, S8, 0);
      y[54] = 38 * (y[38] = xb[8] = cv(WB, S8, 0) + 262140);
      z[70] = -(z[8] = cv(WD, S8, 0) + 262140);
      y[22] = 38 * (y[6] = xa[9] = cv(WA, S9, 0));
      z[40] = cv(WC, S9, 0);
      y[53] = 38 * (y[37] = xb[9] = cv(WB, S9, 0) + 262140);
      z[71] = -(z[9] = cv(WD, S9, 0) + 262140);
      y[21] = 38 * (y[5] = xa[10] = cv(WA, S10, 0));
      z[41] = cv(WC, S10, 0);
      y[52] = 38 * (y[36] = xb[10] = cv(WB, S10, 0) + 262140);
      z[72] = -(z[10] = cv(WD, S10, 0) + 262140);
      y[20] = 38 * (y[4] = xa[11] = cv(WA, S11, 0));
      z[42] = cv(WC, S11, 0);
      y[51] = 38 * (y[35] = xb[11] = cv(WB, S11, 0) + 262140);
      z[73] = -(z[11] = cv(WD, S11, 0) + 262140);
      y[19] = 38 * (y[3] = xa[12] = cv(WA, S12, 0));
      z[43] = cv(WC, S12, 0);
      y[50] = 38 * (y[34] = xb[12] = cv(WB, S12, 0) + 262140);
      z[74] = -(z[12] = cv(WD, S12, 0) + 262140);
      y[18] = 38 * (y[2] = xa[13] = cv(WA, S13, 0));
      z[44] = cv(WC, S13, 0);
      y[49] = 38 * (y[33] = xb[13] = cv(WB, S13, 0) + 262140);
      z[75] = -(z[13] = cv(WD, S13, 0) + 262140);
      y[17] = 38 * (y[1] = xa[14] = cv(WA, S14, 0));
      z[45] = cv(WC, S14, 0);
      y[48] = 38 * (y[32] = xb[14] = cv(WB, S14, 0) + 262140);
      z[76] = -(z[14] = cv(WD, S14, 0) + 262140);
      y[16] = 38 * (y[0] = xa[15] = cv(WA, S15, 0));
      z[46] = cv(WC, S15, 0);
      y[47] = 38 * (y[31] = xb[15] = cv(WB, S15, 0) + 262140);
      z[77] = -(z[15] = cv(WD, S15, 0) + 262140);
    };
  }
  /**
   * E = AA - BB + 8p (as feSub; BB is reduced, read from its layout: rbb[15 - k] = BB_k) into e,
   * and the columns of F = AA + a24 E + 2^52 (a24 = 121665, RFC 7748 §5) into f for the carry.
   */
  function ef(aa: I32, rbb: I32, e: I32, f: Fe): void {
    const m = 4503599627370496;
    f[0] = aa[0] + 121665 * (e[0] = aa[0] - rbb[15] + 261992) + m;
    f[1] = aa[1] + 121665 * (e[1] = aa[1] - rbb[14] + 262140) + m;
    f[2] = aa[2] + 121665 * (e[2] = aa[2] - rbb[13] + 262140) + m;
    f[3] = aa[3] + 121665 * (e[3] = aa[3] - rbb[12] + 262140) + m;
    f[4] = aa[4] + 121665 * (e[4] = aa[4] - rbb[11] + 262140) + m;
    f[5] = aa[5] + 121665 * (e[5] = aa[5] - rbb[10] + 262140) + m;
    f[6] = aa[6] + 121665 * (e[6] = aa[6] - rbb[9] + 262140) + m;
    f[7] = aa[7] + 121665 * (e[7] = aa[7] - rbb[8] + 262140) + m;
    f[8] = aa[8] + 121665 * (e[8] = aa[8] - rbb[7] + 262140) + m;
    f[9] = aa[9] + 121665 * (e[9] = aa[9] - rbb[6] + 262140) + m;
    f[10] = aa[10] + 121665 * (e[10] = aa[10] - rbb[5] + 262140) + m;
    f[11] = aa[11] + 121665 * (e[11] = aa[11] - rbb[4] + 262140) + m;
    f[12] = aa[12] + 121665 * (e[12] = aa[12] - rbb[3] + 262140) + m;
    f[13] = aa[13] + 121665 * (e[13] = aa[13] - rbb[2] + 262140) + m;
    f[14] = aa[14] + 121665 * (e[14] = aa[14] - rbb[1] + 262140) + m;
    f[15] = aa[15] + 121665 * (e[15] = aa[15] - rbb[0] + 262140) + m;
  }
  /** Columns t_k + 2^52 of x * y into f (field25519: CONV); y is the layout of the second factor. */
  function cols(f: Fe, cv: Convolve, x: I32, y: I32): void {
    const m = 4503599627370496;
    f[0] = cv(x, y, 15) + m;
    f[1] = cv(x, y, 14) + m;
    f[2] = cv(x, y, 13) + m;
    f[3] = cv(x, y, 12) + m;
    f[4] = cv(x, y, 11) + m;
    f[5] = cv(x, y, 10) + m;
    f[6] = cv(x, y, 9) + m;
    f[7] = cv(x, y, 8) + m;
    f[8] = cv(x, y, 7) + m;
    f[9] = cv(x, y, 6) + m;
    f[10] = cv(x, y, 5) + m;
    f[11] = cv(x, y, 4) + m;
    f[12] = cv(x, y, 3) + m;
    f[13] = cv(x, y, 2) + m;
    f[14] = cv(x, y, 1) + m;
    f[15] = cv(x, y, 0) + m;
  }
  /** Columns of CB - DA (z[31..78) against y, read from 31 on) plus 2^29 * 8p (limbs of SUB_K times 2^29) + 2^52. */
  function colsT(f: Fe, cv: Convolve, x: I32, y: I32): void {
    const b0 = 4644255511347200, b = 4644334968242176;
    f[0] = cv(x, y, 46) + b0;
    f[1] = cv(x, y, 45) + b;
    f[2] = cv(x, y, 44) + b;
    f[3] = cv(x, y, 43) + b;
    f[4] = cv(x, y, 42) + b;
    f[5] = cv(x, y, 41) + b;
    f[6] = cv(x, y, 40) + b;
    f[7] = cv(x, y, 39) + b;
    f[8] = cv(x, y, 38) + b;
    f[9] = cv(x, y, 37) + b;
    f[10] = cv(x, y, 36) + b;
    f[11] = cv(x, y, 35) + b;
    f[12] = cv(x, y, 34) + b;
    f[13] = cv(x, y, 33) + b;
    f[14] = cv(x, y, 32) + b;
    f[15] = cv(x, y, 31) + b;
  }
  /**
   * The carries (field25519's header: limb k is the sum of pieces u[4k], u[4k-3] and u[4k-6] of
   * the columns' 16-bit pieces, limbs 0 and 1 with the fold 2^256 = 38 and two sequential steps).
   * Limbs 2..15 take their three pieces in one E.convolve each: V_k views u[4k-6 .. 4k] and
   * P = (1, 0, 0, 1, 0, 0, 1) picks pieces 0, 3 and 6 of it (on the interpreter that is cheaper
   * than three element reads). Each carry writes the form the value's next use needs.
   */
  function makeCarries(u: Uint16Array, cv: Convolve) {
    const P = new Uint8Array([1, 0, 0, 1, 0, 0, 1]);
    const B = u.buffer;
    const V2 = new Uint16Array(B, 4, 7);
    const V3 = new Uint16Array(B, 12, 7);
    const V4 = new Uint16Array(B, 20, 7);
    const V5 = new Uint16Array(B, 28, 7);
    const V6 = new Uint16Array(B, 36, 7);
    const V7 = new Uint16Array(B, 44, 7);
    const V8 = new Uint16Array(B, 52, 7);
    const V9 = new Uint16Array(B, 60, 7);
    const V10 = new Uint16Array(B, 68, 7);
    const V11 = new Uint16Array(B, 76, 7);
    const V12 = new Uint16Array(B, 84, 7);
    const V13 = new Uint16Array(B, 92, 7);
    const V14 = new Uint16Array(B, 100, 7);
    const V15 = new Uint16Array(B, 108, 7);
    /** o = the carried columns (limbs). */
    function cN(u: Uint16Array, o: I32): void {
      let v = u[0] + 38 * (u[61] + u[58]);
      o[0] = v & 65535;
      v = u[4] + u[1] + 38 * u[62] + (v >> 16);
      o[1] = v & 65535;
      o[2] = cv(P, V2, 0) + (v >> 16);
      o[3] = cv(P, V3, 0);
      o[4] = cv(P, V4, 0);
      o[5] = cv(P, V5, 0);
      o[6] = cv(P, V6, 0);
      o[7] = cv(P, V7, 0);
      o[8] = cv(P, V8, 0);
      o[9] = cv(P, V9, 0);
      o[10] = cv(P, V10, 0);
      o[11] = cv(P, V11, 0);
      o[12] = cv(P, V12, 0);
      o[13] = cv(P, V13, 0);
      o[14] = cv(P, V14, 0);
      o[15] = cv(P, V15, 0);
    }
    /** As cN, written as a layout r (feLayout) only. */
    function cL(u: Uint16Array, r: I32): void {
      let v = u[0] + 38 * (u[61] + u[58]);
      r[15] = v & 65535;
      v = u[4] + u[1] + 38 * u[62] + (v >> 16);
      r[30] = 38 * (r[14] = v & 65535);
      r[29] = 38 * (r[13] = cv(P, V2, 0) + (v >> 16));
      r[28] = 38 * (r[12] = cv(P, V3, 0));
      r[27] = 38 * (r[11] = cv(P, V4, 0));
      r[26] = 38 * (r[10] = cv(P, V5, 0));
      r[25] = 38 * (r[9] = cv(P, V6, 0));
      r[24] = 38 * (r[8] = cv(P, V7, 0));
      r[23] = 38 * (r[7] = cv(P, V8, 0));
      r[22] = 38 * (r[6] = cv(P, V9, 0));
      r[21] = 38 * (r[5] = cv(P, V10, 0));
      r[20] = 38 * (r[4] = cv(P, V11, 0));
      r[19] = 38 * (r[3] = cv(P, V12, 0));
      r[18] = 38 * (r[2] = cv(P, V13, 0));
      r[17] = 38 * (r[1] = cv(P, V14, 0));
      r[16] = 38 * (r[0] = cv(P, V15, 0));
    }
    /** As cN, written both as limbs o and as a layout r. */
    function cNL(u: Uint16Array, o: I32, r: I32): void {
      let v = u[0] + 38 * (u[61] + u[58]);
      r[15] = o[0] = v & 65535;
      v = u[4] + u[1] + 38 * u[62] + (v >> 16);
      r[30] = 38 * (r[14] = o[1] = v & 65535);
      r[29] = 38 * (r[13] = o[2] = cv(P, V2, 0) + (v >> 16));
      r[28] = 38 * (r[12] = o[3] = cv(P, V3, 0));
      r[27] = 38 * (r[11] = o[4] = cv(P, V4, 0));
      r[26] = 38 * (r[10] = o[5] = cv(P, V5, 0));
      r[25] = 38 * (r[9] = o[6] = cv(P, V6, 0));
      r[24] = 38 * (r[8] = o[7] = cv(P, V7, 0));
      r[23] = 38 * (r[7] = o[8] = cv(P, V8, 0));
      r[22] = 38 * (r[6] = o[9] = cv(P, V9, 0));
      r[21] = 38 * (r[5] = o[10] = cv(P, V10, 0));
      r[20] = 38 * (r[4] = o[11] = cv(P, V11, 0));
      r[19] = 38 * (r[3] = o[12] = cv(P, V12, 0));
      r[18] = 38 * (r[2] = o[13] = cv(P, V13, 0));
      r[17] = 38 * (r[1] = o[14] = cv(P, V14, 0));
      r[16] = 38 * (r[0] = o[15] = cv(P, V15, 0));
    }
    /** As cN, written as o[4k] (o views the interleaved state from one of its four values). */
    function cN4(u: Uint16Array, o: I32): void {
      let v = u[0] + 38 * (u[61] + u[58]);
      o[0] = v & 65535;
      v = u[4] + u[1] + 38 * u[62] + (v >> 16);
      o[4] = v & 65535;
      o[8] = cv(P, V2, 0) + (v >> 16);
      o[12] = cv(P, V3, 0);
      o[16] = cv(P, V4, 0);
      o[20] = cv(P, V5, 0);
      o[24] = cv(P, V6, 0);
      o[28] = cv(P, V7, 0);
      o[32] = cv(P, V8, 0);
      o[36] = cv(P, V9, 0);
      o[40] = cv(P, V10, 0);
      o[44] = cv(P, V11, 0);
      o[48] = cv(P, V12, 0);
      o[52] = cv(P, V13, 0);
      o[56] = cv(P, V14, 0);
      o[60] = cv(P, V15, 0);
    }
    return { n: cN, l: cL, nl: cNL, n4: cN4 };
  }
  return { makeInputs: makeInputs, ef: ef, cols: cols, colsT: colsT, makeCarries: makeCarries };
}

/**
 * x25519(k, u) on field F whose products use cv (F's E.convolve). The returned function clamps k,
 * masks u's top bit, runs 255 fixed ladder steps and overwrites everything it used.
 */
export function makeConvLadder(F: Field, cv: Convolve): (scalar: Uint8Array, u: Uint8Array) => Uint8Array {
  const parts = makeConvParts();
  const makeInputs = parts.makeInputs, ef = parts.ef, cols = parts.cols, colsT = parts.colsT;
  const makeCarries = parts.makeCarries;

  function x25519(scalar: Uint8Array, uIn: Uint8Array): Uint8Array {
    // The names the ladder loop uses most are declared first: the interpreter finds a name by
    // a linear search of the function's scope, in declaration order.
    const w = F.feColumns();
    const c = cols, v = cv, f = w.f, u = w.u;
    const C = makeCarries(u, cv);
    const n4 = C.n4, nl = C.nl, n = C.n, l = C.l, cT = colsT, g = ef;
    // Ladder state and temporaries in one Int32Array, allocated per call (an idle PDA holds
    // none) and overwritten before returning.
    const I = new Int32Array(16 * 9 + 64 + 31 * 5 + 62 + 78 + 47 * 6);
    const b = I.buffer;
    let at = 0;
    function take(n: number): I32 {
      const v = new Int32Array(b, at * 4, n);
      at += n;
      return v;
    }
    // The state (x2, z2, x3, z3) interleaved (see makeInputs); st0..st3 view it from each value.
    const st = take(64);
    const st0 = st, st1 = new Int32Array(b, 4, 63), st2 = new Int32Array(b, 8, 62), st3 = new Int32Array(b, 12, 61);
    const xa = take(16), xb = take(16), aa = take(16), s = take(16), t = take(16), e = take(16), tt = take(16);
    const x2 = take(16), z2 = take(16);
    const rbb = take(31), rs = take(31), rt = take(31), rf = take(31), rx1 = take(31);
    const y = take(62);
    const yb = new Int32Array(b, (at - 31) * 4, 31);
    const z = take(78);
    const xp = new Int32Array(b, (at - 78) * 4, 47);
    const xm = new Int32Array(b, (at - 47) * 4, 47);
    const K = new Uint8Array(scalar);
    K[0] &= 248;
    K[31] &= 127;
    K[31] |= 64;
    const x1f = F.feNew();
    F.feFromBytes(x1f, uIn);
    for (let i = 0; i < 16; i++) {
      st[4 * i + 2] = x1f[i];
      rx1[15 - i] = x1f[i];
      if (i > 0) rx1[31 - i] = 38 * x1f[i];
    }
    x1f.fill(0);
    st[0] = 1;
    st[3] = 1;
    const k = K, inp = makeInputs(st, cv);
    let swap = 0;
    for (let i = 254; i >= 0; i--) {
      const kt = (k[i >>> 3] >>> (i & 7)) & 1;
      inp(swap ^ kt, xa, xb, y, z);
      swap = kt;
      c(f, v, xa, y); // AA = A^2
      n(u, aa);
      c(f, v, xb, yb); // BB = B^2, kept as its layout
      l(u, rbb);
      if (i > 2 && i < 254) {
        // The sum (x3, z3) is not needed at both ends (the test is on the loop index, public):
        // bit 254 of a clamped scalar is 1 (RFC 7748 §5), so the first sum is P + O = P, that is
        // (x1 : 1), already in (x3, z3); bits 2, 1 and 0 are 0, so from bit 2 on the swap keeps
        // (x2, z2) and the sums are never read.
        c(f, v, xp, y); // S = DA + CB
        nl(u, s, rs);
        cT(f, v, xm, y); // T = CB - DA
        nl(u, t, rt);
        c(f, v, s, rs); // x3 = S^2
        n4(u, st2);
        c(f, v, t, rt); // T^2
        n(u, tt);
        c(f, v, tt, rx1); // z3 = x1 T^2
        n4(u, st3);
      }
      c(f, v, aa, rbb); // x2 = AA BB
      n4(u, st0);
      g(aa, rbb, e, f); // E, and F = AA + a24 E as a layout
      l(u, rf);
      c(f, v, e, rf); // z2 = E F
      n4(u, st1);
    }
    // The last swap (RFC 7748 §5), only what is used: x2 and z2.
    for (let i = 0; i < 16; i++) {
      x2[i] = st[4 * i] + swap * (st[4 * i + 2] - st[4 * i]);
      z2[i] = st[4 * i + 1] + swap * (st[4 * i + 3] - st[4 * i + 1]);
    }
    // z2^(p - 2) = 1 / z2 (the Curve25519 paper's addition chain, as feInvert), every value held
    // as limbs [0, 16) and layout [16, 47) of one array.
    const v0 = take(47), v1 = take(47), v2 = take(47), v11 = take(47), v250 = take(47), vz = take(47);
    const N = function (v: I32): I32 {
      return v.subarray(0, 16);
    };
    const R = function (v: I32): I32 {
      return v.subarray(16, 47);
    };
    const z0 = N(vz), zr = R(vz);
    for (let i = 0; i < 16; i++) {
      z0[i] = z2[i];
      zr[15 - i] = z2[i];
      if (i > 0) zr[31 - i] = 38 * z2[i];
    }
    const mul = function (o: I32, a: I32, q: I32): void {
      c(f, v, N(a), R(q));
      nl(u, N(o), R(o));
    };
    const sqn = function (o: I32, a: I32, times: number): void {
      const on = N(o), or = R(o);
      c(f, v, N(a), R(a));
      nl(u, on, or);
      for (let j = 1; j < times; j++) {
        c(f, v, on, or);
        nl(u, on, or);
      }
    };
    sqn(v0, vz, 1); // z^2
    sqn(v1, v0, 2); // z^8
    mul(v1, v1, vz); // z^9
    mul(v11, v1, v0); // z^11
    sqn(v0, v11, 1); // z^22
    mul(v0, v0, v1); // z^(2^5 - 1)
    sqn(v1, v0, 5);
    mul(v1, v1, v0); // z^(2^10 - 1)
    sqn(v2, v1, 10);
    mul(v2, v2, v1); // z^(2^20 - 1)
    sqn(v250, v2, 20);
    mul(v250, v250, v2); // z^(2^40 - 1)
    sqn(v250, v250, 10);
    mul(v0, v250, v1); // z^(2^50 - 1)
    sqn(v1, v0, 50);
    mul(v1, v1, v0); // z^(2^100 - 1)
    sqn(v2, v1, 100);
    mul(v2, v2, v1); // z^(2^200 - 1)
    sqn(v2, v2, 50);
    mul(v250, v2, v0); // z^(2^250 - 1)
    sqn(v0, v250, 5);
    mul(v0, v0, v11); // z^(2^255 - 21) = z^(p - 2)
    c(f, v, x2, R(v0)); // x2 / z2
    n(u, x2);
    const X = F.feNew(x2);
    const out = new Uint8Array(32);
    F.feToBytes(out, X);
    K.fill(0);
    I.fill(0);
    X.fill(0);
    F.feWipeScratch();
    return out;
  }
  return x25519;
}
