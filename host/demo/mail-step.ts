/**
 * The mail part of `hood demo` (paper steps 5–7 and §6.2): the PDA, already in a session, sends an
 * age-encrypted message to a demo Alice; Alice (in-process, with her own age key) opens it from the
 * MSS's local maildir and replies over SMTP to the TmpId address; the reply reaches the PDA and only
 * the PDA can read it. Then the drop box: the session ends, Alice replies again, a NEW session of the
 * PDA picks the reply up with the pickup secret of the first one.
 *
 * On return the PDA is in its second session (when the drop-box step ran); the caller ends it.
 */
import type { PdaEvent } from '../../boards/espruino-common/framing';
import type { EmuPda } from '../../boards/emu/emu-pda';
import type { MailService } from '../mail/service';
import { readMaildir } from '../mail/maildir';
import type { MssGateway } from '../mss/gateway';
import { generateKey, parseKeyFile } from '../recipient/keys';
import { openMessage } from '../recipient/open';
import { sendReply } from '../recipient/reply';
import { endSession, joinSession } from './emu-session';

export interface MailDemoResult {
  sent: boolean;
  /** Alice decrypted Bob's message from the mail the MSS sent. */
  aliceRead: boolean;
  replyReceived: boolean;
  dropBox: boolean;
  fromAddress: string;
  sendMs: number;
  replyMs: number;
  error?: string;
}

const ALICE = 'alice@example.org';

async function waitMailFile(mail: MailService, before: number, ms: number): Promise<Buffer> {
  const until = Date.now() + ms;
  for (;;) {
    const files = readMaildir(mail.localMaildir);
    if (files.length > before) return files[files.length - 1].raw;
    if (Date.now() > until) throw new Error('no mail reached the local maildir');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runMailDemoStep(
  gw: MssGateway,
  pda: EmuPda,
  mail: MailService,
  opts: {
    onStep?: (step: string, detail: string) => void;
    dropBox?: boolean;
    timeoutMs?: number;
    paid?: boolean;
    /** Runs after the drop-box reply was accepted, before the PDA's next session (e.g. to see where it is kept). */
    afterDropBoxReply?: () => Promise<void>;
  } = {},
): Promise<MailDemoResult> {
  const step = opts.onStep || (() => undefined);
  const timeout = opts.timeoutMs ?? 20_000;
  const res: MailDemoResult = { sent: false, aliceRead: false, replyReceived: false, dropBox: false, fromAddress: '', sendMs: 0, replyMs: 0 };
  const inbound = mail.inboundAddress;
  if (!inbound) throw new Error('the mail service has no inbound SMTP server');
  const key = generateKey();
  const alice = parseKeyFile(key.keyFile);
  try {
    const before = readMaildir(mail.localMaildir).length;
    let since = pda.events.length;
    pda.cmd({ cmd: 'mail.send', to: ALICE, recipient: key.recipient, subject: 'hello from hood', body: 'Meet me at noon. -- B' });
    const sending = await pda.waitFor((e: PdaEvent) => e.ev === 'mail.sending' || e.ev === 'mail.error' || e.ev === 'error', timeout, since);
    if (sending.ev !== 'mail.sending') throw new Error('mail.send failed: ' + JSON.stringify(sending));
    res.sendMs = sending.ms;
    step('mail', `message age-encrypted to Alice on the PDA (${sending.ms} ms), ${sending.fragments} fragment(s) sent`);
    const sent = await pda.waitFor((e: PdaEvent) => e.ev === 'mail.sent', timeout, since);
    res.sent = sent.ok === true;
    if (!res.sent) throw new Error('MSS could not send: ' + sent.text);
    const raw = await waitMailFile(mail, before, timeout);
    const opened = openMessage(raw, alice);
    res.fromAddress = opened.replyTo;
    res.aliceRead = opened.body === 'Meet me at noon. -- B';
    step('smtp', `mail from ${opened.replyTo} reached Alice; she decrypted "${opened.subject}"`);

    since = pda.events.length;
    await sendReply({ from: ALICE, to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'Re: ' + opened.subject, body: 'Noon it is. -- A' }, inbound);
    const reply = await pda.waitFor((e: PdaEvent) => e.ev === 'mail.reply' || e.ev === 'mail.error', timeout, since);
    res.replyReceived = reply.ev === 'mail.reply' && reply.body === 'Noon it is. -- A' && reply.from === ALICE;
    res.replyMs = reply.ms ?? 0;
    step('reply', `Alice's reply routed by TmpId to the PDA and decrypted there (${res.replyMs} ms)`);

    if (opts.dropBox !== false) {
      await endSession(pda);
      await sendReply({ from: ALICE, to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'later', body: 'Are you there? -- A' }, inbound);
      step('dropbox', 'session ended; a second reply from Alice is kept, sealed, in the drop box');
      if (opts.afterDropBoxReply) await opts.afterDropBoxReply();
      const joinedAt = pda.events.length;
      await joinSession(pda);
      // Where sessions are paid, the MSS serves mail only once the session's payment went through.
      if (opts.paid) await pda.waitFor((e: PdaEvent) => e.ev === 'paid' || e.ev === 'pay_refused', timeout, joinedAt);
      since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup' });
      const picked = await pda.waitFor((e: PdaEvent) => e.ev === 'mail.reply' || e.ev === 'mail.error', timeout, since);
      res.dropBox = picked.ev === 'mail.reply' && picked.source === 'dropbox' && picked.body === 'Are you there? -- A';
      step('pickup', `new session collected the drop box with the pickup secret: ${res.dropBox ? 'reply read' : 'FAILED'}`);
    }
  } catch (e) {
    res.error = (e as Error).message;
  }
  return res;
}
