/**
 * Additive secret sharing of a drop-box entry over k exchange servers (ACS §3.2 "Input preparation":
 * n−1 random shares, the last one the message minus their sum). The ring here is GF(2)^n, so
 * "minus" and "plus" are both XOR: any k−1 shares are uniformly random and independent of the
 * message; only all k together give it back.
 *
 * Before splitting, the message is padded to a fixed bucket (ACS §4: "all message shares are padded
 * to the same length") so a share's size reveals only its bucket:
 *   padded = len u32 big-endian | msg | zeros, of length BUCKETS[i], the smallest that fits.
 * Runs on the PDA too (the PDA combines at pickup): no Map, no BigInt, no destructuring.
 */
import { DecodeError } from '../bytes';

/** Share sizes in bytes. The largest fits a sealed reply of the default reply limit (16000 + 28). */
export const BUCKETS = [1024, 4096, 16384];
export const LEN_PREFIX = 4;
export const MAX_SHARE_MESSAGE = BUCKETS[BUCKETS.length - 1] - LEN_PREFIX;
export const MIN_SHARES = 2;
export const MAX_SHARES = 16;

/** The bucket a message of `n` bytes is padded to; -1 if it is too large. */
export function bucketFor(n: number): number {
  for (let i = 0; i < BUCKETS.length; i++) if (n + LEN_PREFIX <= BUCKETS[i]) return BUCKETS[i];
  return -1;
}

export function isBucket(n: number): boolean {
  for (let i = 0; i < BUCKETS.length; i++) if (BUCKETS[i] === n) return true;
  return false;
}

function checkK(k: number): void {
  if (typeof k !== 'number' || k !== Math.floor(k) || k < MIN_SHARES || k > MAX_SHARES) {
    throw new DecodeError('bad_share_count', 'k must be ' + MIN_SHARES + '..' + MAX_SHARES);
  }
}

/**
 * k shares of `msg`: shares 0..k−2 straight from `rnd` (a cryptographic RNG: rnd(n) → n bytes), the
 * last = padded(msg) XOR all of them.
 */
export function splitShares(msg: Uint8Array, k: number, rnd: (n: number) => Uint8Array): Uint8Array[] {
  checkK(k);
  const size = bucketFor(msg.length);
  if (size < 0) throw new DecodeError('too_large', 'message of ' + msg.length + ' bytes exceeds ' + MAX_SHARE_MESSAGE);
  const last = new Uint8Array(size);
  const n = msg.length;
  last[0] = (n >>> 24) & 0xff;
  last[1] = (n >>> 16) & 0xff;
  last[2] = (n >>> 8) & 0xff;
  last[3] = n & 0xff;
  last.set(msg, LEN_PREFIX);
  const out: Uint8Array[] = [];
  for (let j = 0; j < k - 1; j++) {
    const r = rnd(size);
    if (!r || r.length !== size) throw new Error('RNG returned ' + (r ? r.length : 0) + ' bytes, wanted ' + size);
    const s = new Uint8Array(size);
    s.set(r);
    for (let i = 0; i < size; i++) last[i] ^= s[i];
    out.push(s);
  }
  out.push(last);
  return out;
}

/**
 * The message back from all k shares. Throws DecodeError unless there are 2..16 shares of one
 * bucket size, the length prefix fits, and the padding is all zero (a wrong or missing share
 * almost surely breaks one of these; the AEAD inside the entry catches the rest).
 */
export function combineShares(shares: Uint8Array[]): Uint8Array {
  if (!shares || typeof shares.length !== 'number') throw new DecodeError('bad_share_count', 'no shares');
  checkK(shares.length);
  const size = shares[0] ? shares[0].length : 0;
  if (!isBucket(size)) throw new DecodeError('bad_share_size', 'share of ' + size + ' bytes is not a bucket size');
  for (let j = 1; j < shares.length; j++) {
    if (!shares[j] || shares[j].length !== size) throw new DecodeError('bad_share_size', 'shares differ in length');
  }
  const acc = new Uint8Array(size);
  for (let j = 0; j < shares.length; j++) {
    const s = shares[j];
    for (let i = 0; i < size; i++) acc[i] ^= s[i];
  }
  const n = ((acc[0] << 24) | (acc[1] << 16) | (acc[2] << 8) | acc[3]) >>> 0;
  if (n > size - LEN_PREFIX) {
    acc.fill(0);
    throw new DecodeError('bad_share_length', 'length prefix ' + n + ' exceeds the bucket');
  }
  let pad = 0;
  for (let i = LEN_PREFIX + n; i < size; i++) pad |= acc[i];
  if (pad !== 0) {
    acc.fill(0);
    throw new DecodeError('bad_share_padding', 'padding is not zero');
  }
  const msg = new Uint8Array(n);
  msg.set(acc.subarray(LEN_PREFIX, LEN_PREFIX + n));
  acc.fill(0);
  return msg;
}
