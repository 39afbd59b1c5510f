/**
 * NUT-00 BDHKE and NUT-12 DLEQ on bytes, over any library behind the curve seam (types.ts). The
 * mint's hot path runs here; host/cashu/bdhke.ts and dleq.ts keep the same algebra on noble Point
 * objects for wallets. Both must give the same bytes (test/bank/curve-cross.test.ts).
 *
 *   Y  = hash_to_curve(x)     B_ = Y + r·G     C_ = k·B_     C = C_ − r·K     verify: k·Y == C
 *   DLEQ: r = HMAC-SHA256(a, "Cashu_DLEQ_R_v1" ‖ A ‖ B_ ‖ C_ ‖ ctr) (uncompressed points),
 *         R1 = r·G, R2 = r·B_, e = SHA256(hex(R1) ‖ hex(R2) ‖ hex(A) ‖ hex(C_)), s = r + e·a
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { compress, subtract, type Curve } from './types';

const DOMAIN_SEPARATOR = Buffer.from('Secp256k1_HashToCurve_Cashu_', 'utf8');
const NONCE_TAG = Buffer.from('Cashu_DLEQ_R_v1', 'utf8');
/** NUT-00 counter is a uint32; 2^16 tries as the reference wallets (never reached in practice). */
const H2C_MAX_TRIES = 1 << 16;
const N = Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex');

const sha256 = (b: Uint8Array): Buffer => createHash('sha256').update(b).digest();

/** 0 < s < n for 32 big-endian bytes (public values only: not constant-time). */
export function isScalar(s: Uint8Array): boolean {
  if (s.length !== 32 || Buffer.compare(s, N) >= 0) return false;
  for (let i = 0; i < 32; i++) if (s[i] !== 0) return true;
  return false;
}

/** NUT-00 hash_to_curve: '02' ‖ SHA256(SHA256(DOMAIN_SEPARATOR ‖ x) ‖ uint32_le(counter)). */
export function hashToCurve(c: Curve, x: Uint8Array): Uint8Array {
  const msgHash = sha256(Buffer.concat([DOMAIN_SEPARATOR, x]));
  const buf = Buffer.alloc(36);
  msgHash.copy(buf, 0);
  const cand = new Uint8Array(33);
  cand[0] = 0x02;
  for (let counter = 0; counter < H2C_MAX_TRIES; counter++) {
    buf.writeUInt32LE(counter, 32);
    cand.set(sha256(buf), 1);
    if (c.isCompressedPoint(cand)) return Uint8Array.from(cand);
  }
  throw new Error('hash_to_curve: no point found');
}

/** Y of a proof's secret (NUT-00: the UTF-8 bytes of Proof.secret). */
export function secretToY(c: Curve, secret: string): Uint8Array {
  return hashToCurve(c, Buffer.from(secret, 'utf8'));
}

/** Wallet: B_ = Y + r·G. */
export function blind(c: Curve, Y: Uint8Array, r: Uint8Array): Uint8Array {
  const B_ = c.add(Y, c.mulG(r));
  if (!B_) throw new Error('blind: B_ at infinity');
  return B_;
}

/** Mint: C_ = k·B_. */
export function signBlinded(c: Curve, k: Uint8Array, B_: Uint8Array): Uint8Array {
  return c.mul(B_, k);
}

/** Wallet: C = C_ − r·K. */
export function unblind(c: Curve, C_: Uint8Array, r: Uint8Array, K: Uint8Array): Uint8Array {
  const C = subtract(c, C_, c.mul(K, r));
  if (!C) throw new Error('unblind: C at infinity');
  return C;
}

/** Mint: (x, C) is valid for key k iff k·Y == C; compared in constant time. */
export function verifyProof(c: Curve, k: Uint8Array, Y: Uint8Array, C: Uint8Array): boolean {
  const kY = c.mul(Y, k);
  return kY.length === C.length && timingSafeEqual(kY, C);
}

/** NUT-12 hash_e over uncompressed points, hex-encoded then UTF-8. */
export function hashE(c: Curve, points: Uint8Array[]): Buffer {
  let s = '';
  for (const p of points) s += Buffer.from(c.uncompressed(p)).toString('hex');
  return sha256(Buffer.from(s, 'utf8'));
}

/** NUT-12 nonce from uncompressed A, B_, C_ (the encoding that reproduces tests/12-tests.md). */
function deterministicNonce(a: Uint8Array, Au: Uint8Array, Bu: Uint8Array, Cu: Uint8Array): Buffer {
  const msg = Buffer.concat([NONCE_TAG, Au, Bu, Cu, Buffer.alloc(1)]);
  for (let ctr = 0; ctr < 256; ctr++) {
    msg[msg.length - 1] = ctr;
    const r = createHmac('sha256', a).update(msg).digest();
    if (isScalar(r)) return r;
  }
  throw new Error('DLEQ nonce: no valid r');
}

function hashEUncompressed(points: Uint8Array[]): Buffer {
  let s = '';
  for (const p of points) s += Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex');
  return sha256(Buffer.from(s, 'utf8'));
}

export interface DleqBytes {
  e: Uint8Array;
  s: Uint8Array;
}

/**
 * Mint: C_ = a·B_ and its NUT-12 proof in one pass. Every point is kept uncompressed, as the nonce
 * and hash_e take them, so the library decompresses B_ once and nothing else (`Au` is the
 * uncompressed public key A = a·G, computed once per key).
 */
export function signWithDleq(c: Curve, a: Uint8Array, Au: Uint8Array, B_: Uint8Array): { C_: Uint8Array; dleq: DleqBytes } {
  const Bu = c.uncompressed(B_);
  const Cu = c.mul(Bu, a, false);
  const r = deterministicNonce(a, Au, Bu, Cu);
  const R1 = c.mulG(r, false);
  const R2 = c.mul(Bu, r, false);
  const e = hashEUncompressed([R1, R2, Au, Cu]);
  const s = c.scalarMulAdd(r, e, a);
  r.fill(0);
  if (!s) throw new Error('DLEQ: s = 0');
  return { C_: compress(Cu), dleq: { e, s } };
}

/** Mint: prove log_G(A) == log_B_(C_) == a (NUT-12, deterministic nonce). */
export function dleqProve(c: Curve, a: Uint8Array, A: Uint8Array, B_: Uint8Array, C_: Uint8Array): DleqBytes {
  const Au = c.uncompressed(A);
  const Bu = c.uncompressed(B_);
  const Cu = c.uncompressed(C_);
  const r = deterministicNonce(a, Au, Bu, Cu);
  const e = hashEUncompressed([c.mulG(r, false), c.mul(Bu, r, false), Au, Cu]);
  const s = c.scalarMulAdd(r, e, a);
  r.fill(0);
  if (!s) throw new Error('DLEQ: s = 0');
  return { e, s };
}

/** Wallet: R1 = s·G − e·A, R2 = s·B_ − e·C_, accept iff e == hash_e(R1, R2, A, C_). */
export function dleqVerify(c: Curve, d: DleqBytes, A: Uint8Array, B_: Uint8Array, C_: Uint8Array): boolean {
  if (!isScalar(d.e) || !isScalar(d.s)) return false;
  try {
    const R1 = subtract(c, c.mulG(d.s), c.mul(A, d.e));
    const R2 = subtract(c, c.mul(B_, d.s), c.mul(C_, d.e));
    if (!R1 || !R2) return false;
    return timingSafeEqual(hashE(c, [R1, R2, A, C_]), d.e);
  } catch {
    return false;
  }
}
