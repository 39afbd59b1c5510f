/**
 * NUT-12 discrete-log-equality proofs: the mint proves that the key `a` behind its public key
 * A = a·G is the one it used for C_ = a·B_, so a wallet can check every blind signature offline
 * and a mint cannot sign with a per-user key (tagging) without being caught.
 *
 *   mint:   r = HMAC-SHA256(key=a, "Cashu_DLEQ_R_v1" || A || B_ || C_ || ctr)   (deterministic nonce)
 *           R1 = r·G, R2 = r·B_, e = hash(R1, R2, A, C_), s = r + e·a mod n
 *   wallet: R1 = s·G − e·A, R2 = s·B_ − e·C_, accept iff e == hash(R1, R2, A, C_)
 *   hash(P...) = SHA256(utf8(hex(uncompressed P1) || hex(uncompressed P2) || ...))
 * A, B_, C_ enter the nonce HMAC as 65-byte uncompressed SEC1 encodings: that is the encoding that
 * reproduces the NUT-12 test vector (tests/12-tests.md, "Deterministic nonce derivation").
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, equalBytes, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { N, Point, blind, bytesToScalar, mod, scalarToBytes, type Point as PointT } from './bdhke';

const NONCE_TAG = utf8Encode('Cashu_DLEQ_R_v1');
/** NUT-12: ctr is one byte, retried while r == 0 or r >= n ("max 256 tries"). */
const NONCE_MAX_TRIES = 256;

export interface Dleq {
  e: Uint8Array;
  s: Uint8Array;
}

/** NUT-12 hash_e over uncompressed points, hex-encoded then UTF-8 (exactly as the spec's python). */
export function hashE(points: PointT[]): Uint8Array {
  let s = '';
  for (const p of points) s += toHex(p.toBytes(false));
  return sha256(utf8Encode(s));
}

function deterministicNonce(a: bigint, A: PointT, B_: PointT, C_: PointT): bigint {
  const key = scalarToBytes(a);
  const msg = concat([NONCE_TAG, A.toBytes(false), B_.toBytes(false), C_.toBytes(false), new Uint8Array(1)]);
  const last = msg.length - 1;
  for (let ctr = 0; ctr < NONCE_MAX_TRIES; ctr++) {
    msg[last] = ctr;
    const r = bytesToScalar(hmac(sha256, key, msg));
    if (r !== 0n && r < N) {
      key.fill(0);
      return r;
    }
  }
  key.fill(0);
  throw new Error('DLEQ nonce: no valid r');
}

/** Mint side: prove that log_G(A) == log_B_(C_) == a. */
export function dleqProve(a: bigint, A: PointT, B_: PointT, C_: PointT): Dleq {
  const r = deterministicNonce(a, A, B_, C_);
  const R1 = Point.BASE.multiply(r);
  const R2 = B_.multiply(r);
  const e = hashE([R1, R2, A, C_]);
  const s = mod(r + bytesToScalar(e) * a);
  return { e, s: scalarToBytes(s) };
}

/**
 * Wallet side (Alice, who knows B_): recompute R1, R2 and compare the challenge. Public scalars
 * only, so the unsafe (variable-time) multiplications are fine here.
 */
export function dleqVerify(d: Dleq, A: PointT, B_: PointT, C_: PointT): boolean {
  if (d.e.length !== 32 || d.s.length !== 32) return false;
  const e = bytesToScalar(d.e);
  const s = bytesToScalar(d.s);
  if (e === 0n || e >= N || s === 0n || s >= N) return false;
  let R1: PointT;
  let R2: PointT;
  try {
    // s·G − e·A and s·B_ − e·C_ as one Strauss–Shamir double multiplication each.
    const negE = N - e;
    R1 = Point.BASE.mulAddUnsafe(s, A, negE);
    R2 = B_.mulAddUnsafe(s, C_, negE);
    if (R1.is0() || R2.is0()) return false;
  } catch {
    return false;
  }
  return equalBytes(hashE([R1, R2, A, C_]), d.e);
}

/**
 * Carol's check (NUT-12 "user to user"): with Alice's blinding factor r, rebuild
 * B_ = Y + r·G and C_ = C + r·A, then verify as above.
 */
export function dleqVerifyProof(secret: string, C: PointT, A: PointT, d: { e: string; s: string; r: string }): boolean {
  let r: bigint;
  let e: Uint8Array;
  let s: Uint8Array;
  try {
    e = fromHex(d.e);
    s = fromHex(d.s);
    const rb = fromHex(d.r);
    if (rb.length !== 32) return false;
    r = bytesToScalar(rb);
  } catch {
    return false;
  }
  if (r === 0n || r >= N) return false;
  const B_ = blind(secret, r);
  const C_ = C.add(A.multiplyUnsafe(r));
  return dleqVerify({ e, s }, A, B_, C_);
}
