/**
 * The plaintext inside the age file (docs/mail.md §4): a few RFC 5322-style header lines, an empty
 * line, then the UTF-8 body. It is what Alice sees when she runs `age -d`, so it stays readable:
 *
 *   Subject: lunch?
 *   Reply-Recipient: age1…          (Bob -> Alice: the reply key K_BA, see docs/mail.md §4)
 *   Content-Type: text/plain; charset=utf-8
 *
 *   body…
 *
 * Header values are single lines (no CR/LF), so nothing in a value can forge another header.
 */
import { DecodeError, utf8Decode, utf8Encode } from '../bytes';
import { isOf, splitLines } from '../text';

export const MAX_HEADERS = 16;
const MAX_HEADER_LINE = 998; // RFC 5322 §2.1.1

export interface Letter {
  /** Header names in lower case. */
  headers: { [name: string]: string };
  body: string;
}

export function encodeLetter(headers: [string, string][], body: string): Uint8Array {
  let t = '';
  for (let i = 0; i < headers.length; i++) {
    const n = headers[i][0];
    const v = headers[i][1];
    if (!isOf(n, /[A-Za-z0-9-]/, 1, 64)) throw new DecodeError('bad_header', 'header name');
    if (/[\r\n]/.test(v) || n.length + 2 + v.length > MAX_HEADER_LINE) throw new DecodeError('bad_header', n + ' must be one line');
    t += n + ': ' + v + '\n';
  }
  t += 'Content-Type: text/plain; charset=utf-8\n\n';
  return utf8Encode(t + body);
}

export function parseLetter(b: Uint8Array): Letter {
  const text = utf8Decode(b);
  let sep = text.indexOf('\n\n');
  let sepLen = 2;
  const crlf = text.indexOf('\r\n\r\n');
  if (crlf >= 0 && (sep < 0 || crlf < sep)) {
    sep = crlf;
    sepLen = 4;
  }
  if (sep < 0) throw new DecodeError('bad_letter', 'no blank line after the headers');
  const lines = splitLines(text.substring(0, sep));
  if (lines.length > MAX_HEADERS) throw new DecodeError('bad_letter', 'too many header lines');
  const headers: { [name: string]: string } = {};
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 1 || colon > 64 || line.length > MAX_HEADER_LINE || !/^[A-Za-z0-9-]+$/.test(line.substring(0, colon)))
      throw new DecodeError('bad_letter', 'bad header line ' + (i + 1));
    const name = line.substring(0, colon).toLowerCase();
    if (Object.prototype.hasOwnProperty.call(headers, name)) throw new DecodeError('bad_letter', 'duplicate header ' + name);
    let v = line.substring(colon + 1);
    if (v[0] === ' ' || v[0] === '\t') v = v.substring(1);
    headers[name] = v;
  }
  return { headers: headers, body: text.substring(sep + sepLen) };
}
