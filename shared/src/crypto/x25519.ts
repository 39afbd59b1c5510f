/**
 * X25519 (RFC 7748 §5): Montgomery ladder over field25519, constant time (conditional swaps
 * with arithmetic masks, fixed 255 iterations, no allocation inside the ladder).
 */
import {
  Fe,
  feNew,
  feFromBytes,
  feToBytes,
  feOne,
  feZero,
  feAdd,
  feSub,
  feMul,
  feSq,
  feMulSmall,
  feCswap,
  feInvert,
  feCopy,
} from './field25519';
import { isAllZero, wipe } from '../bytes';

/** (A - 2) / 4 for Curve25519, A = 486662 (RFC 7748 §5). */
const A24 = 121665;

// Ladder state and temporaries, allocated once.
const X1 = feNew();
const X2 = feNew();
const Z2 = feNew();
const X3 = feNew();
const Z3 = feNew();
const TA = feNew();
const TAA = feNew();
const TB = feNew();
const TBB = feNew();
const TE = feNew();
const TC = feNew();
const TD = feNew();
const TDA = feNew();
const TCB = feNew();
const K = new Uint8Array(32);

const ALL: Fe[] = [X1, X2, Z2, X3, Z3, TA, TAA, TB, TBB, TE, TC, TD, TDA, TCB];

function checkLen(name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array) || b.length !== 32) {
    throw new Error('x25519: ' + name + ' must be a 32-byte Uint8Array');
  }
}

/**
 * X25519(k, u): scalar k is clamped (decodeScalar25519), u's top bit is masked and
 * non-canonical u (>= p) is accepted and reduced, as RFC 7748 §5 requires.
 */
export function x25519(scalar: Uint8Array, u: Uint8Array): Uint8Array {
  checkLen('scalar', scalar);
  checkLen('u', u);
  K.set(scalar);
  K[0] &= 248;
  K[31] &= 127;
  K[31] |= 64;
  feFromBytes(X1, u);
  feOne(X2);
  feZero(Z2);
  feCopy(X3, X1);
  feOne(Z3);
  let swap = 0;
  for (let t = 254; t >= 0; t--) {
    const kt = (K[t >>> 3] >>> (t & 7)) & 1;
    swap ^= kt;
    feCswap(X2, X3, swap);
    feCswap(Z2, Z3, swap);
    swap = kt;
    feAdd(TA, X2, Z2); // A = x2 + z2
    feSq(TAA, TA); // AA = A^2
    feSub(TB, X2, Z2); // B = x2 - z2
    feSq(TBB, TB); // BB = B^2
    feSub(TE, TAA, TBB); // E = AA - BB
    feAdd(TC, X3, Z3); // C = x3 + z3
    feSub(TD, X3, Z3); // D = x3 - z3
    feMul(TDA, TD, TA); // DA = D * A
    feMul(TCB, TC, TB); // CB = C * B
    feAdd(X3, TDA, TCB);
    feSq(X3, X3); // x3 = (DA + CB)^2
    feSub(Z3, TDA, TCB);
    feSq(Z3, Z3);
    feMul(Z3, Z3, X1); // z3 = x1 * (DA - CB)^2
    feMul(X2, TAA, TBB); // x2 = AA * BB
    feMulSmall(Z2, TE, A24);
    feAdd(Z2, Z2, TAA);
    feMul(Z2, Z2, TE); // z2 = E * (AA + a24 * E)
  }
  feCswap(X2, X3, swap);
  feCswap(Z2, Z3, swap);
  feInvert(Z2, Z2);
  feMul(X2, X2, Z2);
  const out = new Uint8Array(32);
  feToBytes(out, X2);
  K.fill(0);
  for (let i = 0; i < ALL.length; i++) ALL[i].fill(0);
  return out;
}

/** The u-coordinate 9 of the base point (RFC 7748 §4.1). */
const BASE_U = new Uint8Array(32);
BASE_U[0] = 9;

/** Public key for a secret scalar: X25519(k, 9). */
export function x25519Base(scalar: Uint8Array): Uint8Array {
  return x25519(scalar, BASE_U);
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
