/**
 * Debian mosquitto restarts under a running session (docs/handoff.md §5). The MSS keeps the session in
 * RAM and reconnects; the PDA (the real firmware bundle) loses its connection, comes back with its
 * ticket under a new TmpMAC and K_BD, and the MSS puts the same session — TmpId, paid state, DELIVERs not
 * yet acknowledged — under the new keys. Alice's reply that arrived while the broker was down reaches
 * Bob once.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { silentLogger } from '../../host/common/log';
import { joinSession, pdaFor } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { startMss, type RunningMss } from '../../host/mss/start';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { BUNDLE } from '../helpers/gateway';
import { restartMosquitto, startMosquitto, stopMosquitto, type Running } from '../helpers/mosquitto';
import { removeTestDir, testDir } from '../helpers/temp-dir';

let dir: string;
let broker: Running;
let mss: RunningMss;
let pda: EmuPda | null = null;

beforeAll(async () => {
  dir = testDir('hood-broker-restart-');
  broker = await startMosquitto();
  mss = await startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    brokerUrl: 'mqtt://127.0.0.1:' + broker.port,
    allowOpenBroker: true,
    tickMs: 200,
    beaconPeriodSec: 5,
    payment: false,
    mail: { smtpListen: '127.0.0.1:0', mixMeanDelaySec: 0, mailDomain: 'mss.test' },
  });
}, 60_000);

afterAll(async () => {
  pda?.powerOff();
  await mss?.stop();
  await stopMosquitto(broker);
  removeTestDir(dir);
});

describe('a broker restart under a running session', () => {
  it('the PDA resumes the same session; a reply sent while the broker was down arrives once', async () => {
    const keyFile = join(dir, 'alice.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    const recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
    pda = pdaFor(mss.gw, BUNDLE);
    const joined = await joinSession(pda, 30_000);
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'hi', body: 'the broker is flaky today' });
    expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000)).toMatchObject({ ev: 'mail.sent', ok: true });
    await pda.waitFor('ticket', 10_000);
    await expect.poll(() => readMaildir(mss.mail!.localMaildir).length, { timeout: 10_000 }).toBe(1);
    const opened = openMessage(readMaildir(mss.mail!.localMaildir)[0].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    const session = mss.gw.core.sessions.findByTmpId(joined.tmpId)!;
    expect(session).toBeDefined();

    const since = pda.events.length;
    const down = restartMosquitto(broker, 1500);
    await pda.waitFor('moving', 10_000, since);
    // While the broker is down the MSS still holds the session: the reply is taken for it.
    const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're', body: 'sent while the broker was down' }, mss.mail!.inboundAddress!);
    expect(r.response).toMatch(/^250 /);
    broker = await down;
    const back = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 60_000, since);
    expect(back).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId });
    expect(back.tmpMac).not.toBe(joined.tmpMac);
    // The same session object, under the new TmpMAC.
    expect(mss.gw.core.sessions.findByTmpId(joined.tmpId)).toBe(session);
    expect(session.tmpMac).toBe(back.tmpMac);
    expect(mss.gw.core.sessions.size).toBe(1);
    await expect.poll(() => pda!.events.slice(since).filter((e) => e.ev === 'mail.reply').length, { timeout: 30_000 }).toBe(1);
    expect(pda.events.slice(since).find((e) => e.ev === 'mail.reply')).toMatchObject({ body: 'sent while the broker was down' });
    await new Promise((res) => setTimeout(res, 2500));
    expect(pda.events.slice(since).filter((e) => e.ev === 'mail.reply')).toHaveLength(1);
  }, 120_000);
});
