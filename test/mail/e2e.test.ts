/**
 * Mail end to end (paper steps 5–7, §6.2): the REAL firmware bundle on the emulated board, the real
 * MSS gateway with the mail service, real SMTP (nodemailer -> smtp-server) on 127.0.0.1, Debian's
 * `age` and the age-encryption library on Alice's side.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Decrypter, armor as ageArmor } from 'age-encryption';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { findArmor } from '../../shared/src/age/armor';
import { CH_MAIL_CTRL_UP } from '../../shared/src/mail/constants';
import { BUNDLE } from '../helpers/gateway';
import { DOMAIN, startMailGateway } from './helpers';
import { testDir } from '../helpers/temp-dir';

let g: Awaited<ReturnType<typeof startMailGateway>>;
let work: string;
let keyFile: string;
let recipient: string;
const pdas: EmuPda[] = [];

beforeAll(async () => {
  work = testDir('hood-mail-e2e-');
  keyFile = join(work, 'alice.txt');
  // Debian's age-keygen: the test FAILS (does not skip) when the age tools are missing.
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
  g = await startMailGateway();
});
afterEach(() => {
  for (const p of pdas.splice(0)) p.powerOff();
});
afterAll(async () => {
  await g.stop();
  rmSync(work, { recursive: true, force: true });
});

function newPda(): EmuPda {
  const p = pdaFor(g.gw, BUNDLE);
  pdas.push(p);
  return p;
}

async function waitMail(before: number): Promise<Buffer> {
  await expect.poll(() => readMaildir(g.mail.localMaildir).length, { timeout: 10_000 }).toBeGreaterThan(before);
  const all = readMaildir(g.mail.localMaildir);
  return all[all.length - 1].raw;
}

async function pdaSend(pda: EmuPda, body: string, subject = 'lunch?') {
  const since = pda.events.length;
  pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject, body });
  const sent = await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error' || e.ev === 'error', 20_000, since);
  expect(sent).toMatchObject({ ev: 'mail.sent', ok: true });
  return pda.events.slice(since).find((e) => e.ev === 'mail.sending')!;
}

const ageDecryptCli = (file: string) => spawnSync('age', ['-d', '-i', keyFile, file], { encoding: 'utf8' });

describe('Bob writes to Alice, Alice replies', () => {
  it('firmware output is a real age file: Debian age and the age-encryption library decrypt it', async () => {
    const pda = newPda();
    const joined = await joinSession(pda);
    const before = readMaildir(g.mail.localMaildir).length;
    const body = 'Meet me at the fountain at noon.\nÜmlauts and emoji ☕ survive.';
    const sending = await pdaSend(pda, body);
    expect(sending.fragments).toBeGreaterThan(1); // larger than one cell: fragmented and reassembled

    const raw = await waitMail(before);
    const text = raw.toString('utf8');
    // Outer mail: from the TmpId address, nothing of the content in clear.
    expect(text).toMatch(new RegExp('^From: ' + joined.tmpId + '@' + DOMAIN.replace('.', '\\.') + '\\r?$', 'mi'));
    expect(text).not.toContain('fountain');
    expect(text).not.toContain('lunch?');
    expect(text).not.toMatch(/hostname|X-Mailer/i);

    const armored = findArmor(text)!;
    const f = join(work, 'msg1.age');
    writeFileSync(f, armored + '\n');
    const r = ageDecryptCli(f);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('Subject: lunch?\n');
    expect(r.stdout).toMatch(/^Reply-Recipient: age1[a-z0-9]{58}$/m);
    expect(r.stdout.endsWith('\n\n' + body)).toBe(true);

    const d = new Decrypter();
    d.addIdentity(readFileSync(keyFile, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!);
    expect(await d.decrypt(ageArmor.decode(armored), 'text')).toBe(r.stdout);

    // The reply key is Bob's alone, fresh for this session: not Alice's key.
    const rr = /^Reply-Recipient: (age1[a-z0-9]+)$/m.exec(r.stdout)![1];
    expect(rr).not.toBe(recipient);
    await endSession(pda);
  });

  it('a reply travels Alice -> SMTP -> MSS -> PDA and only the PDA can read it', async () => {
    const pda = newPda();
    const joined = await joinSession(pda);
    const before = readMaildir(g.mail.localMaildir).length;
    await pdaSend(pda, 'Are we still on?');
    const raw = await waitMail(before);
    const opened = openMessage(raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    expect(opened.replyTo).toBe(joined.tmpId + '@' + DOMAIN);
    expect(opened.body).toBe('Are we still on?');

    const delivered0 = g.mail.stats.delivered;
    const since = pda.events.length;
    const secretBody = 'Yes, see you at noon. Bring the blue folder.';
    const r = await sendReply(
      { from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'Re: lunch?', body: secretBody },
      g.mail.inboundAddress!,
    );
    expect(r.response).toMatch(/^250 .*delivered to the PDA/);
    const reply = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
    expect(reply).toMatchObject({ ev: 'mail.reply', source: 'live', from: 'alice@example.org', subject: 'Re: lunch?', body: secretBody });
    expect(g.mail.stats.delivered).toBe(delivered0 + 1);

    // What the MSS handled is ciphertext to Bob's reply key: Alice's own key cannot open it, and
    // nothing of the reply is readable in it.
    const f = join(work, 'reply.age');
    writeFileSync(f, r.age);
    const a = ageDecryptCli(f);
    expect(a.status).not.toBe(0);
    expect(a.stderr).toMatch(/no identity matched/i);
    expect(Buffer.from(r.age).toString('latin1')).not.toContain('blue folder');
    await endSession(pda);
  });

  it('drop box: a reply after the session ended is kept sealed and collected by a later session', async () => {
    const pda = newPda();
    const first = await joinSession(pda);
    const before = readMaildir(g.mail.localMaildir).length;
    await pdaSend(pda, 'I will be offline for a while.');
    const opened = openMessage(await waitMail(before), parseKeyFile(readFileSync(keyFile, 'utf8')));
    await endSession(pda);
    await expect.poll(() => g.gw.core.sessions.findByTmpId(first.tmpId)).toBeUndefined();

    const late = 'Reply while you were away: the meeting moved to 3pm.';
    const r = await sendReply(
      { from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'moved', body: late },
      g.mail.inboundAddress!,
    );
    expect(r.response).toMatch(/^250 .*drop box/);

    // On disk: one sealed entry, named by box id; neither the text nor the age file itself is there.
    const boxRoot = join(g.dataDir, 'mail', 'dropbox');
    const boxes = readdirSync(boxRoot);
    expect(boxes).toHaveLength(1);
    const entries = readdirSync(join(boxRoot, boxes[0]));
    expect(entries).toHaveLength(1);
    const stored = readFileSync(join(boxRoot, boxes[0], entries[0]));
    expect(stored.toString('latin1')).not.toContain('age-encryption.org');
    expect(stored.includes(Buffer.from(r.age.subarray(40, 80)))).toBe(false);

    // A later session: new TmpMAC, new TmpId; it presents the pickup secret of the first one.
    const second = await joinSession(pda);
    expect(second.tmpId).not.toBe(first.tmpId);
    expect(second.tmpMac).not.toBe(first.tmpMac);
    let since = pda.events.length;
    pda.cmd({ cmd: 'mail.pickup' });
    const got = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
    expect(got).toMatchObject({ ev: 'mail.reply', source: 'dropbox', from: 'alice@example.org', subject: 'moved', body: late });
    expect(await pda.waitFor('mail.pickup', 10_000, since)).toMatchObject({ ok: true, count: 1 });
    // Deleted once the PDA acknowledged it (docs/mail.md §4), which follows the STATUS closely.
    await expect.poll(() => readdirSync(boxRoot), { timeout: 10_000, interval: 50 }).toHaveLength(0);

    // The pickup succeeded: the ticket is retired, a second pickup presents nothing.
    since = pda.events.length;
    pda.cmd({ cmd: 'mail.pickup' });
    expect(await pda.waitFor('mail.pickup_requested', 10_000, since)).toMatchObject({ boxes: 0, tickets: 0 });

    since = pda.events.length;
    pda.cmd({ cmd: 'mail.forget' });
    expect(await pda.waitFor('mail.forgotten', 5_000, since)).toMatchObject({ boxes: 0 });
    await endSession(pda);
  });

  it('drop box: one pickup presents one ticket (oldest first) unless asked for more, and a picked-up ticket is never presented again', async () => {
    // Every PICKUP cell the MSS receives, by the secret it presents.
    const presented: string[] = [];
    const ctrl = g.mail.services.find((x) => x.channel === CH_MAIL_CTRL_UP)!;
    const orig = ctrl.onData.bind(ctrl);
    ctrl.onData = (ctx, p) => {
      if (p[0] === 0x11) presented.push(Buffer.from(p.subarray(2)).toString('hex'));
      orig(ctx, p);
    };
    try {
      const pda = newPda();
      const subjects = ['first', 'second', 'third'];
      for (const subject of subjects) {
        await joinSession(pda);
        const before = readMaildir(g.mail.localMaildir).length;
        await pdaSend(pda, 'away for a while', subject);
        const opened = openMessage(await waitMail(before), parseKeyFile(readFileSync(keyFile, 'utf8')));
        await endSession(pda);
        const r = await sendReply(
          { from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'Re: ' + subject, body: 'reply to ' + subject },
          g.mail.inboundAddress!,
        );
        expect(r.response).toMatch(/^250 .*drop box/);
      }
      await joinSession(pda);
      let since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup' });
      expect(await pda.waitFor('mail.pickup_requested', 10_000, since)).toMatchObject({ boxes: 1, tickets: 3 });
      expect(await pda.waitFor('mail.reply', 20_000, since)).toMatchObject({ source: 'dropbox', subject: 'Re: first' });
      expect(await pda.waitFor('mail.pickup', 10_000, since)).toMatchObject({ ok: true, count: 1, tickets: 2 });
      expect(presented).toHaveLength(1);

      since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup', all: true });
      expect(await pda.waitFor('mail.pickup_requested', 10_000, since)).toMatchObject({ boxes: 2, tickets: 2 });
      await expect.poll(() => pda.events.slice(since).filter((e) => e.ev === 'mail.pickup').length, { timeout: 20_000 }).toBe(2);
      const replies = pda.events.slice(since).filter((e) => e.ev === 'mail.reply');
      expect(replies.map((e) => e.subject).sort()).toEqual(['Re: second', 'Re: third']);
      expect(presented).toHaveLength(3);

      // Nothing is left to present, in this session or the next.
      since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup', count: 2 });
      expect(await pda.waitFor('mail.pickup_requested', 10_000, since)).toMatchObject({ boxes: 0, tickets: 0 });
      await endSession(pda);
      await joinSession(pda);
      since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup', all: true });
      expect(await pda.waitFor('mail.pickup_requested', 10_000, since)).toMatchObject({ boxes: 0 });
      await new Promise((r) => setTimeout(r, 200));
      expect(presented).toHaveLength(3);
      expect(new Set(presented).size).toBe(3); // each secret shown to the MSS exactly once

      // Bad counts are refused without sending anything.
      for (const count of [0, 5, 1.5, '1', -1]) {
        since = pda.events.length;
        pda.cmd({ cmd: 'mail.pickup', count });
        expect(await pda.waitFor('error', 5_000, since)).toMatchObject({ cmd: 'mail.pickup', msg: expect.stringMatching(/count/) });
      }
      expect(presented).toHaveLength(3);
      await endSession(pda);
    } finally {
      ctrl.onData = orig;
    }
  });
});
