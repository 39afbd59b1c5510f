/**
 * Just enough RFC 5322 / MIME (RFC 2045–2046) to find the age file in a reply mail: the armored
 * block (C2SP age "ASCII armor") in a text part, or a binary `.age` attachment. Handles one level of
 * multipart nesting and the transfer encodings 7bit/8bit/binary/quoted-printable/base64. Everything
 * is bounded by the caller's size limit (the SMTP server refuses larger messages first).
 */
import { DecodeError } from '../../shared/src/bytes';
import { dearmor, findArmor } from '../../shared/src/age/armor';
import { looksLikeAge } from '../../shared/src/mail/payloads';

interface Part {
  headers: Record<string, string>;
  body: Buffer;
}

const MAX_PARTS = 16;
const MAX_DEPTH = 3;

function splitHeaders(raw: Buffer): Part {
  let sep = raw.indexOf('\r\n\r\n');
  let sepLen = 4;
  const lf = raw.indexOf('\n\n');
  if (lf >= 0 && (sep < 0 || lf < sep)) {
    sep = lf;
    sepLen = 2;
  }
  if (sep < 0) return { headers: parseHeaderBlock(raw.toString('latin1')), body: Buffer.alloc(0) };
  return { headers: parseHeaderBlock(raw.subarray(0, sep).toString('latin1')), body: raw.subarray(sep + sepLen) };
}

function parseHeaderBlock(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  // Unfold (RFC 5322 §2.2.3), then one header per line; the first occurrence wins.
  const lines = text.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i <= 0) continue;
    const name = l.slice(0, i).trim().toLowerCase();
    if (!(name in out)) out[name] = l.slice(i + 1).trim();
  }
  return out;
}

function param(value: string, name: string): string | undefined {
  const m = new RegExp(';\\s*' + name + '\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))', 'i').exec(value);
  return m ? m[1] ?? m[2] : undefined;
}

function decodeQuotedPrintable(b: Buffer): Buffer {
  const s = b.toString('latin1').replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(s.charCodeAt(i) & 255);
  }
  return Buffer.from(out);
}

function decodeBody(p: Part): Buffer {
  const cte = (p.headers['content-transfer-encoding'] || '7bit').toLowerCase();
  if (cte === 'base64') return Buffer.from(p.body.toString('latin1').replace(/[\r\n\t ]/g, ''), 'base64');
  if (cte === 'quoted-printable') return decodeQuotedPrintable(p.body);
  if (cte === '7bit' || cte === '8bit' || cte === 'binary') return p.body;
  throw new DecodeError('bad_mime', 'unknown transfer encoding ' + cte);
}

function leaves(p: Part, depth: number, out: Part[]): void {
  const ct = (p.headers['content-type'] || 'text/plain').toLowerCase();
  if (!ct.startsWith('multipart/')) {
    out.push(p);
    return;
  }
  if (depth >= MAX_DEPTH) throw new DecodeError('bad_mime', 'multipart nested too deep');
  const boundary = param(p.headers['content-type'], 'boundary');
  if (!boundary || boundary.length > 70) throw new DecodeError('bad_mime', 'multipart without a valid boundary');
  const delim = '--' + boundary;
  const text = p.body.toString('latin1');
  const pieces = text.split(new RegExp('\\r?\\n?' + delim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') + '(?:--)?[ \\t]*\\r?\\n?'));
  // pieces[0] is the preamble, the last one the epilogue.
  for (let i = 1; i < pieces.length - 1; i++) {
    if (out.length >= MAX_PARTS) throw new DecodeError('bad_mime', 'too many parts');
    leaves(splitHeaders(Buffer.from(pieces[i], 'latin1')), depth + 1, out);
  }
}

export interface ParsedMail {
  headers: Record<string, string>;
  /** The binary age file the mail carries. */
  age: Uint8Array;
}

/** Find the age file in a raw mail. Throws DecodeError('no_age_content' | 'bad_mime' | 'bad_armor' | …). */
export function extractAge(raw: Buffer, maxAgeBytes: number): ParsedMail {
  const top = splitHeaders(raw);
  const parts: Part[] = [];
  leaves(top, 0, parts);
  for (const p of parts) {
    const body = decodeBody(p);
    const ct = (p.headers['content-type'] || 'text/plain').toLowerCase();
    if (ct.startsWith('text/')) {
      const block = findArmor(body.toString('latin1'));
      if (!block) continue;
      const age = dearmor(block, maxAgeBytes * 2);
      if (age.length > maxAgeBytes) throw new DecodeError('too_large', 'age file of ' + age.length + ' bytes');
      if (!looksLikeAge(age)) throw new DecodeError('not_age', 'armored content is not an age v1 file');
      return { headers: top.headers, age };
    }
    const u = new Uint8Array(body);
    if (looksLikeAge(u)) {
      if (u.length > maxAgeBytes) throw new DecodeError('too_large', 'age file of ' + u.length + ' bytes');
      return { headers: top.headers, age: u };
    }
  }
  throw new DecodeError('no_age_content', 'the mail carries no age-encrypted content');
}
