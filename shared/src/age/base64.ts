/**
 * Base64 as age uses it (C2SP age, "Conventions"): the standard alphabet of RFC 4648 §4 WITHOUT `=`
 * padding. Encoders produce canonical output; the decoder rejects padding, foreign characters and
 * non-canonical encodings (RFC 4648 §3.5: the unused low bits of the last character must be zero),
 * because a lax decoder would make age headers malleable. The padded variant is used only by the
 * ASCII armor (RFC 7468), see armor.ts. Espruino-safe (no btoa dependency, no Buffer).
 */
import { DecodeError } from '../bytes';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Value of a base64 character, -1 if it is not one. */
function val(c: number): number {
  if (c >= 65 && c <= 90) return c - 65;
  if (c >= 97 && c <= 122) return c - 71;
  if (c >= 48 && c <= 57) return c + 4;
  if (c === 43) return 62;
  if (c === 47) return 63;
  return -1;
}

/** Unpadded standard base64. */
export function b64EncodeRaw(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63] + ALPHABET[n & 63];
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i] << 16;
    s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (b[i] << 16) | (b[i + 1] << 8);
    s += ALPHABET[n >> 18] + ALPHABET[(n >> 12) & 63] + ALPHABET[(n >> 6) & 63];
  }
  return s;
}

/** Padded standard base64 (RFC 4648 §4), for the ASCII armor only. */
export function b64EncodePadded(b: Uint8Array): string {
  const s = b64EncodeRaw(b);
  const pad = (4 - (s.length % 4)) % 4;
  return pad === 2 ? s + '==' : pad === 1 ? s + '=' : s;
}

/** Strict decode of unpadded canonical base64. Throws DecodeError('bad_base64'). */
export function b64DecodeRaw(s: string): Uint8Array {
  const n = s.length;
  if (n % 4 === 1) throw new DecodeError('bad_base64', 'impossible length');
  const out = new Uint8Array(Math.floor((n * 3) / 4));
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < n; i++) {
    const v = val(s.charCodeAt(i));
    if (v < 0) throw new DecodeError('bad_base64', 'character ' + i);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 255;
    }
  }
  // Canonical: the bits left over after the last full byte must be zero (RFC 4648 §3.5).
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) throw new DecodeError('bad_base64', 'non-canonical');
  return out;
}

/** Strict decode of padded canonical base64 (armor body). */
export function b64DecodePadded(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new DecodeError('bad_base64', 'padded length');
  let end = s.length;
  if (end > 0 && s.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && s.charCodeAt(end - 1) === 61) end--;
  const body = s.substring(0, end);
  if (body.length % 4 === 1) throw new DecodeError('bad_base64', 'padding');
  return b64DecodeRaw(body);
}
