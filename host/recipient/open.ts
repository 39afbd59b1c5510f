/**
 * Alice opens a message from Bob: a mail file (.eml as stored in a maildir), an armored age file or a
 * binary one. Returns the letter (docs/mail.md §4) and the address to reply to (the mail's From,
 * `<TmpId>@<mss domain>`).
 */
import { DecodeError } from '../../shared/src/bytes';
import { ageDecrypt, type AgeIdentity } from '../../shared/src/age/age';
import { dearmor, findArmor } from '../../shared/src/age/armor';
import { parseRecipient } from '../../shared/src/age/keys';
import { parseLetter } from '../../shared/src/mail/letter';
import { looksLikeAge } from '../../shared/src/mail/payloads';
import { extractAge } from '../mail/mime';

export const MAX_OPEN_BYTES = 1024 * 1024;

export interface OpenedMessage {
  /** From header of the mail (the TmpId address), '' for a bare age file. */
  replyTo: string;
  subject: string;
  /** Bob's reply key (age1…), '' if the letter has none. */
  replyRecipient: string;
  /** Sender as stated inside the encrypted letter (Alice's replies carry one). */
  from: string;
  body: string;
}

function addressOf(fromHeader: string | undefined): string {
  if (!fromHeader) return '';
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(fromHeader) || /([^\s<>"]+@[^\s<>"]+)/.exec(fromHeader);
  return m ? m[1] : '';
}

export function openMessage(raw: Buffer, identities: AgeIdentity[]): OpenedMessage {
  if (raw.length > MAX_OPEN_BYTES) throw new DecodeError('too_long', 'input larger than ' + MAX_OPEN_BYTES + ' bytes');
  let age: Uint8Array;
  let replyTo = '';
  const u = new Uint8Array(raw);
  if (looksLikeAge(u)) age = u;
  else {
    const text = raw.toString('latin1');
    const block = findArmor(text);
    if (block && text.trim().startsWith('-----BEGIN')) age = dearmor(text);
    else {
      const m = extractAge(raw, MAX_OPEN_BYTES);
      age = m.age;
      replyTo = addressOf(m.headers['from']);
    }
  }
  const letter = parseLetter(ageDecrypt(age, identities, MAX_OPEN_BYTES));
  const rr = letter.headers['reply-recipient'] || '';
  if (rr) parseRecipient(rr); // refuse a malformed reply key now rather than at reply time
  return { replyTo, subject: letter.headers['subject'] || '', replyRecipient: rr, from: letter.headers['from'] || '', body: letter.body };
}
