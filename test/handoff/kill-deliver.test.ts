/**
 * No reply lost to a crash (docs/mail.md §4, docs/handoff.md §5): `hood mss` takes a reply for a live session
 * while the PDA's link is down both ways (the DELIVER goes nowhere, no ACK comes), and is killed with SIGKILL
 * before the PDA acknowledged it. The MSS answers the sender's SMTP only once the PDA acknowledged the reply,
 * so the sender saw no 250 and tries the same message again; once the PDA resumed at the restarted MSS (the
 * real firmware bundle on an emulated board, a TCP relay in front of the broker playing the link), the retry
 * is delivered and shown once. Then the other half: the DELIVER reaches the PDA but its ACK is lost and the
 * MSS dies again: the retried reply carries the same msgId, and the PDA does not show it twice.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinSession } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { encryptReply, sendReply } from '../../host/recipient/reply';
import { EmuPda as Pda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { coinsFromMssBank, type StoredProof } from './mss-coins';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { freePort, waitForPort } from '../mqtt/node-board';

let dir: string;
let mssDir: string;
let port: number;
let bankPort: number;
let smtpPort: number;
let child: ChildProcess | null = null;
let pda: Pda | null = null;
let relay: Server | null = null;
let stderr = '';
let proofs: StoredProof[] = [];
let identityKey = '';
/** The link between the PDA and the broker: 'up', 'down' (both ways) or 'deaf' (the PDA's uplink lost). */
let link: 'up' | 'down' | 'deaf' = 'up';
const sockets = new Set<Socket>();

function startChild(): ChildProcess {
  const c = spawn(
    process.execPath,
    [
      resolve('bin/hood.js'),
      'mss',
      '--listen',
      '127.0.0.1:' + port,
      '--data-dir',
      mssDir,
      '--bank-listen',
      '127.0.0.1:' + bankPort,
      '--smtp-listen',
      '127.0.0.1:' + smtpPort,
      '--mix-mean-delay',
      '0',
      '--price',
      '2',
      '--grace',
      '10',
      '--beacon-period',
      '5',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  return c;
}

/** The child's MQTT and SMTP ports accept; a child that exited instead fails at once, with what it said. */
async function childUp(): Promise<void> {
  const c = child!;
  const exited = new Promise<never>((_, reject) => c.once('exit', (code, sig) => reject(new Error('hood mss exited (' + (code ?? sig) + '): ' + stderr))));
  exited.catch(() => undefined);
  await Promise.race([Promise.all([waitForPort(port, 60_000), waitForPort(smtpPort, 60_000)]), exited]);
}

/** A TCP relay in front of the broker: the PDA's link, which the test can cut one way or both. */
async function startRelay(): Promise<number> {
  const p = await freePort();
  relay = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    sockets.add(down).add(up);
    const close = () => {
      down.destroy();
      up.destroy();
      sockets.delete(down);
      sockets.delete(up);
    };
    down.on('data', (d) => link === 'up' && up.write(d));
    up.on('data', (d) => link !== 'down' && down.write(d));
    down.on('close', close).on('error', close);
    up.on('close', close).on('error', close);
  });
  await new Promise<void>((r) => relay!.listen(p, '127.0.0.1', () => r()));
  return p;
}

async function kill(): Promise<void> {
  const dead = child!;
  dead.kill('SIGKILL');
  await new Promise((r) => dead.once('exit', r));
}

/** Alice's mail server: the same message again until it is accepted (bounded). */
async function sendUntilAccepted(msg: Parameters<typeof sendReply>[0]): Promise<string> {
  let last = '';
  for (let i = 0; i < 30; i++) {
    try {
      const r = await sendReply(msg, { host: '127.0.0.1', port: smtpPort });
      return r.response;
    } catch (e) {
      last = (e as Error).message;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
  throw new Error('never accepted: ' + last);
}

beforeAll(async () => {
  dir = testDir('hood-kill-deliver-');
  mssDir = join(dir, 'mss');
  port = await freePort();
  bankPort = await freePort();
  smtpPort = await freePort();
  ({ identityKey, proofs } = await coinsFromMssBank(mssDir, bankPort, dir));
}, 60_000);

afterAll(async () => {
  pda?.powerOff();
  for (const s of sockets) s.destroy();
  await new Promise((r) => (relay ? relay.close(() => r(undefined)) : r(undefined)));
  if (child && child.exitCode === null && child.signalCode === null) {
    const c = child;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }
  removeTestDir(dir);
});

describe('kill -9 of the MSS with a reply not yet acknowledged', () => {
  it('the sender saw no 250 and tries again; the reply reaches the resumed session, shown once', async () => {
    child = startChild();
    await childUp();
    const relayPort = await startRelay();
    pda = new Pda({ bundlePath: BUNDLE });
    pda.cmd({ cmd: 'config', brokerHost: '127.0.0.1', brokerPort: relayPort, mssId: 'doug' });
    pda.cmd({ cmd: 'pin', mssId: 'doug', key: identityKey });
    pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs }));
    const joined = await joinSession(pda, 30_000);
    await pda.waitFor('paid', 30_000);
    await pda.waitFor('ticket', 10_000);

    const keyFile = join(dir, 'alice.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    const recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
    let since = pda.events.length;
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'hello', body: 'write back' });
    expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000, since)).toMatchObject({ ev: 'mail.sent', ok: true });
    const maildir = join(mssDir, 'mail', 'maildir');
    await expect.poll(() => readMaildir(maildir).length, { timeout: 10_000 }).toBe(1);
    const opened = openMessage(readMaildir(maildir)[0].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    const replies = () => pda!.events.filter((e) => e.ev === 'mail.reply');

    for (const [round, cut] of [
      [1, 'down'],
      [2, 'deaf'],
    ] as const) {
      const text = 'reply ' + round + ', sent while the link was ' + cut;
      const msg = { from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're: hello', body: text };
      const age = encryptReply(msg);
      link = cut;
      // The MSS holds its answer until the PDA acknowledges: nothing comes back before the kill.
      let answered = '';
      const first = sendReply({ ...msg, age }, { host: '127.0.0.1', port: smtpPort }).then(
        (r) => (answered = r.response),
        (e: Error) => (answered = 'failed: ' + e.message),
      );
      // 'deaf': the PDA got the DELIVER (and showed it); its ACK never arrived.
      if (cut === 'deaf') await pda.waitFor((e) => e.ev === 'mail.reply' && e.body === text, 20_000, since);
      else await new Promise((r) => setTimeout(r, 1500));
      expect(answered).toBe('');
      since = pda.events.length;
      await kill();
      await first;
      expect(answered).toMatch(/^failed/);
      link = 'up';
      await pda.waitFor('moving', 20_000, since);
      child = startChild();
      const back = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 90_000, since);
      expect(back).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId });
      await childUp();
      // Alice's server tries the same message again: delivered to the resumed session, acknowledged, 250.
      expect(await sendUntilAccepted({ ...msg, age })).toMatch(/^250 /);
      await expect.poll(() => replies().filter((e) => e.body === text).length, { timeout: 20_000 }).toBe(1);
      // Given time for any resend to arrive: still once.
      await new Promise((r) => setTimeout(r, 2500));
      expect(replies().filter((e) => e.body === text)).toHaveLength(1);
    }
  }, 300_000);
});
