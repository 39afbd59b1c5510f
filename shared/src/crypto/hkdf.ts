/**
 * HKDF-SHA-256 (RFC 5869): extract (§2.2) then expand (§2.3).
 * An empty salt means HashLen zero bytes (§2.2). length <= 255 * 32 (§2.3).
 */
import { hmacSha256 } from './hmac';
import { concat, wipe } from '../bytes';

const HASH_LEN = 32;

export function hkdfExtract(salt: Uint8Array | undefined, ikm: Uint8Array): Uint8Array {
  const s = salt && salt.length > 0 ? salt : new Uint8Array(HASH_LEN);
  return hmacSha256(s, ikm);
}

function checkArgs(info: Uint8Array, length: number): void {
  if (!(info instanceof Uint8Array)) throw new TypeError('hkdf: info must be a Uint8Array');
  if (typeof length !== 'number' || Math.floor(length) !== length || length < 0 || length > 255 * HASH_LEN) {
    throw new Error('hkdf: length must be an integer in 0..' + 255 * HASH_LEN);
  }
}

export function hkdfExpand(prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!(prk instanceof Uint8Array) || prk.length < HASH_LEN) throw new Error('hkdf: prk must be >= 32 bytes');
  checkArgs(info, length);
  const out = new Uint8Array(length);
  let prev: Uint8Array = new Uint8Array(0);
  let pos = 0;
  for (let i = 1; pos < length; i++) {
    // T(i) = HMAC(PRK, T(i-1) | info | i)
    const input = concat([prev, info, new Uint8Array([i])]);
    const t = hmacSha256(prk, input);
    wipe(input);
    wipe(prev);
    const take = Math.min(HASH_LEN, length - pos);
    out.set(t.subarray(0, take), pos);
    pos += take;
    prev = t;
  }
  wipe(prev);
  return out;
}

/** HKDF-SHA-256(IKM, salt, info) -> length bytes. The intermediate PRK is wiped. */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  if (!(ikm instanceof Uint8Array)) throw new TypeError('hkdf: ikm must be a Uint8Array');
  if (salt !== undefined && !(salt instanceof Uint8Array)) throw new TypeError('hkdf: salt must be a Uint8Array');
  checkArgs(info, length);
  const prk = hkdfExtract(salt, ikm);
  const okm = hkdfExpand(prk, info, length);
  wipe(prk);
  return okm;
}
