/** Mail formats: addresses the PDA may write to, the letter inside the age file, STATUS round trip. */
import { describe, expect, it } from 'vitest';
import { utf8Encode } from '../../shared/src/bytes';
import { encodeLetter, parseLetter } from '../../shared/src/mail/letter';
import { decodeControl, decodeStatus, encodeStatus, isMailAddress } from '../../shared/src/mail/payloads';

describe('mail formats', () => {
  it('only plain dot-atom addresses with a dotted domain are accepted', () => {
    for (const a of ['alice@example.org', 'a.b+c@x-y.example.co', "o'neil@ex.org"]) expect(isMailAddress(a), a).toBe(true);
    for (const a of ['alice@example', '@x.org', 'a@@x.org', 'a..b@x.org', '.a@x.org', 'a@-x.org', 'a@x-.org', 'a@[127.0.0.1]',
      'a b@x.org', 'a@x.org\r\nRCPT TO:<b@y.z>', 'a@x..org', '"a"@x.org', 'x'.repeat(65) + '@x.org', 'a@' + 'x'.repeat(64) + '.org', 42, null])
      expect(isMailAddress(a), String(a)).toBe(false);
  });

  it('letters round-trip; header injection and malformed letters are refused', () => {
    const l = parseLetter(encodeLetter([['Subject', 'hi: there'], ['Reply-Recipient', 'age1x']], 'line1\n\nline3'));
    expect(l.headers).toEqual({ subject: 'hi: there', 'reply-recipient': 'age1x', 'content-type': 'text/plain; charset=utf-8' });
    expect(l.body).toBe('line1\n\nline3');
    expect(() => encodeLetter([['Subject', 'a\nReply-Recipient: age1evil']], '')).toThrow(/one line/);
    expect(() => encodeLetter([['Bad Name', 'x']], '')).toThrow(/header name/);
    expect(() => parseLetter(utf8Encode('Subject: no blank line'))).toThrow(/no blank line/);
    expect(() => parseLetter(utf8Encode('Subject: a\nSubject: b\n\nx'))).toThrow(/duplicate/);
    expect(() => parseLetter(utf8Encode('no colon here\n\nx'))).toThrow(/bad header line/);
    expect(() => parseLetter(new Uint8Array([0x53, 0x3a, 0xff, 10, 10]))).toThrow(/bad_utf8/);
  });

  it('STATUS and control cells decode strictly', () => {
    const s = { op: 1, msgId: new Uint8Array(8).fill(7), code: 0, count: 3, text: 'sent' };
    expect(decodeStatus(encodeStatus(s))).toEqual(s);
    expect(() => decodeStatus(new Uint8Array([...encodeStatus(s), 0]))).toThrow(/trailing_bytes/);
    expect(() => decodeControl(new Uint8Array([0x11, 0, ...new Uint8Array(33)]))).toThrow(/trailing_bytes/);
  });
});
