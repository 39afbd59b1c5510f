/**
 * The mix on the MSS's mail paths (host/mail/service.ts with `mix`): the real firmware on the emulated
 * board, the real gateway, real SMTP on loopback, the mix's durable queue on a real SQLite file and a
 * hand-moved mix clock. A PDA's send is answered once stored and leaves only at its drawn time; a
 * reply is taken (250) once stored and reaches the PDA only at its time; the bounds answer BUSY to
 * the PDA and 452 to SMTP; no log line names the TmpId, the recipient or the message.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { createLogger } from '../../host/common/log';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { ManualClock } from '../../host/mix/manual-clock';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { ST_BUSY } from '../../shared/src/mail/constants';
import { BUNDLE } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';
import { startMailGateway } from '../mail/helpers';
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';

const MEAN = 600;
const lines: string[] = [];
const clock = new ManualClock(Date.now());
let g: Awaited<ReturnType<typeof startMailGateway>>;
let keyFile: string;
let recipient: string;
const pdas: EmuPda[] = [];

beforeAll(async () => {
  const work = testDir('hood-mix-mail-');
  keyFile = join(work, 'alice.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
  const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  g = await startMailGateway({ mail: { log, mix: { meanDelaySec: MEAN, maxQueued: 1, clock } } });
});
afterEach(() => {
  for (const p of pdas.splice(0)) p.powerOff();
});
afterAll(async () => {
  await g?.stop();
});

const settle = () => new Promise((r) => setTimeout(r, 300));

async function pdaSend(pda: EmuPda, body: string) {
  const since = pda.events.length;
  pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'mixed', body });
  return pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error' || e.ev === 'error', 20_000, since);
}

describe('mail through the exponential mix', () => {
  it('send: OK once stored, out only at the drawn time; reply: 250 once stored, to the PDA only at its time; bounds; clean logs', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    const joined = await joinSession(pda);
    const tmpId = String(joined.tmpId);

    // Outbound: the PDA hears OK ("queued") at once; nothing reaches the smarthost yet.
    const before = readMaildir(g.mail.localMaildir).length;
    expect(await pdaSend(pda, 'through the mix')).toMatchObject({ ev: 'mail.sent', ok: true, text: 'queued' });
    expect(g.mail.mixStats()!.out.queued).toBe(1);
    // The bound (1 here): a second send is refused with BUSY, not lost silently.
    expect(await pdaSend(pda, 'one too many')).toMatchObject({ ev: 'mail.sent', ok: false, code: ST_BUSY });
    await settle();
    expect(readMaildir(g.mail.localMaildir).length).toBe(before);

    clock.advanceTo(clock.now() + 100 * MEAN * 1000);
    await expect.poll(() => readMaildir(g.mail.localMaildir).length, { timeout: 10_000 }).toBe(before + 1);
    const all = readMaildir(g.mail.localMaildir);
    const opened = openMessage(all[all.length - 1].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    expect(opened.body).toBe('through the mix');
    expect(g.mail.mixStats()!.out).toMatchObject({ released: 1, queued: 0 });

    // Inbound: 250 "queued" once stored; the PDA gets nothing until the mix releases it.
    const since = pda.events.length;
    const reply = { from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'Re: mixed', body: 'mixed reply' };
    const r = await sendReply(reply, g.mail.inboundAddress!);
    expect(r.response).toMatch(/^250 .*queued/);
    await expect(sendReply(reply, g.mail.inboundAddress!)).rejects.toMatchObject({ responseCode: 452 });
    await settle();
    expect(pda.events.slice(since).some((e) => e.ev === 'mail.reply')).toBe(false);
    clock.advanceTo(clock.now() + 100 * MEAN * 1000);
    const got = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
    expect(got).toMatchObject({ ev: 'mail.reply', source: 'live', body: 'mixed reply' });
    expect(g.mail.mixStats()!.in).toMatchObject({ released: 1, queued: 0 });
    expect(g.mail.stats).toMatchObject({ mixed: 2, delivered: 1, sent: 1 });
    await endSession(pda);

    // Two releases logged, each with only the entropy and the depth; no line names Bob or Alice.
    const releases = lines.filter((l) => l.includes('"mix_release"'));
    expect(releases).toHaveLength(2);
    for (const l of releases) expect(Object.keys(JSON.parse(l)).sort()).toEqual(['entropyBits', 'event', 'lane', 'level', 'msg', 'queueDepth', 'time']);
    const text = lines.join('');
    expect(text).not.toContain(tmpId);
    expect(text).not.toContain('alice@example.org');
    expect(text).not.toContain(recipient);
  });

  it('the mix queue file is in the MSS data dir and holds nothing after release', () => {
    const file = join(g.dataDir, 'mail', 'mix.sqlite');
    expect(readFileSync(file).length).toBeGreaterThan(0);
    expect(g.mail.mixStats()!.out.queued + g.mail.mixStats()!.in.queued).toBe(0);
  });
});

describe('a smarthost that refuses mixed mail', () => {
  it('4xx is retried later, 5xx drops it; the log never quotes the recipient or the TmpId', async () => {
    const seen: number[] = [];
    // Refuses every recipient, quoting the address back as real servers do: 451 first, then 550.
    const smarthost = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(addr, _s, cb) {
        seen.push(Date.now());
        const e = new Error((seen.length === 1 ? '4.3.0 try later: <' : '5.1.1 no such user: <') + addr.address + '>') as Error & { responseCode: number };
        e.responseCode = seen.length === 1 ? 451 : 550;
        cb(e);
      },
    });
    await new Promise<void>((r) => smarthost.listen(0, '127.0.0.1', () => r()));
    const port = (smarthost.server.address() as AddressInfo).port;
    const myLines: string[] = [];
    const log = createLogger({ level: 'debug', destination: new Writable({ write: (c, _e, cb) => (myLines.push(String(c)), cb()) }) });
    const myClock = new ManualClock(Date.now());
    const g2 = await startMailGateway({ mail: { log, smarthost: { host: '127.0.0.1', port }, mix: { meanDelaySec: 60, maxQueued: 10, clock: myClock, retryDelaySec: 30 } } });
    try {
      const pda = pdaFor(g2.gw, BUNDLE);
      pdas.push(pda);
      const joined = await joinSession(pda);
      const since = pda.events.length;
      pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'x', body: 'refused later' });
      expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000, since)).toMatchObject({ ok: true, text: 'queued' });
      myClock.advanceTo(myClock.now() + 100 * 60 * 1000);
      await expect.poll(() => g2.mail.mixStats()!.out.retried, { timeout: 10_000 }).toBe(1);
      expect(g2.mail.stats.mixDropped).toBe(0);
      myClock.advanceTo(myClock.now() + 31 * 1000);
      await expect.poll(() => g2.mail.stats.mixDropped, { timeout: 10_000 }).toBe(1);
      expect(seen).toHaveLength(2);
      expect(g2.mail.mixStats()!.out).toMatchObject({ queued: 0, dropped: 1, released: 1 });
      await endSession(pda);
      const text = myLines.join('');
      expect(text).toContain('"mix_dropped"');
      expect(text).not.toContain('alice@example.org');
      expect(text).not.toContain(String(joined.tmpId));
    } finally {
      await g2.stop();
      await new Promise<void>((r) => smarthost.close(() => r()));
    }
  });
});
