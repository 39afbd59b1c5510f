/**
 * The age v1 textual header (C2SP age, "Header"): version line, recipient stanzas, MAC line.
 * Parsing is strict and bounded (header size, stanza count, argument count, line lengths) and
 * returns the exact bytes the MAC covers ("the whole header up to and including the `---` mark").
 */
import { DecodeError, copyBytes, utf8Encode } from '../bytes';
import { b64DecodeRaw, b64EncodeRaw } from './base64';

export const VERSION_LINE = 'age-encryption.org/v1';
export const MAX_HEADER_BYTES = 4096;
export const MAX_STANZAS = 16;
const MAX_ARGS = 8;
const LINE_COLS = 64;

export interface Stanza {
  args: string[];
  body: Uint8Array;
}

export interface ParsedHeader {
  stanzas: Stanza[];
  /** Header bytes up to and including `---` (what the HMAC covers). */
  macInput: Uint8Array;
  mac: Uint8Array;
  /** Offset of the first payload byte. */
  payloadOffset: number;
}

/** Read one LF-terminated line of printable ASCII starting at `o`; returns the text and the next offset. */
function readLine(b: Uint8Array, o: number, limit: number): { text: string; next: number } {
  let s = '';
  for (let i = o; i < limit; i++) {
    const c = b[i];
    if (c === 10) return { text: s, next: i + 1 };
    if (c < 32 || c > 126) throw new DecodeError('bad_age_header', 'non-printable byte in header');
    s += String.fromCharCode(c);
  }
  throw new DecodeError('bad_age_header', 'header not terminated');
}

function isBase64Line(s: string): boolean {
  return /^[A-Za-z0-9+/]*$/.test(s);
}

export function parseHeader(b: Uint8Array): ParsedHeader {
  const limit = Math.min(b.length, MAX_HEADER_BYTES);
  let l = readLine(b, 0, limit);
  if (l.text !== VERSION_LINE) throw new DecodeError('bad_age_header', 'not an age v1 file');
  let o = l.next;
  const stanzas: Stanza[] = [];
  for (;;) {
    // "--- " may be the start of the MAC line; check the 3-character prefix first (spec: each section
    // can be recognised by its first three characters).
    if (o + 3 <= limit && b[o] === 45 && b[o + 1] === 45 && b[o + 2] === 45) break;
    l = readLine(b, o, limit);
    if (l.text.substring(0, 3) !== '-> ') throw new DecodeError('bad_age_header', 'expected a stanza or the MAC line');
    const args = l.text.substring(3).split(' ');
    if (args.length < 1 || args.length > MAX_ARGS) throw new DecodeError('bad_age_header', 'stanza argument count');
    for (let i = 0; i < args.length; i++) if (args[i].length === 0) throw new DecodeError('bad_age_header', 'empty stanza argument');
    o = l.next;
    let body = '';
    for (;;) {
      l = readLine(b, o, limit);
      o = l.next;
      if (l.text.length > LINE_COLS || !isBase64Line(l.text)) throw new DecodeError('bad_age_header', 'bad stanza body line');
      body += l.text;
      if (l.text.length < LINE_COLS) break;
    }
    stanzas.push({ args: args, body: b64DecodeRaw(body) });
    if (stanzas.length > MAX_STANZAS) throw new DecodeError('bad_age_header', 'too many stanzas');
  }
  if (stanzas.length === 0) throw new DecodeError('bad_age_header', 'no recipient stanza');
  const macInput = copyBytes(b, 0, o + 3);
  l = readLine(b, o, limit);
  if (l.text.length !== 4 + 43 || l.text.substring(0, 4) !== '--- ') throw new DecodeError('bad_age_header', 'bad MAC line');
  const mac = b64DecodeRaw(l.text.substring(4));
  return { stanzas: stanzas, macInput: macInput, mac: mac, payloadOffset: l.next };
}

/** Text of one stanza: argument line, body wrapped at 64 columns, ending with a short (maybe empty) line. */
export function encodeStanza(s: Stanza): string {
  let t = '-> ' + s.args.join(' ') + '\n';
  const body = b64EncodeRaw(s.body);
  let i = 0;
  for (; i + LINE_COLS <= body.length; i += LINE_COLS) t += body.substring(i, i + LINE_COLS) + '\n';
  t += body.substring(i) + '\n';
  return t;
}

/** Header bytes up to and including `---`, ready to be MACed. */
export function headerMacInput(stanzas: Stanza[]): Uint8Array {
  let t = VERSION_LINE + '\n';
  for (let i = 0; i < stanzas.length; i++) t += encodeStanza(stanzas[i]);
  return utf8Encode(t + '---');
}
