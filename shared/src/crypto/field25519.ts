/**
 * Arithmetic in GF(p), p = 2^255 - 19, without BigInt (Espruino has none).
 *
 * An element is a Float64Array of 16 limbs, value = sum(l[i] * 2^(16 i)), every limb an exact
 * non-negative integer. Reduction folds 2^256 = 38 (mod p).
 *
 * Multiplication (feMul, feSq and the fused squares) forms the 16 folded columns
 *   t_k = sum_{i+j=k} a_i b_j + 38 * sum_{i+j=k+16} a_i b_j
 * and stores t_k + 2^52 in the scratch Float64Array F. For 0 <= t_k < 2^52 the double t_k + 2^52
 * has exponent 52 and t_k as its mantissa (IEEE 754 binary64), so the Uint16Array view U of the
 * same bytes holds, little-endian (x86, the ESP32's Xtensa), U[4k] = bits 0..15 of t_k,
 * U[4k+1] = bits 16..31 and U[4k+2] = bits 32..47; for t_k < 2^48, U[4k+3] is the constant
 * 0x4330 (sign, exponent) and carries no value. The carry is then one sum of pieces per limb:
 * piece r of column k has weight 2^(16 (k + r)), and weights 2^256 and 2^272 fold back times 38.
 * Two short sequential steps bring limbs 0 and 1 below 2^16. On Espruino 2v29 (an interpreter)
 * that costs about half of two sequential passes of `c = (v / 2^16) | 0` (measured).
 *
 * Bounds (each one checked at its extreme against BigInt in test/crypto/field25519.test.ts):
 *  - multiplication inputs: limbs < MUL_INPUT_LIMIT = 700000. A folded column has at most
 *    1 + 38 * 15 = 571 products, so 0 <= t_k < 571 * 700000^2 < 2^48: the pieces are exact and
 *    every partial sum is an integer below 2^53.
 *  - "reduced" (output of every multiplication, feMulSmall(Add), feReduce, feNeg, feFromBytes),
 *    REDUCED_MAX: v0 = U[0] + 38 (U[61] + U[58]) <= 65535 + 38 * 2 * 65535, so its carry is
 *    at most 76; v1 = U[4] + U[1] + 38 U[62] + 76 < 41 * 2^16, carry at most 40; limb 2 <=
 *    3 * 65535 + 40 = 196645; limbs 3..15 <= 3 * 65535 = 196605; limbs 0 and 1 < 2^16.
 *  - feAdd(a, b): limb-wise sum, no carry. A sum of three reduced values (< 589936) is a valid
 *    multiplication input.
 *  - feSub(a, b) = a - b + 8p limb-wise, 8p written with limbs SUB_K = (261992, 262140 x 15):
 *    never negative when b is reduced (b <= REDUCED_MAX < SUB_K). With a reduced or the sum of
 *    two reduced values, the difference (< 655431) is a valid multiplication input.
 *
 * Speed on Espruino, which re-reads the source as it runs and finds variables by linear search:
 * straight-line code, operands in locals, nothing allocated per call, and where Espruino has
 * it, its native E.convolve for the products (see CONV).
 *
 * Constant time (as far as an interpreter allows): no branch or array index depends on a
 * limb value; selection uses arithmetic masks. Public-exponent powers (inversion, square root)
 * branch only on the fixed exponent.
 */

export type Fe = Float64Array;

/**
 * A dot product with offset: sum over i of a[i] * b[(i + offset) % b.length]. E.convolve reads
 * an omitted offset as 0 (it converts its offset as an int32, undefined giving 0); the ladder of
 * x25519-conv.ts omits it where it is 0, one argument less to evaluate on the interpreter, and
 * feSetConvolve hands a model 0 there.
 */
export type Convolve = (a: ArrayLike<number>, b: ArrayLike<number>, offset: number) => number;

declare const E: any;

/** Largest limbs of a reduced element (bounds above). */
export const REDUCED_MAX = new Float64Array([65535, 65535, 196645, 196605, 196605, 196605, 196605, 196605, 196605,
  196605, 196605, 196605, 196605, 196605, 196605, 196605]);
/** Largest limb a multiplication input may have (exclusive). */
export const MUL_INPUT_LIMIT = 700000;

/** Limbs of 8p: 4p = (4 * 0xffed, 4 * 0xffff x 14, 4 * 0x7fff) plus 2 (2^256 - 38) = 4p. */
export const SUB_K = new Float64Array([261992, 262140, 262140, 262140, 262140, 262140, 262140, 262140, 262140, 262140,
  262140, 262140, 262140, 262140, 262140, 262140]);

/**
 * Espruino's native `E.convolve` (src/jswrap_espruino.c: a C loop accumulating a double, on
 * every build without SAVE_ON_FLASH, ESP32 included), or null elsewhere (Node, the emulated
 * board), where the unrolled JavaScript columns are faster. One call computes a whole folded
 * column t_k = sum_i a_i R[i + 15 - k] against the layout R of the other factor:
 * R[m] = b_(15-m) for m = 0..15 and R[m] = 38 b_(31-m) for m = 16..30, so for i <= k the term
 * is a_i b_(k-i) and for i > k it is 38 a_i b_(k+16-i). Every term and partial sum is a
 * non-negative integer below 2^52, so the double accumulation is exact. On the interpreter 16
 * native calls cost about 60% of the 256 interpreted multiply-adds (measured on 2v29 for Linux).
 */
// Module level (not in makeField): a test's feSetConvolve holds across field() instances.
let CONV: Convolve | null = typeof E !== 'undefined' && E && typeof E.convolve === 'function' ? E.convolve : null;

/**
 * The field operations, created by field() when an X25519 or Ed25519 operation starts and let go
 * by fieldRelease() when it ends: on Espruino every function costs variables for as long as it
 * exists (about five, plus one per parameter, measured on 2v29), and a booted or idle PDA needs
 * none of these. Inside the closure every name the hot functions use is found in this function's
 * short scope instead of among the bundle's module-level names.
 */
function makeField() {
  /** 2^52: added to each column so its integer value sits in the mantissa (see above). */
  const MAGIC = 4503599627370496;


  /**
   * The scratch of the multiplications behind one module-level name: on Espruino every
   * module-level name of the bundle sits in one scope that the interpreter searches linearly,
   * so the hot functions read this one object (a short property list) instead of five names.
   * f: the columns; u: the same 128 bytes as 16-bit pieces; r: the layout R of a second factor
   * for CONV (R[31] is never read); s: the first factor of a fused square; z: zero.
   *
   * Allocated on first use and released by feWipeScratch (after overwriting it), so that an idle
   * PDA holds none of it: on Espruino every typed array costs variables for as long as it lives.
   */
  interface Scratch {
    f: Fe;
    u: Uint16Array;
    r: Fe;
    s: Fe;
    z: Fe;
    cv: Convolve | null;
  }
  let W: Scratch | null = null;

  /** Allocate the scratch; fails closed if doubles are not little-endian IEEE 754 binary64 (the carry would be wrong). */
  function scratch(): Scratch {
    const f = new Float64Array(16);
    const u = new Uint16Array(f.buffer);
    f[0] = MAGIC + 0x0123456789ab;
    if (u[0] !== 0x89ab || u[1] !== 0x4567 || u[2] !== 0x0123 || u[3] !== 0x4330) {
      throw new Error('field25519: needs little-endian IEEE 754 doubles');
    }
    f[0] = 0;
    W = { f: f, u: u, r: new Float64Array(32), s: new Float64Array(16), z: new Float64Array(16), cv: CONV };
    return W;
  }

  /**
   * Overwrite the scratch columns and layouts (they hold the last operands' data) after secret
   * work, then release them (freed memory is not cleared, so the overwrite comes first).
   */
  function feWipeScratch(): void {
    const w = W;
    if (w === null) return;
    w.f.fill(0);
    w.r.fill(0);
    w.s.fill(0);
    W = null;
  }

  /** True if the scratch is all zero or released (for tests of the callers' wiping). */
  function feScratchIsClear(): boolean {
    const w = W;
    if (w === null) return true;
    for (let i = 0; i < 32; i++) if (w.r[i] !== 0 || (i < 16 && (w.f[i] !== 0 || w.s[i] !== 0))) return false;
    return true;
  }

  /**
   * The scratch columns f, their 16-bit pieces u and the convolve in use (null: none), for the
   * ladder of x25519-conv.ts, which forms and carries its columns itself (allocated on first use,
   * like every product's scratch; feWipeScratch overwrites and releases it).
   */
  function feColumns(): { f: Fe; u: Uint16Array; cv: Convolve | null } {
    return W || scratch();
  }

  /**
   * Which multiplication path runs: the native convolve (Espruino) or the unrolled columns.
   * Exported so tests run the Espruino path on Node with a JavaScript model of E.convolve; the
   * firmware never calls it. Returns the previous setting. A model is called with the offset
   * E.convolve would use: 0 where the caller omitted it.
   */
  function feSetConvolve(cv: Convolve | null): Convolve | null {
    const old = CONV;
    CONV =
      cv === null
        ? null
        : function (a: ArrayLike<number>, b: ArrayLike<number>, offset: number): number {
            return cv(a, b, offset === undefined ? 0 : offset);
          };
    if (W !== null) W.cv = CONV;
    return old;
  }


  function feNew(init?: ArrayLike<number>): Fe {
    const o = new Float64Array(16);
    if (init) for (let i = 0; i < 16 && i < init.length; i++) o[i] = init[i];
    return o;
  }

  function feCopy(o: Fe, a: Fe): void {
    o.set(a);
  }

  function feZero(o: Fe): void {
    o.fill(0);
  }

  function feOne(o: Fe): void {
    o.fill(0);
    o[0] = 1;
  }

  /** Decode 32 little-endian bytes; bit 255 is ignored (RFC 7748 §5, RFC 8032 §5.1.3). Reduced. */
  function feFromBytes(o: Fe, b: Uint8Array): void {
    for (let i = 0; i < 16; i++) o[i] = b[2 * i] | (b[2 * i + 1] << 8);
    o[15] &= 0x7fff;
  }

  /** o = the columns already in F, carried (shared tail of the linear operations). */
  function carryColumns(o: Fe): void {
    const w = W || scratch();
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** Bring any element with non-negative integer limbs below 2^47 back to reduced form. */
  function feReduce(o: Fe): void {
    const f = (W || scratch()).f;
    for (let i = 0; i < 16; i++) f[i] = o[i] + MAGIC;
    carryColumns(o);
  }

  function feAdd(o: Fe, a: Fe, b: Fe): void {
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


  /** o = a - b + 8p limb-wise; b must be reduced (then the result is never negative). */
  function feSub(o: Fe, a: Fe, b: Fe): void {
    o[0] = a[0] - b[0] + 261992;
    o[1] = a[1] - b[1] + 262140;
    o[2] = a[2] - b[2] + 262140;
    o[3] = a[3] - b[3] + 262140;
    o[4] = a[4] - b[4] + 262140;
    o[5] = a[5] - b[5] + 262140;
    o[6] = a[6] - b[6] + 262140;
    o[7] = a[7] - b[7] + 262140;
    o[8] = a[8] - b[8] + 262140;
    o[9] = a[9] - b[9] + 262140;
    o[10] = a[10] - b[10] + 262140;
    o[11] = a[11] - b[11] + 262140;
    o[12] = a[12] - b[12] + 262140;
    o[13] = a[13] - b[13] + 262140;
    o[14] = a[14] - b[14] + 262140;
    o[15] = a[15] - b[15] + 262140;
  }

  /**
   * The folded columns of a * b into f, in unrolled JavaScript: the path where E.convolve is absent
   * (Node, the emulated board), where this is the faster one. Espruino never runs it.
   */
  function mulColumnsJs(f: Fe, a: Fe, b: Fe): void {
    const m = 4503599627370496;
    const a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
    const b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3], b4 = b[4], b5 = b[5], b6 = b[6], b7 = b[7], b8 = b[8], b9 = b[9], b10 = b[10], b11 = b[11], b12 = b[12], b13 = b[13], b14 = b[14], b15 = b[15];
    f[0] = a0 * b0 + 38 * (a1 * b15 + a2 * b14 + a3 * b13 + a4 * b12 + a5 * b11 + a6 * b10 + a7 * b9 + a8 * b8 + a9 * b7 + a10 * b6 + a11 * b5 + a12 * b4 + a13 * b3 + a14 * b2 + a15 * b1) + m;
    f[1] = a0 * b1 + a1 * b0 + 38 * (a2 * b15 + a3 * b14 + a4 * b13 + a5 * b12 + a6 * b11 + a7 * b10 + a8 * b9 + a9 * b8 + a10 * b7 + a11 * b6 + a12 * b5 + a13 * b4 + a14 * b3 + a15 * b2) + m;
    f[2] = a0 * b2 + a1 * b1 + a2 * b0 + 38 * (a3 * b15 + a4 * b14 + a5 * b13 + a6 * b12 + a7 * b11 + a8 * b10 + a9 * b9 + a10 * b8 + a11 * b7 + a12 * b6 + a13 * b5 + a14 * b4 + a15 * b3) + m;
    f[3] = a0 * b3 + a1 * b2 + a2 * b1 + a3 * b0 + 38 * (a4 * b15 + a5 * b14 + a6 * b13 + a7 * b12 + a8 * b11 + a9 * b10 + a10 * b9 + a11 * b8 + a12 * b7 + a13 * b6 + a14 * b5 + a15 * b4) + m;
    f[4] = a0 * b4 + a1 * b3 + a2 * b2 + a3 * b1 + a4 * b0 + 38 * (a5 * b15 + a6 * b14 + a7 * b13 + a8 * b12 + a9 * b11 + a10 * b10 + a11 * b9 + a12 * b8 + a13 * b7 + a14 * b6 + a15 * b5) + m;
    f[5] = a0 * b5 + a1 * b4 + a2 * b3 + a3 * b2 + a4 * b1 + a5 * b0 + 38 * (a6 * b15 + a7 * b14 + a8 * b13 + a9 * b12 + a10 * b11 + a11 * b10 + a12 * b9 + a13 * b8 + a14 * b7 + a15 * b6) + m;
    f[6] = a0 * b6 + a1 * b5 + a2 * b4 + a3 * b3 + a4 * b2 + a5 * b1 + a6 * b0 + 38 * (a7 * b15 + a8 * b14 + a9 * b13 + a10 * b12 + a11 * b11 + a12 * b10 + a13 * b9 + a14 * b8 + a15 * b7) + m;
    f[7] = a0 * b7 + a1 * b6 + a2 * b5 + a3 * b4 + a4 * b3 + a5 * b2 + a6 * b1 + a7 * b0 + 38 * (a8 * b15 + a9 * b14 + a10 * b13 + a11 * b12 + a12 * b11 + a13 * b10 + a14 * b9 + a15 * b8) + m;
    f[8] = a0 * b8 + a1 * b7 + a2 * b6 + a3 * b5 + a4 * b4 + a5 * b3 + a6 * b2 + a7 * b1 + a8 * b0 + 38 * (a9 * b15 + a10 * b14 + a11 * b13 + a12 * b12 + a13 * b11 + a14 * b10 + a15 * b9) + m;
    f[9] = a0 * b9 + a1 * b8 + a2 * b7 + a3 * b6 + a4 * b5 + a5 * b4 + a6 * b3 + a7 * b2 + a8 * b1 + a9 * b0 + 38 * (a10 * b15 + a11 * b14 + a12 * b13 + a13 * b12 + a14 * b11 + a15 * b10) + m;
    f[10] = a0 * b10 + a1 * b9 + a2 * b8 + a3 * b7 + a4 * b6 + a5 * b5 + a6 * b4 + a7 * b3 + a8 * b2 + a9 * b1 + a10 * b0 + 38 * (a11 * b15 + a12 * b14 + a13 * b13 + a14 * b12 + a15 * b11) + m;
    f[11] = a0 * b11 + a1 * b10 + a2 * b9 + a3 * b8 + a4 * b7 + a5 * b6 + a6 * b5 + a7 * b4 + a8 * b3 + a9 * b2 + a10 * b1 + a11 * b0 + 38 * (a12 * b15 + a13 * b14 + a14 * b13 + a15 * b12) + m;
    f[12] = a0 * b12 + a1 * b11 + a2 * b10 + a3 * b9 + a4 * b8 + a5 * b7 + a6 * b6 + a7 * b5 + a8 * b4 + a9 * b3 + a10 * b2 + a11 * b1 + a12 * b0 + 38 * (a13 * b15 + a14 * b14 + a15 * b13) + m;
    f[13] = a0 * b13 + a1 * b12 + a2 * b11 + a3 * b10 + a4 * b9 + a5 * b8 + a6 * b7 + a7 * b6 + a8 * b5 + a9 * b4 + a10 * b3 + a11 * b2 + a12 * b1 + a13 * b0 + 38 * (a14 * b15 + a15 * b14) + m;
    f[14] = a0 * b14 + a1 * b13 + a2 * b12 + a3 * b11 + a4 * b10 + a5 * b9 + a6 * b8 + a7 * b7 + a8 * b6 + a9 * b5 + a10 * b4 + a11 * b3 + a12 * b2 + a13 * b1 + a14 * b0 + 38 * (a15 * b15) + m;
    f[15] = a0 * b15 + a1 * b14 + a2 * b13 + a3 * b12 + a4 * b11 + a5 * b10 + a6 * b9 + a7 * b8 + a8 * b7 + a9 * b6 + a10 * b5 + a11 * b4 + a12 * b3 + a13 * b2 + a14 * b1 + a15 * b0 + m;
  }

  /** The folded columns of a^2 into f (cross products once, against d_i = 2 a_i); see mulColumnsJs. */
  function sqColumnsJs(f: Fe, a: Fe): void {
    const m = 4503599627370496;
    const a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7], a8 = a[8], a9 = a[9], a10 = a[10], a11 = a[11], a12 = a[12], a13 = a[13], a14 = a[14], a15 = a[15];
    const d0 = 2 * a0, d1 = 2 * a1, d2 = 2 * a2, d3 = 2 * a3, d4 = 2 * a4, d5 = 2 * a5, d6 = 2 * a6, d7 = 2 * a7, d8 = 2 * a8, d9 = 2 * a9, d10 = 2 * a10, d11 = 2 * a11, d12 = 2 * a12, d13 = 2 * a13, d14 = 2 * a14;
    f[0] = a0 * a0 + 38 * (d1 * a15 + d2 * a14 + d3 * a13 + d4 * a12 + d5 * a11 + d6 * a10 + d7 * a9 + a8 * a8) + m;
    f[1] = d0 * a1 + 38 * (d2 * a15 + d3 * a14 + d4 * a13 + d5 * a12 + d6 * a11 + d7 * a10 + d8 * a9) + m;
    f[2] = d0 * a2 + a1 * a1 + 38 * (d3 * a15 + d4 * a14 + d5 * a13 + d6 * a12 + d7 * a11 + d8 * a10 + a9 * a9) + m;
    f[3] = d0 * a3 + d1 * a2 + 38 * (d4 * a15 + d5 * a14 + d6 * a13 + d7 * a12 + d8 * a11 + d9 * a10) + m;
    f[4] = d0 * a4 + d1 * a3 + a2 * a2 + 38 * (d5 * a15 + d6 * a14 + d7 * a13 + d8 * a12 + d9 * a11 + a10 * a10) + m;
    f[5] = d0 * a5 + d1 * a4 + d2 * a3 + 38 * (d6 * a15 + d7 * a14 + d8 * a13 + d9 * a12 + d10 * a11) + m;
    f[6] = d0 * a6 + d1 * a5 + d2 * a4 + a3 * a3 + 38 * (d7 * a15 + d8 * a14 + d9 * a13 + d10 * a12 + a11 * a11) + m;
    f[7] = d0 * a7 + d1 * a6 + d2 * a5 + d3 * a4 + 38 * (d8 * a15 + d9 * a14 + d10 * a13 + d11 * a12) + m;
    f[8] = d0 * a8 + d1 * a7 + d2 * a6 + d3 * a5 + a4 * a4 + 38 * (d9 * a15 + d10 * a14 + d11 * a13 + a12 * a12) + m;
    f[9] = d0 * a9 + d1 * a8 + d2 * a7 + d3 * a6 + d4 * a5 + 38 * (d10 * a15 + d11 * a14 + d12 * a13) + m;
    f[10] = d0 * a10 + d1 * a9 + d2 * a8 + d3 * a7 + d4 * a6 + a5 * a5 + 38 * (d11 * a15 + d12 * a14 + a13 * a13) + m;
    f[11] = d0 * a11 + d1 * a10 + d2 * a9 + d3 * a8 + d4 * a7 + d5 * a6 + 38 * (d12 * a15 + d13 * a14) + m;
    f[12] = d0 * a12 + d1 * a11 + d2 * a10 + d3 * a9 + d4 * a8 + d5 * a7 + a6 * a6 + 38 * (d13 * a15 + a14 * a14) + m;
    f[13] = d0 * a13 + d1 * a12 + d2 * a11 + d3 * a10 + d4 * a9 + d5 * a8 + d6 * a7 + 38 * (d14 * a15) + m;
    f[14] = d0 * a14 + d1 * a13 + d2 * a12 + d3 * a11 + d4 * a10 + d5 * a9 + d6 * a8 + a7 * a7 + 38 * (a15 * a15) + m;
    f[15] = d0 * a15 + d1 * a14 + d2 * a13 + d3 * a12 + d4 * a11 + d5 * a10 + d6 * a9 + d7 * a8 + m;
  }

  /** o = a * b mod p, reduced. Input limbs < MUL_INPUT_LIMIT. o may alias a or b (all reads come first). */
  function feMul(o: Fe, a: Fe, b: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      const r = w.r;
      let v: number;
      v = b[15];
      r[0] = v;
      r[16] = 38 * v;
      v = b[14];
      r[1] = v;
      r[17] = 38 * v;
      v = b[13];
      r[2] = v;
      r[18] = 38 * v;
      v = b[12];
      r[3] = v;
      r[19] = 38 * v;
      v = b[11];
      r[4] = v;
      r[20] = 38 * v;
      v = b[10];
      r[5] = v;
      r[21] = 38 * v;
      v = b[9];
      r[6] = v;
      r[22] = 38 * v;
      v = b[8];
      r[7] = v;
      r[23] = 38 * v;
      v = b[7];
      r[8] = v;
      r[24] = 38 * v;
      v = b[6];
      r[9] = v;
      r[25] = 38 * v;
      v = b[5];
      r[10] = v;
      r[26] = 38 * v;
      v = b[4];
      r[11] = v;
      r[27] = 38 * v;
      v = b[3];
      r[12] = v;
      r[28] = 38 * v;
      v = b[2];
      r[13] = v;
      r[29] = 38 * v;
      v = b[1];
      r[14] = v;
      r[30] = 38 * v;
      v = b[0];
      r[15] = v;
      f[0] = cv(a, r, 15) + m;
      f[1] = cv(a, r, 14) + m;
      f[2] = cv(a, r, 13) + m;
      f[3] = cv(a, r, 12) + m;
      f[4] = cv(a, r, 11) + m;
      f[5] = cv(a, r, 10) + m;
      f[6] = cv(a, r, 9) + m;
      f[7] = cv(a, r, 8) + m;
      f[8] = cv(a, r, 7) + m;
      f[9] = cv(a, r, 6) + m;
      f[10] = cv(a, r, 5) + m;
      f[11] = cv(a, r, 4) + m;
      f[12] = cv(a, r, 3) + m;
      f[13] = cv(a, r, 2) + m;
      f[14] = cv(a, r, 1) + m;
      f[15] = cv(a, r, 0) + m;
    } else {
      mulColumnsJs(f, a, b);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** o = a^2 mod p, reduced: cross products a_i a_j (i < j) computed once, against d_i = 2 a_i. */
  function feSq(o: Fe, a: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      const r = w.r;
      let v: number;
      v = a[15];
      r[0] = v;
      r[16] = 38 * v;
      v = a[14];
      r[1] = v;
      r[17] = 38 * v;
      v = a[13];
      r[2] = v;
      r[18] = 38 * v;
      v = a[12];
      r[3] = v;
      r[19] = 38 * v;
      v = a[11];
      r[4] = v;
      r[20] = 38 * v;
      v = a[10];
      r[5] = v;
      r[21] = 38 * v;
      v = a[9];
      r[6] = v;
      r[22] = 38 * v;
      v = a[8];
      r[7] = v;
      r[23] = 38 * v;
      v = a[7];
      r[8] = v;
      r[24] = 38 * v;
      v = a[6];
      r[9] = v;
      r[25] = 38 * v;
      v = a[5];
      r[10] = v;
      r[26] = 38 * v;
      v = a[4];
      r[11] = v;
      r[27] = 38 * v;
      v = a[3];
      r[12] = v;
      r[28] = 38 * v;
      v = a[2];
      r[13] = v;
      r[29] = 38 * v;
      v = a[1];
      r[14] = v;
      r[30] = 38 * v;
      v = a[0];
      r[15] = v;
      f[0] = cv(a, r, 15) + m;
      f[1] = cv(a, r, 14) + m;
      f[2] = cv(a, r, 13) + m;
      f[3] = cv(a, r, 12) + m;
      f[4] = cv(a, r, 11) + m;
      f[5] = cv(a, r, 10) + m;
      f[6] = cv(a, r, 9) + m;
      f[7] = cv(a, r, 8) + m;
      f[8] = cv(a, r, 7) + m;
      f[9] = cv(a, r, 6) + m;
      f[10] = cv(a, r, 5) + m;
      f[11] = cv(a, r, 4) + m;
      f[12] = cv(a, r, 3) + m;
      f[13] = cv(a, r, 2) + m;
      f[14] = cv(a, r, 1) + m;
      f[15] = cv(a, r, 0) + m;
    } else {
      sqColumnsJs(f, a);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** o = (x + y)^2, reduced; the sum's limbs must stay < MUL_INPUT_LIMIT (e.g. two reduced values). */
  function feSqSum(o: Fe, x: Fe, y: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      const r = w.r;
      let v: number;
      const s = w.s;
      v = x[15] + y[15];
      s[15] = v;
      r[0] = v;
      r[16] = 38 * v;
      v = x[14] + y[14];
      s[14] = v;
      r[1] = v;
      r[17] = 38 * v;
      v = x[13] + y[13];
      s[13] = v;
      r[2] = v;
      r[18] = 38 * v;
      v = x[12] + y[12];
      s[12] = v;
      r[3] = v;
      r[19] = 38 * v;
      v = x[11] + y[11];
      s[11] = v;
      r[4] = v;
      r[20] = 38 * v;
      v = x[10] + y[10];
      s[10] = v;
      r[5] = v;
      r[21] = 38 * v;
      v = x[9] + y[9];
      s[9] = v;
      r[6] = v;
      r[22] = 38 * v;
      v = x[8] + y[8];
      s[8] = v;
      r[7] = v;
      r[23] = 38 * v;
      v = x[7] + y[7];
      s[7] = v;
      r[8] = v;
      r[24] = 38 * v;
      v = x[6] + y[6];
      s[6] = v;
      r[9] = v;
      r[25] = 38 * v;
      v = x[5] + y[5];
      s[5] = v;
      r[10] = v;
      r[26] = 38 * v;
      v = x[4] + y[4];
      s[4] = v;
      r[11] = v;
      r[27] = 38 * v;
      v = x[3] + y[3];
      s[3] = v;
      r[12] = v;
      r[28] = 38 * v;
      v = x[2] + y[2];
      s[2] = v;
      r[13] = v;
      r[29] = 38 * v;
      v = x[1] + y[1];
      s[1] = v;
      r[14] = v;
      r[30] = 38 * v;
      v = x[0] + y[0];
      s[0] = v;
      r[15] = v;
      f[0] = cv(s, r, 15) + m;
      f[1] = cv(s, r, 14) + m;
      f[2] = cv(s, r, 13) + m;
      f[3] = cv(s, r, 12) + m;
      f[4] = cv(s, r, 11) + m;
      f[5] = cv(s, r, 10) + m;
      f[6] = cv(s, r, 9) + m;
      f[7] = cv(s, r, 8) + m;
      f[8] = cv(s, r, 7) + m;
      f[9] = cv(s, r, 6) + m;
      f[10] = cv(s, r, 5) + m;
      f[11] = cv(s, r, 4) + m;
      f[12] = cv(s, r, 3) + m;
      f[13] = cv(s, r, 2) + m;
      f[14] = cv(s, r, 1) + m;
      f[15] = cv(s, r, 0) + m;
    } else {
      const s = w.s;
      for (let i = 0; i < 16; i++) s[i] = x[i] + y[i];
      sqColumnsJs(f, s);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** o = (x - y)^2, reduced, with x - y + 8p formed limb-wise as in feSub (same conditions). */
  function feSqDiff(o: Fe, x: Fe, y: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      const r = w.r;
      let v: number;
      const s = w.s;
      v = x[15] - y[15] + 262140;
      s[15] = v;
      r[0] = v;
      r[16] = 38 * v;
      v = x[14] - y[14] + 262140;
      s[14] = v;
      r[1] = v;
      r[17] = 38 * v;
      v = x[13] - y[13] + 262140;
      s[13] = v;
      r[2] = v;
      r[18] = 38 * v;
      v = x[12] - y[12] + 262140;
      s[12] = v;
      r[3] = v;
      r[19] = 38 * v;
      v = x[11] - y[11] + 262140;
      s[11] = v;
      r[4] = v;
      r[20] = 38 * v;
      v = x[10] - y[10] + 262140;
      s[10] = v;
      r[5] = v;
      r[21] = 38 * v;
      v = x[9] - y[9] + 262140;
      s[9] = v;
      r[6] = v;
      r[22] = 38 * v;
      v = x[8] - y[8] + 262140;
      s[8] = v;
      r[7] = v;
      r[23] = 38 * v;
      v = x[7] - y[7] + 262140;
      s[7] = v;
      r[8] = v;
      r[24] = 38 * v;
      v = x[6] - y[6] + 262140;
      s[6] = v;
      r[9] = v;
      r[25] = 38 * v;
      v = x[5] - y[5] + 262140;
      s[5] = v;
      r[10] = v;
      r[26] = 38 * v;
      v = x[4] - y[4] + 262140;
      s[4] = v;
      r[11] = v;
      r[27] = 38 * v;
      v = x[3] - y[3] + 262140;
      s[3] = v;
      r[12] = v;
      r[28] = 38 * v;
      v = x[2] - y[2] + 262140;
      s[2] = v;
      r[13] = v;
      r[29] = 38 * v;
      v = x[1] - y[1] + 262140;
      s[1] = v;
      r[14] = v;
      r[30] = 38 * v;
      v = x[0] - y[0] + 261992;
      s[0] = v;
      r[15] = v;
      f[0] = cv(s, r, 15) + m;
      f[1] = cv(s, r, 14) + m;
      f[2] = cv(s, r, 13) + m;
      f[3] = cv(s, r, 12) + m;
      f[4] = cv(s, r, 11) + m;
      f[5] = cv(s, r, 10) + m;
      f[6] = cv(s, r, 9) + m;
      f[7] = cv(s, r, 8) + m;
      f[8] = cv(s, r, 7) + m;
      f[9] = cv(s, r, 6) + m;
      f[10] = cv(s, r, 5) + m;
      f[11] = cv(s, r, 4) + m;
      f[12] = cv(s, r, 3) + m;
      f[13] = cv(s, r, 2) + m;
      f[14] = cv(s, r, 1) + m;
      f[15] = cv(s, r, 0) + m;
    } else {
      const s = w.s;
      for (let i = 0; i < 16; i++) s[i] = x[i] - y[i] + SUB_K[i];
      sqColumnsJs(f, s);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** A second factor laid out for CONV: r[m] = b_(15-m) (m = 0..15), r[16 + m] = 38 b_(15-m) (m = 0..14). */
  function feNewLayout(): Fe {
    return new Float64Array(32);
  }

  /** r = the CONV layout of b (see feNewLayout); for a factor used in several products. */
  function feLayout(r: Fe, b: Fe): void {
    let v: number;
    v = b[15];
    r[0] = v;
      r[16] = 38 * v;
    v = b[14];
    r[1] = v;
      r[17] = 38 * v;
    v = b[13];
    r[2] = v;
      r[18] = 38 * v;
    v = b[12];
    r[3] = v;
      r[19] = 38 * v;
    v = b[11];
    r[4] = v;
      r[20] = 38 * v;
    v = b[10];
    r[5] = v;
      r[21] = 38 * v;
    v = b[9];
    r[6] = v;
      r[22] = 38 * v;
    v = b[8];
    r[7] = v;
      r[23] = 38 * v;
    v = b[7];
    r[8] = v;
      r[24] = 38 * v;
    v = b[6];
    r[9] = v;
      r[25] = 38 * v;
    v = b[5];
    r[10] = v;
      r[26] = 38 * v;
    v = b[4];
    r[11] = v;
      r[27] = 38 * v;
    v = b[3];
    r[12] = v;
      r[28] = 38 * v;
    v = b[2];
    r[13] = v;
      r[29] = 38 * v;
    v = b[1];
    r[14] = v;
      r[30] = 38 * v;
    v = b[0];
    r[15] = v;
  }

  /** o = a * b mod p, reduced, with b given as its layout r (feLayout). Same bounds as feMul. */
  function feMulLayout(o: Fe, a: Fe, r: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      f[0] = cv(a, r, 15) + m;
      f[1] = cv(a, r, 14) + m;
      f[2] = cv(a, r, 13) + m;
      f[3] = cv(a, r, 12) + m;
      f[4] = cv(a, r, 11) + m;
      f[5] = cv(a, r, 10) + m;
      f[6] = cv(a, r, 9) + m;
      f[7] = cv(a, r, 8) + m;
      f[8] = cv(a, r, 7) + m;
      f[9] = cv(a, r, 6) + m;
      f[10] = cv(a, r, 5) + m;
      f[11] = cv(a, r, 4) + m;
      f[12] = cv(a, r, 3) + m;
      f[13] = cv(a, r, 2) + m;
      f[14] = cv(a, r, 1) + m;
      f[15] = cv(a, r, 0) + m;
    } else {
      const s = w.s;
      for (let i = 0; i < 16; i++) s[i] = r[15 - i];
      mulColumnsJs(f, a, s);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** o = a^2 mod p, reduced, with r = feLayout of a. Same bounds as feSq. */
  function feSqLayout(o: Fe, a: Fe, r: Fe): void {
    const w = W || scratch();
    const f = w.f;
    const m = 4503599627370496;
    const cv = w.cv;
    if (cv !== null) {
      f[0] = cv(a, r, 15) + m;
      f[1] = cv(a, r, 14) + m;
      f[2] = cv(a, r, 13) + m;
      f[3] = cv(a, r, 12) + m;
      f[4] = cv(a, r, 11) + m;
      f[5] = cv(a, r, 10) + m;
      f[6] = cv(a, r, 9) + m;
      f[7] = cv(a, r, 8) + m;
      f[8] = cv(a, r, 7) + m;
      f[9] = cv(a, r, 6) + m;
      f[10] = cv(a, r, 5) + m;
      f[11] = cv(a, r, 4) + m;
      f[12] = cv(a, r, 3) + m;
      f[13] = cv(a, r, 2) + m;
      f[14] = cv(a, r, 1) + m;
      f[15] = cv(a, r, 0) + m;
    } else {
      sqColumnsJs(f, a);
    }
    // Carry through the 16-bit pieces of each column (see the file comment).
    const u = w.u;
    let v = u[0] + 38 * (u[61] + u[58]);
    let c = (v / 65536) | 0;
    o[0] = v - c * 65536;
    v = u[4] + u[1] + 38 * u[62] + c;
    c = (v / 65536) | 0;
    o[1] = v - c * 65536;
    o[2] = u[8] + u[5] + u[2] + c;
    o[3] = u[12] + u[9] + u[6];
    o[4] = u[16] + u[13] + u[10];
    o[5] = u[20] + u[17] + u[14];
    o[6] = u[24] + u[21] + u[18];
    o[7] = u[28] + u[25] + u[22];
    o[8] = u[32] + u[29] + u[26];
    o[9] = u[36] + u[33] + u[30];
    o[10] = u[40] + u[37] + u[34];
    o[11] = u[44] + u[41] + u[38];
    o[12] = u[48] + u[45] + u[42];
    o[13] = u[52] + u[49] + u[46];
    o[14] = u[56] + u[53] + u[50];
    o[15] = u[60] + u[57] + u[54];
  }

  /** o = a * k + b for a small non-negative integer k (< 2^17), e.g. AA + a24 * E (RFC 7748 §5). */
  function feMulSmallAdd(o: Fe, a: Fe, k: number, b: Fe): void {
    const f = (W || scratch()).f;
    const m = 4503599627370496;
    f[0] = a[0] * k + b[0] + m;
    f[1] = a[1] * k + b[1] + m;
    f[2] = a[2] * k + b[2] + m;
    f[3] = a[3] * k + b[3] + m;
    f[4] = a[4] * k + b[4] + m;
    f[5] = a[5] * k + b[5] + m;
    f[6] = a[6] * k + b[6] + m;
    f[7] = a[7] * k + b[7] + m;
    f[8] = a[8] * k + b[8] + m;
    f[9] = a[9] * k + b[9] + m;
    f[10] = a[10] * k + b[10] + m;
    f[11] = a[11] * k + b[11] + m;
    f[12] = a[12] * k + b[12] + m;
    f[13] = a[13] * k + b[13] + m;
    f[14] = a[14] * k + b[14] + m;
    f[15] = a[15] * k + b[15] + m;
    carryColumns(o);
  }

  /** o = a * k for a small non-negative integer k (< 2^17), e.g. a24 = 121665 (RFC 7748 §5). */
  function feMulSmall(o: Fe, a: Fe, k: number): void {
    feMulSmallAdd(o, a, k, (W || scratch()).z);
  }

  /** Swap a and b iff bit == 1, without branching on bit (bit must be 0 or 1). */
  function feCswap(a: Fe, b: Fe, bit: number): void {
    for (let i = 0; i < 16; i++) {
      const d = bit * (a[i] - b[i]);
      a[i] -= d;
      b[i] += d;
    }
  }

  /** o = bit ? a : o, without branching on bit. */
  function feCmov(o: Fe, a: Fe, bit: number): void {
    for (let i = 0; i < 16; i++) o[i] += bit * (a[i] - o[i]);
  }

  /**
   * Canonical 32-byte little-endian encoding (value fully reduced into [0, p)). Accepts any
   * limbs that are exact integers (negative too): three carry passes with Math.floor that fold
   * at 2^255 leave canonical limbs and a value in [0, 2^255); one conditional subtraction of p
   * then gives [0, p).
   */
  function feToBytes(out: Uint8Array, a: Fe): void {
    const t = new Float64Array(a);
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
    const m = new Float64Array(16);
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

  /** 1 if a == 0 (mod p) else 0; constant time over the canonical encoding. */
  function feIsZero(a: Fe): number {
    const x = new Uint8Array(32);
    feToBytes(x, a);
    let d = 0;
    for (let i = 0; i < 32; i++) d |= x[i];
    x.fill(0);
    return ((d - 1) >>> 31) & 1;
  }

  /** Low bit of the canonical encoding (the "sign" of RFC 8032 §5.1.2). */
  function feIsNegative(a: Fe): number {
    const x = new Uint8Array(32);
    feToBytes(x, a);
    const b = x[0] & 1;
    x.fill(0);
    return b;
  }

  /** 1 if a == b (mod p) else 0 (compares canonical encodings). */
  function feEqual(a: Fe, b: Fe): number {
    const x = new Uint8Array(32);
    const y = new Uint8Array(32);
    feToBytes(x, a);
    feToBytes(y, b);
    let d = 0;
    for (let i = 0; i < 32; i++) d |= x[i] ^ y[i];
    x.fill(0);
    y.fill(0);
    return ((d - 1) >>> 31) & 1;
  }


  /** o = -a mod p (as 4p - a, then reduced). `a` must be valid as feSub's `b`. */
  function feNeg(o: Fe, a: Fe): void {
    feSub(o, (W || scratch()).z, a);
    feReduce(o);
  }

  /** o = a^(2^n) by n squarings. */
  function sqn(o: Fe, a: Fe, n: number): void {
    feSq(o, a);
    for (let i = 1; i < n; i++) feSq(o, o);
  }

  /** Temporaries of the addition chain, allocated per inversion (nothing held while idle). */
  interface Chain {
    c0: Fe;
    c1: Fe;
    c2: Fe;
    z11: Fe;
    z250: Fe;
  }

  /**
   * Shared addition chain (Curve25519 paper, Bernstein 2006): returns z11 = z^11 and
   * z250 = z^(2^250 - 1) (and the temporaries c0..c2) using 250 squarings and 10 multiplications.
   */
  function chain250(z: Fe): Chain {
    const C0 = new Float64Array(16);
    const C1 = new Float64Array(16);
    const C2 = new Float64Array(16);
    const Z11 = new Float64Array(16);
    const Z250 = new Float64Array(16);
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
    return { c0: C0, c1: C1, c2: C2, z11: Z11, z250: Z250 };
  }

  /** o = a^(p-2) = a^-1 (and 0 for a = 0). p - 2 = (2^250 - 1) * 2^5 + 11. */
  function feInvert(o: Fe, a: Fe): void {
    const c = chain250(a);
    sqn(c.c0, c.z250, 5);
    feMul(o, c.c0, c.z11);
    wipeChain(c);
  }

  /** o = a^((p-5)/8) = a^(2^252 - 3), used for square roots (RFC 8032 §5.1.3). (2^250-1)*4 + 1. */
  function fePow2523(o: Fe, a: Fe): void {
    const c = chain250(a);
    sqn(c.c0, c.z250, 2);
    feMul(o, c.c0, a);
    wipeChain(c);
  }

  function wipeChain(c: Chain): void {
    c.c0.fill(0);
    c.c1.fill(0);
    c.c2.fill(0);
    c.z11.fill(0);
    c.z250.fill(0);
  }
  return {
    feWipeScratch: feWipeScratch,
    feScratchIsClear: feScratchIsClear,
    feSetConvolve: feSetConvolve,
    feColumns: feColumns,
    feNew: feNew,
    feCopy: feCopy,
    feZero: feZero,
    feOne: feOne,
    feFromBytes: feFromBytes,
    feReduce: feReduce,
    feAdd: feAdd,
    feSub: feSub,
    feMul: feMul,
    feSq: feSq,
    feSqSum: feSqSum,
    feSqDiff: feSqDiff,
    feNewLayout: feNewLayout,
    feLayout: feLayout,
    feMulLayout: feMulLayout,
    feSqLayout: feSqLayout,
    feMulSmallAdd: feMulSmallAdd,
    feMulSmall: feMulSmall,
    feCswap: feCswap,
    feCmov: feCmov,
    feToBytes: feToBytes,
    feIsZero: feIsZero,
    feIsNegative: feIsNegative,
    feEqual: feEqual,
    feNeg: feNeg,
    feInvert: feInvert,
    fePow2523: fePow2523,
  };
}

export type Field = ReturnType<typeof makeField>;
let FIELD: Field | null = null;

/** The field operations (created on first use, kept until fieldRelease). */
export function field(): Field {
  if (FIELD === null) FIELD = makeField();
  return FIELD;
}

/**
 * Overwrite the scratch and let the operations go (X25519 and Ed25519 call this when they end):
 * the next field() creates them again. Holders of an earlier field() object keep theirs.
 */
export function fieldRelease(): void {
  if (FIELD !== null) FIELD.feWipeScratch();
  FIELD = null;
}

// The same operations as plain functions, for the host and the tests (the firmware's X25519 and
// Ed25519 take them from field() once per call instead).
export function feWipeScratch(): void {
  field().feWipeScratch();
}
export function feSetConvolve(cv: Convolve | null): Convolve | null {
  return field().feSetConvolve(cv);
}

export function feScratchIsClear(): boolean {
  return field().feScratchIsClear();
}

export function feNew(init?: ArrayLike<number>): Fe {
  return field().feNew(init);
}

export function feCopy(o: Fe, a: Fe): void {
  field().feCopy(o, a);
}

export function feZero(o: Fe): void {
  field().feZero(o);
}

export function feOne(o: Fe): void {
  field().feOne(o);
}

export function feFromBytes(o: Fe, b: Uint8Array): void {
  field().feFromBytes(o, b);
}

export function feReduce(o: Fe): void {
  field().feReduce(o);
}

export function feAdd(o: Fe, a: Fe, b: Fe): void {
  field().feAdd(o, a, b);
}

export function feSub(o: Fe, a: Fe, b: Fe): void {
  field().feSub(o, a, b);
}

export function feMul(o: Fe, a: Fe, b: Fe): void {
  field().feMul(o, a, b);
}

export function feSq(o: Fe, a: Fe): void {
  field().feSq(o, a);
}

export function feSqSum(o: Fe, x: Fe, y: Fe): void {
  field().feSqSum(o, x, y);
}

export function feSqDiff(o: Fe, x: Fe, y: Fe): void {
  field().feSqDiff(o, x, y);
}

export function feNewLayout(): Fe {
  return field().feNewLayout();
}

export function feLayout(r: Fe, b: Fe): void {
  field().feLayout(r, b);
}

export function feMulLayout(o: Fe, a: Fe, r: Fe): void {
  field().feMulLayout(o, a, r);
}

export function feSqLayout(o: Fe, a: Fe, r: Fe): void {
  field().feSqLayout(o, a, r);
}

export function feMulSmallAdd(o: Fe, a: Fe, k: number, b: Fe): void {
  field().feMulSmallAdd(o, a, k, b);
}

export function feMulSmall(o: Fe, a: Fe, k: number): void {
  field().feMulSmall(o, a, k);
}

export function feCswap(a: Fe, b: Fe, bit: number): void {
  field().feCswap(a, b, bit);
}

export function feCmov(o: Fe, a: Fe, bit: number): void {
  field().feCmov(o, a, bit);
}

export function feToBytes(out: Uint8Array, a: Fe): void {
  field().feToBytes(out, a);
}

export function feIsZero(a: Fe): number {
  return field().feIsZero(a);
}

export function feIsNegative(a: Fe): number {
  return field().feIsNegative(a);
}

export function feEqual(a: Fe, b: Fe): number {
  return field().feEqual(a, b);
}

export function feNeg(o: Fe, a: Fe): void {
  field().feNeg(o, a);
}

export function feInvert(o: Fe, a: Fe): void {
  field().feInvert(o, a);
}

export function fePow2523(o: Fe, a: Fe): void {
  field().fePow2523(o, a);
}
