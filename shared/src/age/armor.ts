/**
 * ASCII armor for age files (C2SP age, "ASCII armor"): strict PEM (RFC 7468 §3) with the label
 * "AGE ENCRYPTED FILE", padded base64 in 64-column lines. The decoder accepts only whitespace around
 * the block, LF or CRLF, full 64-column lines except the last, and canonical base64 — anything else
 * would make the armored file malleable.
 */
import { DecodeError } from '../bytes';
import { b64DecodePadded, b64EncodePadded } from './base64';
import { splitLines } from '../text';

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const END = '-----END AGE ENCRYPTED FILE-----';

export function armor(file: Uint8Array): string {
  const b = b64EncodePadded(file);
  let s = BEGIN + '\n';
  for (let i = 0; i < b.length; i += 64) s += b.substring(i, i + 64) + '\n';
  return s + END + '\n';
}

/** Decode an armored file; `text` may carry whitespace before and after the block only. */
export function dearmor(text: string, maxChars?: number): Uint8Array {
  if (maxChars !== undefined && text.length > maxChars) throw new DecodeError('too_long', 'armored text');
  const t = text.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+$/, '');
  const lines = splitLines(t);
  if (lines.length < 3 || lines[0] !== BEGIN || lines[lines.length - 1] !== END) throw new DecodeError('bad_armor', 'not an armored age file');
  let body = '';
  for (let i = 1; i < lines.length - 1; i++) {
    const l = lines[i];
    const lastLine = i === lines.length - 2;
    if (l.length === 0 || l.length > 64 || (!lastLine && l.length !== 64)) throw new DecodeError('bad_armor', 'line ' + i + ' length');
    body += l;
  }
  return b64DecodePadded(body);
}

/** Find the first armored block inside a larger text (e.g. a mail body). */
export function findArmor(text: string): string | null {
  const a = text.indexOf(BEGIN);
  if (a < 0) return null;
  const b = text.indexOf(END, a);
  if (b < 0) return null;
  return text.substring(a, b + END.length);
}
