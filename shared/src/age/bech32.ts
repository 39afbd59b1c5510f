/**
 * Bech32 (BIP 173) for age keys (`age1…` recipients, `AGE-SECRET-KEY-1…` identities). As the age
 * spec says, BIP 173's 90-character limit does not apply; we bound the length ourselves so a hostile
 * string cannot make us loop long. Strings are all lower or all upper case; the checksum is always
 * computed over the lower-case form. Espruino-safe: 32-bit integer arithmetic only.
 */
import { DecodeError } from '../bytes';

const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
/** Our own bound (age keys are 62–74 characters; post-quantum recipients are not supported here). */
export const BECH32_MAX_LEN = 256;

/** BIP 173 "bech32_polymod". The state stays below 2^30, so plain JS bit operations are exact. */
function polymod(values: number[]): number {
  let chk = 1;
  for (let i = 0; i < values.length; i++) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ values[i];
    for (let j = 0; j < 5; j++) if ((top >>> j) & 1) chk ^= GEN[j];
  }
  return chk;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/** Regroup bits (BIP 173 "convertbits"). Without padding, leftover bits must be fewer than `from` and zero. */
function convertBits(data: ArrayLike<number>, from: number, to: number, pad: boolean): number[] {
  let acc = 0;
  let bits = 0;
  const out: number[] = [];
  const maxv = (1 << to) - 1;
  for (let i = 0; i < data.length; i++) {
    acc = ((acc << from) | data[i]) & 0xffff;
    bits += from;
    while (bits >= to) {
      bits -= to;
      out.push((acc >> bits) & maxv);
    }
  }
  if (pad) {
    if (bits > 0) out.push((acc << (to - bits)) & maxv);
  } else if (bits >= from || ((acc << (to - bits)) & maxv) !== 0) {
    throw new DecodeError('bad_bech32', 'non-zero padding');
  }
  return out;
}

/** Encode bytes under `hrp` (lower case). */
export function bech32Encode(hrp: string, data: Uint8Array): string {
  const lower = hrp.toLowerCase();
  const words = convertBits(data, 8, 5, true);
  const values = hrpExpand(lower).concat(words).concat([0, 0, 0, 0, 0, 0]);
  const mod = polymod(values) ^ 1;
  let s = lower + '1';
  for (let i = 0; i < words.length; i++) s += CHARSET[words[i]];
  for (let i = 0; i < 6; i++) s += CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return s;
}

/** Decode and verify; returns the lower-case hrp and the bytes. Throws DecodeError('bad_bech32'). */
export function bech32Decode(s: string): { hrp: string; data: Uint8Array } {
  if (typeof s !== 'string' || s.length < 8 || s.length > BECH32_MAX_LEN) throw new DecodeError('bad_bech32', 'length');
  let hasLower = false;
  let hasUpper = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 33 || c > 126) throw new DecodeError('bad_bech32', 'character out of range');
    if (c >= 97 && c <= 122) hasLower = true;
    if (c >= 65 && c <= 90) hasUpper = true;
  }
  if (hasLower && hasUpper) throw new DecodeError('bad_bech32', 'mixed case');
  const str = s.toLowerCase();
  const pos = str.lastIndexOf('1');
  if (pos < 1 || pos + 7 > str.length) throw new DecodeError('bad_bech32', 'separator');
  const hrp = str.substring(0, pos);
  const values: number[] = [];
  for (let i = pos + 1; i < str.length; i++) {
    const v = CHARSET.indexOf(str[i]);
    if (v < 0) throw new DecodeError('bad_bech32', 'character not in charset');
    values.push(v);
  }
  if (polymod(hrpExpand(hrp).concat(values)) !== 1) throw new DecodeError('bad_bech32', 'checksum');
  const bytes = convertBits(values.slice(0, values.length - 6), 5, 8, false);
  return { hrp: hrp, data: new Uint8Array(bytes) };
}
