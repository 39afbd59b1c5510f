/**
 * Alice replies (paper step 7): the letter is age-encrypted to Bob's reply key (the Reply-Recipient
 * inside his message, never known to the MSS), armored, and mailed by SMTP to his TmpId address.
 * The outer mail carries nothing of the content: a fixed subject, the armored ciphertext.
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { ageEncrypt } from '../../shared/src/age/age';
import { armor } from '../../shared/src/age/armor';
import { parseRecipient } from '../../shared/src/age/keys';
import { encodeLetter } from '../../shared/src/mail/letter';

export interface ReplyInput {
  /** Alice's own address (From, inside and outside). */
  from: string;
  /** Bob's TmpId address. */
  to: string;
  /** Bob's reply key, age1… */
  replyRecipient: string;
  subject: string;
  body: string;
}

/** The binary age file of a reply. */
export function encryptReply(r: ReplyInput): Uint8Array {
  const rcpt = parseRecipient(r.replyRecipient);
  const letter = encodeLetter(
    [
      ['From', r.from],
      ['Subject', r.subject],
    ],
    r.body,
  );
  return ageEncrypt([rcpt], letter, (n) => new Uint8Array(randomBytes(n)));
}

/** Mail a reply; with `age`, that age file as it is (a sending server trying the same message again). */
export async function sendReply(
  r: ReplyInput & { age?: Uint8Array },
  smtp: { host: string; port: number; secure?: boolean; requireTls?: boolean },
): Promise<{ age: Uint8Array; response: string }> {
  const age = r.age ?? encryptReply(r);
  const t = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: !!smtp.secure,
    requireTLS: !!smtp.requireTls,
    ignoreTLS: !smtp.secure && !smtp.requireTls,
    name: r.from.slice(r.from.lastIndexOf('@') + 1) || 'localhost',
    disableFileAccess: true,
    disableUrlAccess: true,
    connectionTimeout: 10_000,
    socketTimeout: 20_000,
  });
  try {
    const info = await t.sendMail({ from: r.from, to: r.to, subject: 'age-encrypted reply', text: armor(age) });
    return { age, response: String(info.response || '') };
  } finally {
    t.close();
  }
}
