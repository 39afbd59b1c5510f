/** RFC 4648 §6 base32, lower case, no padding: TmpIds must be valid e-mail local parts (docs/mail.md). */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function base32Encode(b: Uint8Array): string {
  let s = '';
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < b.length; i++) {
    acc = ((acc << 8) | b[i]) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      s += ALPHABET[(acc >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) s += ALPHABET[(acc << (5 - bits)) & 31];
  return s;
}
