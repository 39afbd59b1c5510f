/**
 * The secp256k1 operations BDHKE (NUT-00) and DLEQ (NUT-12) need, behind one seam so the mint can
 * run on libsecp256k1 (native), on libsecp256k1 compiled to WebAssembly (tiny-secp256k1) or on
 * @noble/curves (pure JS), with byte-identical results (test/bank/curve-cross.test.ts).
 *
 * Points are SEC1 encodings (33-byte compressed unless a method says otherwise); scalars are 32
 * big-endian bytes with 0 < s < n — callers check that (keyset derivation, nonce derivation and
 * wire parsing reject anything else). Every multiplication by a scalar must be constant-time in the
 * scalar, because the mint multiplies by its private amount keys and DLEQ nonces; tiny-secp256k1's
 * is not, so the mint never selects it (index.ts, MINT_CURVES).
 */

export type CurveName = 'libsecp256k1' | 'tiny-secp256k1' | 'noble';

export interface Curve {
  readonly name: CurveName;
  /**
   * True iff `p` is a valid 33-byte compressed point: prefix 02/03, x < p and x³ + 7 a square mod p
   * (SEC1 2.3.4). The identity has no compressed encoding, so it is never valid.
   */
  isCompressedPoint(p: Uint8Array): boolean;
  /** 65-byte uncompressed encoding (04 ‖ x ‖ y) of a valid point (NUT-12 hashes these). */
  uncompressed(p: Uint8Array): Uint8Array;
  /** k·G (65-byte uncompressed when `compressed` is false). */
  mulG(k: Uint8Array, compressed?: boolean): Uint8Array;
  /**
   * k·P, constant-time in k. P may be compressed or uncompressed (an uncompressed P saves the
   * library a square root); the result is compressed unless `compressed` is false.
   */
  mul(p: Uint8Array, k: Uint8Array, compressed?: boolean): Uint8Array;
  /** P + Q; null when the sum is the identity. */
  add(p: Uint8Array, q: Uint8Array): Uint8Array | null;
  /** −P. */
  negate(p: Uint8Array): Uint8Array;
  /** r + e·a mod n (the NUT-12 response s); null when it is 0. */
  scalarMulAdd(r: Uint8Array, e: Uint8Array, a: Uint8Array): Uint8Array | null;
}

/** P − Q; null when P = Q. */
export function subtract(c: Curve, p: Uint8Array, q: Uint8Array): Uint8Array | null {
  return c.add(p, c.negate(q));
}

/** SEC1 2.3.3: compress a 65-byte uncompressed point (prefix 02/03 by the parity of y) without the library. */
export function compress(u: Uint8Array): Uint8Array {
  if (u.length !== 65 || u[0] !== 4) throw new Error('not an uncompressed point');
  const out = new Uint8Array(33);
  out[0] = 2 | (u[64] & 1);
  out.set(u.subarray(1, 33), 1);
  return out;
}
