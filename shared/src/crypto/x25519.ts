/**
 * X25519 (RFC 7748 §5): Montgomery ladder over field25519, constant time (the conditional swap is
 * arithmetic and folded into each step's additions, fixed 255 iterations, no allocation inside
 * the ladder). Where Espruino's E.convolve runs the products, the ladder of x25519-conv.ts runs
 * instead (same results). Speed on Espruino and its measurement: docs/crypto-speed.md.
 */
import { Fe, field, fieldRelease } from './field25519';
import { makeConvLadder } from './x25519-conv';
import { isAllZero, wipe } from '../bytes';

function checkLen(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) {
    throw new Error('x25519: ' + name + ' must be a 32-byte Uint8Array');
  }
}

/**
 * The ladder, created when an X25519 runs (not at boot: on Espruino every function costs
 * variables for as long as it exists). Everything it calls is a local of this closure, found in
 * its short scope rather than among the bundle's module-level names.
 */
function makeLadder(): (scalar: Uint8Array, u: Uint8Array) => Uint8Array {
  const F = field();
  // Where E.convolve runs the products (Espruino), the ladder shaped for it (x25519-conv.ts).
  const cv = F.feColumns().cv;
  if (cv !== null) return makeConvLadder(F, cv);
  const feFromBytes = F.feFromBytes;
  const feToBytes = F.feToBytes;
  const feOne = F.feOne;
  const feZero = F.feZero;
  const feMul = F.feMul;
  const feSqLayout = F.feSqLayout;
  const feMulLayout = F.feMulLayout;
  const feLayout = F.feLayout;
  const feSub = F.feSub;
  const feSqSum = F.feSqSum;
  const feSqDiff = F.feSqDiff;
  const feMulSmallAdd = F.feMulSmallAdd;
  const feCswap = F.feCswap;
  const feInvert = F.feInvert;
  const feCopy = F.feCopy;
  const feWipeScratch = F.feWipeScratch;

  /** (A - 2) / 4 for Curve25519, A = 486662 (RFC 7748 §5). */
  const A24 = 121665;

  /** The same typed arrays as feNew (16 limbs) or feNewLayout (32), n of them. */
  function alloc(n: number, len: number): Fe[] {
    const out: Fe[] = [];
    for (let i = 0; i < n; i++) out.push(new Float64Array(len));
    return out;
  }

  /**
   * The start of a ladder step with the conditional swap folded in (RFC 7748 §5): with
   * (x2, z2, x3, z3) swapped iff s == 1, A = x2 + z2, B = x2 - z2, C = x3 + z3, D = x3 - z3
   * (differences + 8p as in feSub, so never negative), and A and B also as product layouts
   * (feLayout: each is a factor of two products). The swapped values themselves are not stored:
   * the step overwrites all four, so memory ends exactly as with a separate cswap.
   * s is 0 or 1 and only multiplies (no branch, no index depends on it).
   */
  function ladderInputs(s: number, x2: Fe, z2: Fe, x3: Fe, z3: Fe, ta: Fe, tb: Fe, tc: Fe, td: Fe, ra: Fe, rb: Fe): void {
    let p: number, q: number, r: number, t: number, d: number;
    p = x2[0]; q = x3[0]; d = s * (q - p); p += d; q -= d;
    r = z2[0]; t = z3[0]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[0] = d; ra[15] = d;
    d = p - r + 261992; tb[0] = d; rb[15] = d;
    tc[0] = q + t; td[0] = q - t + 261992;
    p = x2[1]; q = x3[1]; d = s * (q - p); p += d; q -= d;
    r = z2[1]; t = z3[1]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[1] = d; ra[14] = d; ra[30] = 38 * d;
    d = p - r + 262140; tb[1] = d; rb[14] = d; rb[30] = 38 * d;
    tc[1] = q + t; td[1] = q - t + 262140;
    p = x2[2]; q = x3[2]; d = s * (q - p); p += d; q -= d;
    r = z2[2]; t = z3[2]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[2] = d; ra[13] = d; ra[29] = 38 * d;
    d = p - r + 262140; tb[2] = d; rb[13] = d; rb[29] = 38 * d;
    tc[2] = q + t; td[2] = q - t + 262140;
    p = x2[3]; q = x3[3]; d = s * (q - p); p += d; q -= d;
    r = z2[3]; t = z3[3]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[3] = d; ra[12] = d; ra[28] = 38 * d;
    d = p - r + 262140; tb[3] = d; rb[12] = d; rb[28] = 38 * d;
    tc[3] = q + t; td[3] = q - t + 262140;
    p = x2[4]; q = x3[4]; d = s * (q - p); p += d; q -= d;
    r = z2[4]; t = z3[4]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[4] = d; ra[11] = d; ra[27] = 38 * d;
    d = p - r + 262140; tb[4] = d; rb[11] = d; rb[27] = 38 * d;
    tc[4] = q + t; td[4] = q - t + 262140;
    p = x2[5]; q = x3[5]; d = s * (q - p); p += d; q -= d;
    r = z2[5]; t = z3[5]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[5] = d; ra[10] = d; ra[26] = 38 * d;
    d = p - r + 262140; tb[5] = d; rb[10] = d; rb[26] = 38 * d;
    tc[5] = q + t; td[5] = q - t + 262140;
    p = x2[6]; q = x3[6]; d = s * (q - p); p += d; q -= d;
    r = z2[6]; t = z3[6]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[6] = d; ra[9] = d; ra[25] = 38 * d;
    d = p - r + 262140; tb[6] = d; rb[9] = d; rb[25] = 38 * d;
    tc[6] = q + t; td[6] = q - t + 262140;
    p = x2[7]; q = x3[7]; d = s * (q - p); p += d; q -= d;
    r = z2[7]; t = z3[7]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[7] = d; ra[8] = d; ra[24] = 38 * d;
    d = p - r + 262140; tb[7] = d; rb[8] = d; rb[24] = 38 * d;
    tc[7] = q + t; td[7] = q - t + 262140;
    p = x2[8]; q = x3[8]; d = s * (q - p); p += d; q -= d;
    r = z2[8]; t = z3[8]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[8] = d; ra[7] = d; ra[23] = 38 * d;
    d = p - r + 262140; tb[8] = d; rb[7] = d; rb[23] = 38 * d;
    tc[8] = q + t; td[8] = q - t + 262140;
    p = x2[9]; q = x3[9]; d = s * (q - p); p += d; q -= d;
    r = z2[9]; t = z3[9]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[9] = d; ra[6] = d; ra[22] = 38 * d;
    d = p - r + 262140; tb[9] = d; rb[6] = d; rb[22] = 38 * d;
    tc[9] = q + t; td[9] = q - t + 262140;
    p = x2[10]; q = x3[10]; d = s * (q - p); p += d; q -= d;
    r = z2[10]; t = z3[10]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[10] = d; ra[5] = d; ra[21] = 38 * d;
    d = p - r + 262140; tb[10] = d; rb[5] = d; rb[21] = 38 * d;
    tc[10] = q + t; td[10] = q - t + 262140;
    p = x2[11]; q = x3[11]; d = s * (q - p); p += d; q -= d;
    r = z2[11]; t = z3[11]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[11] = d; ra[4] = d; ra[20] = 38 * d;
    d = p - r + 262140; tb[11] = d; rb[4] = d; rb[20] = 38 * d;
    tc[11] = q + t; td[11] = q - t + 262140;
    p = x2[12]; q = x3[12]; d = s * (q - p); p += d; q -= d;
    r = z2[12]; t = z3[12]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[12] = d; ra[3] = d; ra[19] = 38 * d;
    d = p - r + 262140; tb[12] = d; rb[3] = d; rb[19] = 38 * d;
    tc[12] = q + t; td[12] = q - t + 262140;
    p = x2[13]; q = x3[13]; d = s * (q - p); p += d; q -= d;
    r = z2[13]; t = z3[13]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[13] = d; ra[2] = d; ra[18] = 38 * d;
    d = p - r + 262140; tb[13] = d; rb[2] = d; rb[18] = 38 * d;
    tc[13] = q + t; td[13] = q - t + 262140;
    p = x2[14]; q = x3[14]; d = s * (q - p); p += d; q -= d;
    r = z2[14]; t = z3[14]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[14] = d; ra[1] = d; ra[17] = 38 * d;
    d = p - r + 262140; tb[14] = d; rb[1] = d; rb[17] = 38 * d;
    tc[14] = q + t; td[14] = q - t + 262140;
    p = x2[15]; q = x3[15]; d = s * (q - p); p += d; q -= d;
    r = z2[15]; t = z3[15]; d = s * (t - r); r += d; t -= d;
    d = p + r; ta[15] = d; ra[0] = d; ra[16] = 38 * d;
    d = p - r + 262140; tb[15] = d; rb[0] = d; rb[16] = 38 * d;
    tc[15] = q + t; td[15] = q - t + 262140;
  }

  /**
   * X25519(k, u): scalar k is clamped (decodeScalar25519), u's top bit is masked and
   * non-canonical u (>= p) is accepted and reduced, as RFC 7748 §5 requires.
   * Bounds (field25519): TA, TC and DA + CB are sums of two reduced values, TB, TD, E and DA - CB
   * a reduced value minus a reduced value plus 8p, x1 < 2^16: all valid multiplication inputs.
   */
  function x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
    // Ladder state and temporaries, allocated per call and overwritten before it returns: on
    // Espruino a typed array costs variables for as long as it lives, and an idle PDA needs none.
    const fes = alloc(14, 16);
    const lays = alloc(3, 32);
    const K = new Uint8Array(scalar);
    K[0] &= 248;
    K[31] &= 127;
    K[31] |= 64;
    // Everything the loop touches in locals: on Espruino a name is found by a linear search of
    // its scope, so a short list of locals is fastest.
    const k = K, x1 = fes[0], x2 = fes[1], z2 = fes[2], x3 = fes[3], z3 = fes[4], ta = fes[5], tb = fes[6];
    const tc = fes[7], td = fes[8], aa = fes[9], bb = fes[10], e = fes[11], da = fes[12], cb = fes[13];
    const ra = lays[0], rb = lays[1], rx1 = lays[2], a24 = A24;
    const inputs = ladderInputs, sqL = feSqLayout, mul = feMul, mulL = feMulLayout, sqSum = feSqSum;
    const sqDiff = feSqDiff, sub = feSub, mulSmallAdd = feMulSmallAdd;
    feFromBytes(x1, u);
    feOne(x2);
    feZero(z2);
    feCopy(x3, x1);
    feOne(z3);
    feLayout(rx1, x1);
    let swap = 0;
    for (let t = 254; t >= 0; t--) {
      const kt = (k[t >>> 3] >>> (t & 7)) & 1;
      inputs(swap ^ kt, x2, z2, x3, z3, ta, tb, tc, td, ra, rb);
      swap = kt;
      sqL(aa, ta, ra); // AA = A^2
      sqL(bb, tb, rb); // BB = B^2
      mulL(da, td, ra); // DA = D * A
      mulL(cb, tc, rb); // CB = C * B
      sqSum(x3, da, cb); // x3 = (DA + CB)^2
      sqDiff(z3, da, cb);
      mulL(z3, z3, rx1); // z3 = x1 * (DA - CB)^2
      mul(x2, aa, bb); // x2 = AA * BB
      sub(e, aa, bb); // E = AA - BB
      mulSmallAdd(z2, e, a24, aa); // AA + a24 * E
      mul(z2, z2, e); // z2 = E * (AA + a24 * E)
    }
    feCswap(x2, x3, swap);
    feCswap(z2, z3, swap);
    feInvert(z2, z2);
    feMul(x2, x2, z2);
    const out = new Uint8Array(32);
    feToBytes(out, x2);
    K.fill(0);
    for (let i = 0; i < fes.length; i++) fes[i].fill(0);
    for (let i = 0; i < lays.length; i++) lays[i].fill(0);
    feWipeScratch();
    return out;
  }
  return x25519;
}

/**
 * X25519(k, u): scalar k is clamped (decodeScalar25519), u's top bit is masked and
 * non-canonical u (>= p) is accepted and reduced, as RFC 7748 §5 requires.
 * The ladder and the field operations are created for the call and dropped after it, so an idle
 * PDA holds none of them (a few milliseconds against the second the ladder takes on a board).
 */
export function x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  checkLen('scalar', scalar);
  checkLen('u', u);
  const out = makeLadder()(scalar, u);
  fieldRelease();
  return out;
}

/** Public key for a secret scalar: X25519(k, 9), 9 being the base point's u (RFC 7748 §4.1). */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  const base = new Uint8Array(32);
  base[0] = 9;
  return x25519(scalar, base);
}

export interface X25519Keypair {
  /** The 32 random bytes as given (clamping is applied inside x25519). */
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

/** Key pair from 32 bytes of caller-supplied randomness (the PDA has E.hwRand, the host node:crypto). */
export function x25519Keypair(rand32: Uint8Array): X25519Keypair {
  checkLen('rand32', rand32);
  // new Uint8Array(copy), not slice(): on Espruino 2v29 a typed array's slice() returns an Array.
  const secretKey = new Uint8Array(rand32);
  return { secretKey: secretKey, publicKey: x25519Base(secretKey) };
}

/**
 * Diffie-Hellman shared secret. Throws if the result is all zeros, i.e. the peer key has small
 * order (RFC 7748 §6.1: "check whether the computed value is all zeros and abort if so").
 * The check is an OR over all bytes (constant time).
 */
export function x25519Shared(secretKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  const s = x25519(secretKey, peerPublic);
  if (isAllZero(s)) {
    wipe(s);
    throw new Error('x25519: low-order peer public key (all-zero shared secret)');
  }
  return s;
}
