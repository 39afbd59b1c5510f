/**
 * What the mail service stores in the mix queue (host/mail/service.ts): the TmpId, the recipient
 * (outbound only, empty inbound) and the age file, length-prefixed. Decoding is bounds-checked; a
 * row that does not decode is dropped, never delivered half.
 */
import { DecodeError, utf8Decode, utf8Encode } from '../../shared/src/bytes';

export interface MixedMail {
  tmpId: string;
  /** The outside address for outbound mail; '' for a reply coming in. */
  to: string;
  age: Uint8Array;
}

export function encodeMixedMail(m: MixedMail): Uint8Array {
  const t = utf8Encode(m.tmpId);
  const to = utf8Encode(m.to);
  if (t.length > 255 || to.length > 65535) throw new DecodeError('too_large', 'mix entry fields too long');
  const out = new Uint8Array(1 + t.length + 2 + to.length + m.age.length);
  let o = 0;
  out[o++] = t.length;
  out.set(t, o);
  o += t.length;
  out[o++] = to.length >> 8;
  out[o++] = to.length & 255;
  out.set(to, o);
  o += to.length;
  out.set(m.age, o);
  return out;
}

export function decodeMixedMail(b: Uint8Array): MixedMail {
  if (b.length < 3) throw new DecodeError('truncated', 'mix entry too short');
  const tl = b[0];
  if (1 + tl + 2 > b.length) throw new DecodeError('truncated', 'mix entry TmpId');
  const tmpId = utf8Decode(b.subarray(1, 1 + tl));
  const ol = (b[1 + tl] << 8) | b[2 + tl];
  const start = 3 + tl;
  if (start + ol > b.length) throw new DecodeError('truncated', 'mix entry recipient');
  const to = utf8Decode(b.subarray(start, start + ol));
  return { tmpId, to, age: b.slice(start + ol) };
}
