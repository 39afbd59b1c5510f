/**
 * ChaCha20-Poly1305 AEAD (RFC 8439 §2.8) assembled from @noble/ciphers' raw ChaCha20 stream
 * and Poly1305 MAC, without noble's own AEAD wrapper: that one encodes the lengths with
 * DataView.setBigUint64(BigInt(n)), which Espruino cannot run. Lengths are encoded by hand.
 *
 * The Poly1305 class is used directly rather than noble's `poly1305` wrapper: the wrapper calls
 * `mac(key, ...args)`, which TypeScript's ES5 lowering turns into its `__spreadArray` helper,
 * and that helper fails on Espruino 2v29 (it relies on `var` hoisting and on
 * Array.prototype.slice, neither of which Espruino has).
 *
 * seal -> ciphertext || tag (16 bytes). open -> plaintext, or null on any authentication
 * failure; the tag is checked (constant time) before anything is decrypted, so no partial
 * plaintext ever leaves this module. Wrong key/nonce sizes are programming errors and throw.
 */
import './espruino-shims';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { Poly1305 } from '@noble/ciphers/_poly1305.js';
import { equalBytes, wipe } from '../bytes';

export const KEY_LENGTH = 32;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

const ZERO16 = new Uint8Array(16);

function checkKeyNonce(fn: string, key: Uint8Array, nonce: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_LENGTH) {
    throw new Error('chacha20poly1305.' + fn + ': key must be a 32-byte Uint8Array');
  }
  if (!(nonce instanceof Uint8Array) || nonce.length !== NONCE_LENGTH) {
    throw new Error('chacha20poly1305.' + fn + ': nonce must be a 12-byte Uint8Array');
  }
}

function checkBytes(fn: string, name: string, b: Uint8Array): void {
  if (!(b instanceof Uint8Array)) throw new TypeError('chacha20poly1305.' + fn + ': ' + name + ' must be a Uint8Array');
}

/** Little-endian u64 of a non-negative integer < 2^53, without BigInt. */
function putLe64(out: Uint8Array, off: number, n: number): void {
  let lo = n % 0x100000000;
  let hi = Math.floor(n / 0x100000000);
  for (let i = 0; i < 4; i++) {
    out[off + i] = lo & 0xff;
    lo = Math.floor(lo / 256);
    out[off + 4 + i] = hi & 0xff;
    hi = Math.floor(hi / 256);
  }
}

/**
 * Tag over aad || pad16 || ct || pad16 || le64(|aad|) || le64(|ct|) (RFC 8439 §2.8), with the
 * one-time Poly1305 key = first 32 bytes of the ChaCha20 block with counter 0 (§2.6).
 */
function computeTag(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array {
  const otk = chacha20(key, nonce, new Uint8Array(32), undefined, 0);
  const mac = new Poly1305(otk);
  mac.update(aad);
  if (aad.length % 16) mac.update(ZERO16.subarray(0, 16 - (aad.length % 16)));
  mac.update(ct);
  if (ct.length % 16) mac.update(ZERO16.subarray(0, 16 - (ct.length % 16)));
  const lens = new Uint8Array(16);
  putLe64(lens, 0, aad.length);
  putLe64(lens, 8, ct.length);
  mac.update(lens);
  // digestInto our own array: noble's digest() returns buffer.slice(), which on Espruino 2v29
  // is a plain Array rather than a Uint8Array.
  const tag = new Uint8Array(TAG_LENGTH);
  mac.digestInto(tag);
  mac.destroy();
  wipe(otk);
  return tag;
}

/** Encrypt and authenticate. Returns ciphertext || 16-byte tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  checkKeyNonce('seal', key, nonce);
  checkBytes('seal', 'plaintext', plaintext);
  const ad = aad === undefined ? ZERO16.subarray(0, 0) : aad;
  checkBytes('seal', 'aad', ad);
  const out = new Uint8Array(plaintext.length + TAG_LENGTH);
  const ct = out.subarray(0, plaintext.length);
  // §2.8: the message is encrypted with the block counter starting at 1.
  chacha20(key, nonce, plaintext, ct, 1);
  out.set(computeTag(key, nonce, ad, ct), plaintext.length);
  return out;
}

/**
 * Verify and decrypt ciphertext || tag. Returns the plaintext, or null if the input is too
 * short or the tag does not match (tampered ciphertext, tag, aad, key or nonce).
 */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  checkKeyNonce('open', key, nonce);
  checkBytes('open', 'sealed', sealed);
  const ad = aad === undefined ? ZERO16.subarray(0, 0) : aad;
  checkBytes('open', 'aad', ad);
  if (sealed.length < TAG_LENGTH) return null;
  const n = sealed.length - TAG_LENGTH;
  const ct = sealed.subarray(0, n);
  const tag = computeTag(key, nonce, ad, ct);
  const ok = equalBytes(tag, sealed.subarray(n));
  wipe(tag);
  if (!ok) return null;
  return chacha20(key, nonce, ct, new Uint8Array(n), 1);
}
