/**
 * NUT-00 blind Diffie-Hellman key exchange on secp256k1 (legacy "BDHKE", keyset versions 00/01).
 *
 *   Y  = hash_to_curve(x)            Alice (wallet) picks secret x
 *   B_ = Y + r·G                     Alice blinds with random r
 *   C_ = k·B_                        Bob (mint) signs with amount key k
 *   C  = C_ − r·K = k·Y              Alice unblinds with K = k·G
 *   verify: k·hash_to_curve(x) == C  Bob checks a proof when it is spent
 *
 * Host side only (BigInt, @noble/curves 2). Mint-side multiplications by the private k use the
 * constant-time `multiply`; only public-scalar work (verification by wallets) uses the unsafe one.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { BankError, ErrorCode } from './errors';

export const Point = secp256k1.Point;
export type Point = InstanceType<typeof secp256k1.Point>;
/** Order n of the secp256k1 group. */
export const N: bigint = secp256k1.Point.CURVE().n;

/** NUT-00: DOMAIN_SEPARATOR = b"Secp256k1_HashToCurve_Cashu_". */
const DOMAIN_SEPARATOR = utf8Encode('Secp256k1_HashToCurve_Cashu_');
/** NUT-00 counter is a uint32; we stop at 2^16 like the reference wallets (never reached in practice). */
const H2C_MAX_TRIES = 1 << 16;

/**
 * NUT-00 hash_to_curve: Y = PublicKey('02' || SHA256(msg_hash || counter)),
 * msg_hash = SHA256(DOMAIN_SEPARATOR || x), counter uint32 little-endian from 0 until the
 * x-coordinate lies on the curve.
 */
export function hashToCurve(x: Uint8Array): Point {
  const msgHash = sha256(concat([DOMAIN_SEPARATOR, x]));
  const buf = new Uint8Array(msgHash.length + 4);
  buf.set(msgHash, 0);
  const dv = new DataView(buf.buffer);
  const cand = new Uint8Array(33);
  cand[0] = 0x02;
  for (let counter = 0; counter < H2C_MAX_TRIES; counter++) {
    dv.setUint32(msgHash.length, counter, true);
    cand.set(sha256(buf), 1);
    try {
      return Point.fromBytes(cand);
    } catch {
      // not an x-coordinate on the curve: next counter
    }
  }
  throw new Error('hash_to_curve: no point found');
}

/** Y of a proof's secret (the UTF-8 string, NUT-00 Proof.secret). Y is the ledger's spend key (NUT-07). */
export function secretToY(secret: string): Point {
  return hashToCurve(utf8Encode(secret));
}

const HEX66 = /^(02|03)[0-9a-fA-F]{64}$/;

/**
 * Parse a compressed SEC1 point given as hex (NUT-00: hex_str of the compressed key). Rejects any
 * other length or prefix, x not on the curve and the identity, with INVALID_POINT.
 */
export function parsePoint(hex: unknown, what = 'point'): Point {
  if (typeof hex !== 'string' || !HEX66.test(hex)) {
    throw new BankError(ErrorCode.INVALID_POINT, what + ' is not a compressed secp256k1 point');
  }
  try {
    const p = Point.fromBytes(fromHex(hex));
    p.assertValidity();
    return p;
  } catch {
    throw new BankError(ErrorCode.INVALID_POINT, what + ' is not on secp256k1');
  }
}

export function pointHex(p: Point): string {
  return toHex(p.toBytes(true));
}

/** Scalar from 32 big-endian bytes; the caller guarantees 0 < s < n where it matters. */
export function bytesToScalar(b: Uint8Array): bigint {
  if (b.length !== 32) throw new Error('scalar must be 32 bytes');
  return BigInt('0x' + toHex(b));
}

export function scalarToBytes(s: bigint): Uint8Array {
  if (s < 0n || s >= 1n << 256n) throw new Error('scalar out of range');
  return fromHex(s.toString(16).padStart(64, '0'));
}

export function scalarHex(s: bigint): string {
  return s.toString(16).padStart(64, '0');
}

export function mod(a: bigint, m: bigint = N): bigint {
  const r = a % m;
  return r >= 0n ? r : r + m;
}

/** Wallet: B_ = Y + r·G. */
export function blind(secret: string, r: bigint): Point {
  return secretToY(secret).add(Point.BASE.multiply(r));
}

/** Mint: C_ = k·B_ (constant-time in k). */
export function signBlinded(k: bigint, B_: Point): Point {
  return B_.multiply(k);
}

/** Wallet: C = C_ − r·K. */
export function unblind(C_: Point, r: bigint, K: Point): Point {
  return C_.subtract(K.multiply(r));
}

/** Mint: a proof (x, C) is valid for amount key k iff k·hash_to_curve(x) == C. */
export function verifyProof(k: bigint, secret: string, C: Point): boolean {
  return secretToY(secret).multiply(k).equals(C);
}
