/**
 * NUT-01/02 keysets: one secp256k1 key per power-of-two amount, identified by a keyset id.
 *
 * Keyset id (NUT-02 "V1 keysets"): "00" || first 14 hex chars of SHA256(concatenation of the
 * compressed public keys sorted by amount). Wallets recompute it to check the mint (host/wallet).
 *
 * Private keys: NUT-02 leaves derivation to the mint. We derive k_i = HMAC-SHA256(seed,
 * "hood-bank/keyset/v1/<unit>/<index>/<i>" || ctr) with rejection sampling (0 < k < n), so one
 * 32-byte seed file in the data dir recreates every keyset; rotation bumps <index>.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concat, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { N, Point, bytesToScalar, pointHex, scalarToBytes, type Point as PointT } from './bdhke';

/** Amounts 2^0 .. 2^(MAX_ORDER-1). 2^31 keeps every sum far inside Number's exact range. */
export const MAX_ORDER = 32;
export const KEYSET_ID_RE = /^[0-9a-f]{16}$/;

export function isKeyAmount(a: unknown): a is number {
  return typeof a === 'number' && Number.isSafeInteger(a) && a > 0 && a <= 2 ** (MAX_ORDER - 1) && (a & (a - 1)) === 0;
}

/** NUT-02 V1 keyset id from {amount: compressed-hex} (amount keys compared numerically). */
export function keysetIdV1(keys: Record<string, string>): string {
  const amounts = Object.keys(keys).map(Number).sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  for (const a of amounts) parts.push(fromHex(keys[String(a)]));
  return '00' + toHex(sha256(concat(parts))).slice(0, 14);
}

export interface AmountKey {
  amount: number;
  k: bigint;
  K: PointT;
  /** k as 32 big-endian bytes and K compressed: the forms the curve seam (curve/types.ts) takes. */
  kBytes: Uint8Array;
  KBytes: Uint8Array;
  /** K uncompressed (NUT-12 hashes A this way). */
  KUncompressed: Uint8Array;
}

export interface Keyset {
  id: string;
  unit: string;
  index: number;
  active: boolean;
  inputFeePpk: number;
  byAmount: Map<number, AmountKey>;
  /** NUT-01 wire form {amount: hex}. */
  publicKeys: Record<string, string>;
}

function deriveKey(seed: Uint8Array, label: string): bigint {
  const msg = concat([utf8Encode(label), new Uint8Array(1)]);
  for (let ctr = 0; ctr < 256; ctr++) {
    msg[msg.length - 1] = ctr;
    const k = bytesToScalar(hmac(sha256, seed, msg));
    if (k !== 0n && k < N) return k;
  }
  throw new Error('keyset derivation: no valid scalar');
}

export function deriveKeyset(seed: Uint8Array, unit: string, index: number, active: boolean): Keyset {
  if (seed.length !== 32) throw new Error('mint seed must be 32 bytes');
  const byAmount = new Map<number, AmountKey>();
  const publicKeys: Record<string, string> = {};
  for (let i = 0; i < MAX_ORDER; i++) {
    const amount = 2 ** i;
    const k = deriveKey(seed, 'hood-bank/keyset/v1/' + unit + '/' + index + '/' + i);
    const K = Point.BASE.multiply(k);
    byAmount.set(amount, { amount, k, K, kBytes: scalarToBytes(k), KBytes: K.toBytes(true), KUncompressed: K.toBytes(false) });
    publicKeys[String(amount)] = pointHex(K);
  }
  return { id: keysetIdV1(publicKeys), unit, index, active, inputFeePpk: 0, byAmount, publicKeys };
}
