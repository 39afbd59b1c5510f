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
 *  - z3 = T (x1 T): T is only a first factor, so its carry writes limbs only;
 *  - every carry writes its result in the form its next use needs (limbs, a layout, or both),
 *    so no layout is built from a finished value; E and F = AA + a24 E are formed in one pass;
 *  - values that only feed products (AA, BB, S, T, U = x1 T, F and the inversion's) are carried
 *    loosely: limbs 0 and 1 keep their folded pieces instead of two sequential carry steps;
 *    only the ladder state (x2, z2, x3, z3), which is summed and subtracted, is reduced;
 *  - the constant 8p of B and D is a fifth element of each state limb, taken by E.convolve;
 *  - each fixed layout has one view per column, so no offset is passed or stepped through;
 *  - the inversion (Curve25519 paper's addition chain) keeps each value as limbs and layout.
 * Bounds (field25519's header; every column stays below 2^48 so the piece carry is exact; a
 * folded column has at most 571 products):
 *  - reduced (REDUCED_MAX): limbs 0, 1 < 2^16, limb 2 <= 196645, the others <= 196605;
 *    loose (LOOSE_MAX): limb 0 <= 77 * 65535 (a piece plus 38 times two), limb 1 <= 40 * 65535,
 *    the others <= 3 * 65535.
 *  - A, C: sums of two reduced values (limbs <= 393290); B, D: reduced - reduced + 8p
 *    (<= 458785); x1 < 2^16.
 *  - DA + CB: two columns of at most 571 * 393290 * 458785 < 1.031e14 each, sum < 2^48.
 *  - CB - DA + 2^29 * 8p (limbs of SUB_K times 2^29, each >= 1.406e14 > 1.031e14): positive
 *    and below 2.44e14 < 2^48; 2^29 * 8p is 0 mod p, so T = CB - DA and T^2 = (DA - CB)^2.
 *  - Products of two loose values: columns <= 8.38e13 (all limbs at LOOSE_MAX), so also
 *    z3 = T U; U = x1 T: <= 1.38e13.
 *  - E = AA - BB + K with K = 8p written as (5111656, 2686898, 262103, 262140 x 13), every limb
 *    >= LOOSE_MAX's: E >= 0 and E's limbs <= LOOSE_MAX + K (10157851, 5308298, 458708,
 *    458745 ...); E F: columns <= 1.82e14 < 2^48; F = AA + 121665 E: columns < 1.24e12.
 *  - The reduced carry's limbs 0 and 1 use `v & 65535` and `v >> 16`: v < 65535 + 38 * 2 * 65535
 *    < 2^31; loose layouts hold 38 * limb 1 < 2^27.
 * test/crypto/x25519-conv.test.ts checks each bound at its extreme against BigInt.
 * Constant time: the swap bit only multiplies; no index or branch depends on a secret (the
 * sums skipped in the first and last steps depend on the loop index only).
 */
import { type Convolve as Convolve3, type Fe, type Field } from './field25519';

type I32 = Int32Array;
type Carry = (o: I32) => void;
type Carry2 = (o: I32, r: I32) => void;
type Cols = (f: Fe, cv: Convolve, x: I32) => void;
type ColsT = (f: Fe, cv: Convolve, x: I32, y: I32) => void;
type Inputs = (s: number, xa: I32, xb: I32, y: I32, z: I32) => void;
type EF = (aa: I32, rbb: I32, e: I32, f: Fe) => void;
/** E.convolve as this ladder calls it: the offset is omitted where it is 0 (see Convolve). */
type Convolve = (a: ArrayLike<number>, b: ArrayLike<number>, offset?: number) => number;

/**
 * The ladder's steps, made per X25519 call with the ladder (on Espruino a function costs
 * variables for as long as it exists); exported for the tests of their bounds.
 */
export function makeConvParts() {
  /**
   * The start of a ladder step with the conditional swap folded in (RFC 7748 §5). The state is
   * interleaved, st[5i .. 5i + 4] = (x2_i, z2_i, x3_i, z3_i, 8p_i) (8p_i: SUB_K, written once per
   * call), S_i views the four values and T_i the five, so each limb of A = x2 + z2, C = x3 + z3
   * (against S_i), B = x2 - z2 + 8p and D = x3 - z3 + 8p (against T_i, as feSub: never negative),
   * with (x2, z2, x3, z3) swapped iff s == 1, is one E.convolve against weights (A: (1-s, 1-s, s,
   * s), B: (1-s, s-1, s, -s, 1) etc.): the swap is arithmetic, s only multiplies (in the
   * weights), and 8p comes in as a fifth product instead of an addition. Writes A and B (xa, xb),
   * the layout y = [R(A) | R(B)] (31 entries each, see feLayout) and
   * z = [D | 0 x 15 | C | 0 x 15 | -D]: one E.convolve of z[0..47) against y is a column of
   * DA + CB, and one of z[31..78) against y, read from 31 further on (E.convolve wraps around y),
   * a column of CB - DA.
   */
  function makeInputs(st: I32, cv: Convolve) {
    const B = st.buffer, o = st.byteOffset;
    // The Int8 weights in one buffer: bytes 0..5 [r, r, s, s, r, r] (A at 0, C at 2), B
    // (r, -r, s, -s, 1) at 8 and D (s, -s, r, -r, 1) at 16. Each step sets them with four wider
    // writes of little-endian words (field25519 refuses other byte orders at load), s and
    // r = 1 - s being 0 or 1; the constant 1s are written once.
    const WW = new Int32Array(6), WH = new Int16Array(WW.buffer, 4, 1);
    const WA = new Int8Array(WW.buffer, 0, 4), WC = new Int8Array(WW.buffer, 2, 4);
    const WB = new Int8Array(WW.buffer, 8, 5), WD = new Int8Array(WW.buffer, 16, 5);
    WW[3] = WW[5] = 1;
    const S0 = new Int32Array(B, o + 0, 4), T0 = new Int32Array(B, o + 0, 5);
    const S1 = new Int32Array(B, o + 20, 4), T1 = new Int32Array(B, o + 20, 5);
    const S2 = new Int32Array(B, o + 40, 4), T2 = new Int32Array(B, o + 40, 5);
    const S3 = new Int32Array(B, o + 60, 4), T3 = new Int32Array(B, o + 60, 5);
    const S4 = new Int32Array(B, o + 80, 4), T4 = new Int32Array(B, o + 80, 5);
    const S5 = new Int32Array(B, o + 100, 4), T5 = new Int32Array(B, o + 100, 5);
    const S6 = new Int32Array(B, o + 120, 4), T6 = new Int32Array(B, o + 120, 5);
    const S7 = new Int32Array(B, o + 140, 4), T7 = new Int32Array(B, o + 140, 5);
    const S8 = new Int32Array(B, o + 160, 4), T8 = new Int32Array(B, o + 160, 5);
    const S9 = new Int32Array(B, o + 180, 4), T9 = new Int32Array(B, o + 180, 5);
    const S10 = new Int32Array(B, o + 200, 4), T10 = new Int32Array(B, o + 200, 5);
    const S11 = new Int32Array(B, o + 220, 4), T11 = new Int32Array(B, o + 220, 5);
    const S12 = new Int32Array(B, o + 240, 4), T12 = new Int32Array(B, o + 240, 5);
    const S13 = new Int32Array(B, o + 260, 4), T13 = new Int32Array(B, o + 260, 5);
    const S14 = new Int32Array(B, o + 280, 4), T14 = new Int32Array(B, o + 280, 5);
    const S15 = new Int32Array(B, o + 300, 4), T15 = new Int32Array(B, o + 300, 5);
    return function (s: number, xa: I32, xb: I32, y: I32, z: I32): void {
      const r = 1 - s;
      WW[0] = 257 + 16842495 * s; // bytes (r, r, s, s): 0x0101 or 0x01010000
      WH[0] = 257 * r; // bytes (r, r)
      WW[2] = 65281 - 16776961 * s; // (r, -r, s, -s): 0xff01 or 0xff010000
      WW[4] = 16776961 * s - 16711680; // (s, -s, r, -r): 0xff010000 or 0xff01
      y[15] = xa[0] = cv(WA, S0);
      z[31] = cv(WC, S0);
      y[46] = xb[0] = cv(WB, T0);
      z[62] = -(z[0] = cv(WD, T0));
      y[30] = 38 * (y[14] = xa[1] = cv(WA, S1));
      z[32] = cv(WC, S1);
      y[61] = 38 * (y[45] = xb[1] = cv(WB, T1));
      z[63] = -(z[1] = cv(WD, T1));
      y[29] = 38 * (y[13] = xa[2] = cv(WA, S2));
      z[33] = cv(WC, S2);
      y[60] = 38 * (y[44] = xb[2] = cv(WB, T2));
      z[64] = -(z[2] = cv(WD, T2));
      y[28] = 38 * (y[12] = xa[3] = cv(WA, S3));
      z[34] = cv(WC, S3);
      y[59] = 38 * (y[43] = xb[3] = cv(WB, T3));
      z[65] = -(z[3] = cv(WD, T3));
      y[27] = 38 * (y[11] = xa[4] = cv(WA, S4));
      z[35] = cv(WC, S4);
      y[58] = 38 * (y[42] = xb[4] = cv(WB, T4));
      z[66] = -(z[4] = cv(WD, T4));
      y[26] = 38 * (y[10] = xa[5] = cv(WA, S5));
      z[36] = cv(WC, S5);
      y[57] = 38 * (y[41] = xb[5] = cv(WB, T5));
      z[67] = -(z[5] = cv(WD, T5));
      y[25] = 38 * (y[9] = xa[6] = cv(WA, S6));
      z[37] = cv(WC, S6);
      y[56] = 38 * (y[40] = xb[6] = cv(WB, T6));
      z[68] = -(z[6] = cv(WD, T6));
      y[24] = 38 * (y[8] = xa[7] = cv(WA, S7));
      z[38] = cv(WC, S7);
      y[55] = 38 * (y[39] = xb[7] = cv(WB, T7));
      z[69] = -(z[7] = cv(WD, T7));
      y[23] = 38 * (y[7] = xa[8] = cv(WA, S8));
      z[39] = cv(WC, S8);
      y[54] = 38 * (y[38] = xb[8] = cv(WB, T8));
      z[70] = -(z[8] = cv(WD, T8));
      y[22] = 38 * (y[6] = xa[9] = cv(WA, S9));
      z[40] = cv(WC, S9);
      y[53] = 38 * (y[37] = xb[9] = cv(WB, T9));
      z[71] = -(z[9] = cv(WD, T9));
      y[21] = 38 * (y[5] = xa[10] = cv(WA, S10));
      z[41] = cv(WC, S10);
      y[52] = 38 * (y[36] = xb[10] = cv(WB, T10));
      z[72] = -(z[10] = cv(WD, T10));
      y[20] = 38 * (y[4] = xa[11] = cv(WA, S11));
      z[42] = cv(WC, S11);
      y[51] = 38 * (y[35] = xb[11] = cv(WB, T11));
      z[73] = -(z[11] = cv(WD, T11));
      y[19] = 38 * (y[3] = xa[12] = cv(WA, S12));
      z[43] = cv(WC, S12);
      y[50] = 38 * (y[34] = xb[12] = cv(WB, T12));
      z[74] = -(z[12] = cv(WD, T12));
      y[18] = 38 * (y[2] = xa[13] = cv(WA, S13));
      z[44] = cv(WC, S13);
      y[49] = 38 * (y[33] = xb[13] = cv(WB, T13));
      z[75] = -(z[13] = cv(WD, T13));
      y[17] = 38 * (y[1] = xa[14] = cv(WA, S14));
      z[45] = cv(WC, S14);
      y[48] = 38 * (y[32] = xb[14] = cv(WB, T14));
      z[76] = -(z[14] = cv(WD, T14));
      y[16] = 38 * (y[0] = xa[15] = cv(WA, S15));
      z[46] = cv(WC, S15);
      y[47] = 38 * (y[31] = xb[15] = cv(WB, T15));
      z[77] = -(z[15] = cv(WD, T15));
    };
  }
  /**
   * E = AA - BB + K into e, and the columns of F = AA + a24 E + 2^52 (a24 = 121665, RFC 7748 §5)
   * into f for the carry. AA and BB are loose (LOOSE_MAX; BB read from its layout:
   * rbb[15 - k] = BB_k), so K is 8p rewritten limb by limb to cover them: limb 0 + 74 * 2^16,
   * limb 1 - 74 + 37 * 2^16, limb 2 - 37, i.e. (5111656, 2686898, 262103, 262140 x 13), the same
   * value 8p = 0 mod p, every limb at least LOOSE_MAX's.
   */
  function ef(aa: I32, rbb: I32, e: I32, f: Fe): void {
    const m = 4503599627370496;
    f[0] = aa[0] + 121665 * (e[0] = aa[0] - rbb[15] + 5111656) + m;
    f[1] = aa[1] + 121665 * (e[1] = aa[1] - rbb[14] + 2686898) + m;
    f[2] = aa[2] + 121665 * (e[2] = aa[2] - rbb[13] + 262103) + m;
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
    f[15] = cv(x, y) + m;
  }
  /**
   * As cols for a fixed layout r: V_k views r from 15 - k on (n entries), so column k is
   * E.convolve(x, V_k) with no offset to pass or step through (on the interpreter about 2 000
   * instructions a column less). For an x of 47 entries (DA + CB) n is 47.
   */
  function colsOn(r: I32, n: number) {
    const B = r.buffer, o = r.byteOffset;
    const V0 = new Int32Array(B, o + 60, n);
    const V1 = new Int32Array(B, o + 56, n);
    const V2 = new Int32Array(B, o + 52, n);
    const V3 = new Int32Array(B, o + 48, n);
    const V4 = new Int32Array(B, o + 44, n);
    const V5 = new Int32Array(B, o + 40, n);
    const V6 = new Int32Array(B, o + 36, n);
    const V7 = new Int32Array(B, o + 32, n);
    const V8 = new Int32Array(B, o + 28, n);
    const V9 = new Int32Array(B, o + 24, n);
    const V10 = new Int32Array(B, o + 20, n);
    const V11 = new Int32Array(B, o + 16, n);
    const V12 = new Int32Array(B, o + 12, n);
    const V13 = new Int32Array(B, o + 8, n);
    const V14 = new Int32Array(B, o + 4, n);
    const V15 = new Int32Array(B, o + 0, n);
    return function (f: Fe, cv: Convolve, x: I32): void {
      const m = 4503599627370496;
      f[0] = cv(x, V0) + m;
      f[1] = cv(x, V1) + m;
      f[2] = cv(x, V2) + m;
      f[3] = cv(x, V3) + m;
      f[4] = cv(x, V4) + m;
      f[5] = cv(x, V5) + m;
      f[6] = cv(x, V6) + m;
      f[7] = cv(x, V7) + m;
      f[8] = cv(x, V8) + m;
      f[9] = cv(x, V9) + m;
      f[10] = cv(x, V10) + m;
      f[11] = cv(x, V11) + m;
      f[12] = cv(x, V12) + m;
      f[13] = cv(x, V13) + m;
      f[14] = cv(x, V14) + m;
      f[15] = cv(x, V15) + m;
    };
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
    /**
     * Loose carry into limbs o: limbs 0 and 1 keep their folded pieces uncarried (limb 0 <= 77 *
     * 65535, limb 1 <= 40 * 65535, limbs 2..15 <= 3 * 65535), for values that only feed products
     * (LOOSE_MAX; the columns of any product of two loose values stay below 2^48) or ef's
     * subtraction with its larger multiple of p.
     */
    function cN(o: I32): void {
      o[0] = u[0] + 38 * (u[61] + u[58]);
      o[1] = u[4] + u[1] + 38 * u[62];
      o[2] = cv(P, V2);
      o[3] = cv(P, V3);
      o[4] = cv(P, V4);
      o[5] = cv(P, V5);
      o[6] = cv(P, V6);
      o[7] = cv(P, V7);
      o[8] = cv(P, V8);
      o[9] = cv(P, V9);
      o[10] = cv(P, V10);
      o[11] = cv(P, V11);
      o[12] = cv(P, V12);
      o[13] = cv(P, V13);
      o[14] = cv(P, V14);
      o[15] = cv(P, V15);
    }
    /** As cN, written as a layout r (feLayout) only. */
    function cL(r: I32): void {
      r[15] = u[0] + 38 * (u[61] + u[58]);
      r[30] = 38 * (r[14] = u[4] + u[1] + 38 * u[62]);
      r[29] = 38 * (r[13] = cv(P, V2));
      r[28] = 38 * (r[12] = cv(P, V3));
      r[27] = 38 * (r[11] = cv(P, V4));
      r[26] = 38 * (r[10] = cv(P, V5));
      r[25] = 38 * (r[9] = cv(P, V6));
      r[24] = 38 * (r[8] = cv(P, V7));
      r[23] = 38 * (r[7] = cv(P, V8));
      r[22] = 38 * (r[6] = cv(P, V9));
      r[21] = 38 * (r[5] = cv(P, V10));
      r[20] = 38 * (r[4] = cv(P, V11));
      r[19] = 38 * (r[3] = cv(P, V12));
      r[18] = 38 * (r[2] = cv(P, V13));
      r[17] = 38 * (r[1] = cv(P, V14));
      r[16] = 38 * (r[0] = cv(P, V15));
    }
    /** As cN, written both as limbs o and as a layout r. */
    function cNL(o: I32, r: I32): void {
      r[15] = o[0] = u[0] + 38 * (u[61] + u[58]);
      r[30] = 38 * (r[14] = o[1] = u[4] + u[1] + 38 * u[62]);
      r[29] = 38 * (r[13] = o[2] = cv(P, V2));
      r[28] = 38 * (r[12] = o[3] = cv(P, V3));
      r[27] = 38 * (r[11] = o[4] = cv(P, V4));
      r[26] = 38 * (r[10] = o[5] = cv(P, V5));
      r[25] = 38 * (r[9] = o[6] = cv(P, V6));
      r[24] = 38 * (r[8] = o[7] = cv(P, V7));
      r[23] = 38 * (r[7] = o[8] = cv(P, V8));
      r[22] = 38 * (r[6] = o[9] = cv(P, V9));
      r[21] = 38 * (r[5] = o[10] = cv(P, V10));
      r[20] = 38 * (r[4] = o[11] = cv(P, V11));
      r[19] = 38 * (r[3] = o[12] = cv(P, V12));
      r[18] = 38 * (r[2] = o[13] = cv(P, V13));
      r[17] = 38 * (r[1] = o[14] = cv(P, V14));
      r[16] = 38 * (r[0] = o[15] = cv(P, V15));
    }
    /**
     * Reduced carry (REDUCED_MAX: limbs 0 and 1 below 2^16 after two sequential steps), written
     * as o[5k] (o views the interleaved state from one of its four values): the state is summed
     * and subtracted with 8p before its products, which needs reduced limbs.
     */
    function cN4(o: I32): void {
      let v = u[0] + 38 * (u[61] + u[58]);
      o[0] = v & 65535;
      v = u[4] + u[1] + 38 * u[62] + (v >> 16);
      o[5] = v & 65535;
      o[10] = cv(P, V2) + (v >> 16);
      o[15] = cv(P, V3);
      o[20] = cv(P, V4);
      o[25] = cv(P, V5);
      o[30] = cv(P, V6);
      o[35] = cv(P, V7);
      o[40] = cv(P, V8);
      o[45] = cv(P, V9);
      o[50] = cv(P, V10);
      o[55] = cv(P, V11);
      o[60] = cv(P, V12);
      o[65] = cv(P, V13);
      o[70] = cv(P, V14);
      o[75] = cv(P, V15);
    }
    return { n: cN, l: cL, nl: cNL, n4: cN4 };
  }
  return { makeInputs: makeInputs, ef: ef, cols: cols, colsOn: colsOn, colsT: colsT, makeCarries: makeCarries };
}

/**
 * x25519(k, u) on field F whose products use cv (F's E.convolve). The returned function clamps k,
 * masks u's top bit, runs 255 fixed ladder steps and overwrites everything it used.
 */
export function makeConvLadder(F: Field, cv3: Convolve3): (scalar: Uint8Array, u: Uint8Array) => Uint8Array {
  const cv = cv3 as Convolve;
  const parts = makeConvParts();
  const makeInputs = parts.makeInputs, ef = parts.ef, cols = parts.cols, colsT = parts.colsT, colsOn = parts.colsOn;
  const makeCarries = parts.makeCarries;

  function x25519(scalar: Uint8Array, uIn: Uint8Array): Uint8Array {
    const c = cols, v = cv, f = F.feColumns().f;
    // Ladder state and temporaries in one Int32Array, allocated per call (an idle PDA holds
    // none) and overwritten before returning; offsets in Int32 elements: y, z, aa, rbb, xa, xb,
    // s, rs, t, ru, (unused), e, rf, rx1, then the state at 407, x2, z2 and the inversion's six values.
    const I = new Int32Array(801), b = I.buffer;
    const y = new Int32Array(b, 0, 62); // [R(A) | R(B)]
    const C = makeCarries(F.feColumns().u, cv);
    const aa = new Int32Array(b, 4 * 140, 16), rbb = new Int32Array(b, 4 * 156, 31);
    const xa = new Int32Array(b, 4 * 187, 16), xb = new Int32Array(b, 4 * 203, 16);
    const n = C.n, nl = C.nl;
    const s = new Int32Array(b, 4 * 219, 16), rs = new Int32Array(b, 4 * 235, 31);
    const t = new Int32Array(b, 4 * 266, 16), ru = new Int32Array(b, 4 * 282, 31);
    const e = new Int32Array(b, 4 * 329, 16), rf = new Int32Array(b, 4 * 345, 31);
    const K = new Uint8Array(scalar);
    const yb = new Int32Array(b, 4 * 31, 31);
    const z = new Int32Array(b, 4 * 62, 78); // [D | 0 x 15 | C | 0 x 15 | -D]
    const xp = new Int32Array(b, 4 * 62, 47), xm = new Int32Array(b, 4 * 93, 47);
    const rx1 = new Int32Array(b, 4 * 376, 31);
    // The state (x2, z2, x3, z3, 8p) interleaved (see makeInputs); st0..st3 view it from each value.
    const st = new Int32Array(b, 4 * 407, 80);
    const st0 = st, st1 = new Int32Array(b, 4 * 408, 79);
    const st2 = new Int32Array(b, 4 * 409, 78), st3 = new Int32Array(b, 4 * 410, 77);
    const inp = makeInputs(st, cv);
    let at = 487;
    function take(n: number): I32 {
      const v = new Int32Array(b, at * 4, n);
      at += n;
      return v;
    }
    const x2 = take(16), z2 = take(16);
    K[0] &= 248;
    K[31] &= 127;
    K[31] |= 64;
    const x1f = F.feNew();
    F.feFromBytes(x1f, uIn);
    for (let j = 0; j < 16; j++) {
      st[5 * j + 2] = x1f[j];
      st[5 * j + 4] = j > 0 ? 262140 : 261992; // 8p (SUB_K), taken by B and D
      rx1[15 - j] = x1f[j];
      if (j > 0) rx1[31 - j] = 38 * x1f[j];
    }
    x1f.fill(0);
    st[0] = 1;
    st[3] = 1;
    // Column functions of the loop's fixed layouts (views made once per call).
    const cA = colsOn(y, 47), cB = colsOn(yb, 16), cBB = colsOn(rbb, 16), cS = colsOn(rs, 16);
    const cU = colsOn(ru, 16), cX1 = colsOn(rx1, 16), cF = colsOn(rf, 16);
    // The loop runs in a function whose parameters are exactly the names it uses, most used
    // first: the interpreter finds a name by a linear search of the scope, in declaration order.
    const steps = function (
      i: number, v: Convolve, f: Fe, kt: number, n4: Carry, swap: number, aa: I32, rbb: I32, cA: Cols,
      xa: I32, xb: I32, n: Carry, l: Carry, nl: Carry2, s: I32, t: I32, e: I32, y: I32,
      inp: Inputs, k: Uint8Array, cB: Cols, cBB: Cols, cS: Cols, cX1: Cols, cU: Cols, cF: Cols,
      z: I32, xp: I32, xm: I32, cT: ColsT, g: EF, rf: I32, rs: I32, ru: I32, st0: I32, st1: I32,
      st2: I32, st3: I32
    ): number {
      for (; i >= 0; i--) {
        kt = (k[i >>> 3] >>> (i & 7)) & 1;
        inp(swap ^ kt, xa, xb, y, z);
        swap = kt;
        cA(f, v, xa); // AA = A^2
        n(aa);
        cB(f, v, xb); // BB = B^2, kept as its layout
        l(rbb);
        if (i > 2 && i < 254) {
          // The sum (x3, z3) is not needed at both ends (the test is on the loop index, public):
          // bit 254 of a clamped scalar is 1 (RFC 7748 §5), so the first sum is P + O = P, that is
          // (x1 : 1), already in (x3, z3); bits 2, 1 and 0 are 0, so from bit 2 on the swap keeps
          // (x2, z2) and the sums are never read.
          cA(f, v, xp); // S = DA + CB
          nl(s, rs);
          cT(f, v, xm, y); // T = CB - DA
          n(t);
          cS(f, v, s); // x3 = S^2
          n4(st2);
          cX1(f, v, t); // U = x1 T, kept as its layout
          l(ru);
          cU(f, v, t); // z3 = T U = x1 T^2
          n4(st3);
        }
        cBB(f, v, aa); // x2 = AA BB
        n4(st0);
        g(aa, rbb, e, f); // E, and F = AA + a24 E as a layout
        l(rf);
        cF(f, v, e); // z2 = E F
        n4(st1);
      }
      return swap;
    };
    const swap = steps(
      254, cv, f, 0, C.n4, 0, aa, rbb, cA, xa, xb, C.n, C.l, C.nl, s, t, e, y, inp, K, cB, cBB, cS,
      cX1, cU, cF, z, xp, xm, colsT, ef, rf, rs, ru, st, st1, st2, st3
    );
    // The last swap (RFC 7748 §5), only what is used: x2 and z2.
    for (let j = 0; j < 16; j++) {
      x2[j] = st[5 * j] + swap * (st[5 * j + 2] - st[5 * j]);
      z2[j] = st[5 * j + 1] + swap * (st[5 * j + 3] - st[5 * j + 1]);
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
      nl(N(o), R(o));
    };
    const sqn = function (o: I32, a: I32, times: number): void {
      const on = N(o), or = R(o);
      c(f, v, N(a), R(a));
      nl(on, or);
      for (let j = 1; j < times; j++) {
        c(f, v, on, or);
        nl(on, or);
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
    n(x2);
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
