/**
 * The drop box over exchange servers end to end (docs/exchange.md §3): the REAL firmware bundle on the
 * emulated board sends mail to Alice and ends its session; Alice's reply is split by the MSS over 3
 * running exchange servers (its own copy dropped); a later session's PICKUP makes the MSS run a
 * pickup round as the entry server — every server, every bucket, every slot — and the PDA gets the
 * reply; only then do the servers release the shares. A round in which one server is down delivers
 * nothing from the servers, releases nothing and is answered not-OK, so the PDA keeps its pickup
 * ticket; the reply comes in the next round.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { silentLogger } from '../../host/common/log';
import { ShareUploader } from '../../host/exchange/client';
import { ExchangeBackend } from '../../host/exchange/dropbox-backend';
import { startExchangeServer, type RunningExchange } from '../../host/exchange/server';
import { ShareStore } from '../../host/exchange/store';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { startMailGateway } from '../mail/helpers';

interface Exchange {
  store: ShareStore;
  ex: RunningExchange;
  port: number;
}

let g: Awaited<ReturnType<typeof startMailGateway>>;
let servers: Exchange[];
let work: string;
let keyFile: string;
let recipient: string;
const dirs: string[] = [];

const listen = (store: ShareStore, port = 0) => startExchangeServer({ store, listen: { host: '127.0.0.1', port }, retentionSec: 3600, log: silentLogger() });

beforeAll(async () => {
  work = testDir('hood-exchange-pda-');
  keyFile = join(work, 'alice.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
  servers = [];
  const endpoints = [];
  for (let i = 0; i < 3; i++) {
    const d = testDir('hood-exchange-srv-');
    dirs.push(d);
    const store = ShareStore.open(d);
    const token = store.addMss('doug');
    const ex = await listen(store);
    servers.push({ store, ex, port: Number(new URL(ex.url).port) });
    endpoints.push({ url: ex.url, token });
  }
  g = await startMailGateway({ mail: { mix: { meanDelaySec: 0, maxQueued: 100 } } });
  g.mail.dropBox.useBackend(new ExchangeBackend(new ShareUploader(endpoints), silentLogger()));
}, 60_000);

afterAll(async () => {
  await g.stop();
  for (const s of servers) {
    await s.ex.close();
    s.store.close();
  }
  for (const d of dirs) removeTestDir(d);
  removeTestDir(work);
});

const held = () => servers.map((s) => s.store.usage().entries);
const localEntries = () => {
  const root = join(g.dataDir, 'mail', 'dropbox');
  try {
    return readdirSync(root).flatMap((b) => readdirSync(join(root, b)));
  } catch {
    return [];
  }
};

/** A session that mails Alice and ends; Alice's reply to it then goes to the drop box. */
async function replyWhileAway(pda: EmuPda, text: string): Promise<void> {
  const first = await joinSession(pda);
  const before = readMaildir(g.mail.localMaildir).length;
  const since = pda.events.length;
  pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'away', body: 'I will be offline.' });
  expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000, since)).toMatchObject({ ev: 'mail.sent', ok: true });
  await expect.poll(() => readMaildir(g.mail.localMaildir).length, { timeout: 10_000 }).toBeGreaterThan(before);
  const all = readMaildir(g.mail.localMaildir);
  const opened = openMessage(all[all.length - 1].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
  await endSession(pda);
  await expect.poll(() => g.gw.core.sessions.findByTmpId(first.tmpId)).toBeUndefined();
  const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're: away', body: text }, g.mail.inboundAddress!);
  expect(r.response).toMatch(/^250 .*drop box/);
}

describe('PICKUP through the MSS from 3 exchange servers', () => {
  it('the reply is split, the MSS keeps nothing, a later session picks it up, and the servers then release it', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const text = 'Split over three operators, combined for you alone.';
      await replyWhileAway(pda, text);
      await expect.poll(localEntries, { timeout: 15_000, interval: 50 }).toEqual([]);
      expect(held()).toEqual([1, 1, 1]);

      await joinSession(pda);
      const since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup' });
      const got = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
      expect(got).toMatchObject({ ev: 'mail.reply', source: 'dropbox', from: 'alice@example.org', subject: 're: away', body: text });
      expect(await pda.waitFor('mail.pickup', 10_000, since)).toMatchObject({ ok: true, count: 1 });
      await expect.poll(held, { timeout: 10_000, interval: 50 }).toEqual([0, 0, 0]);
      await endSession(pda);
    } finally {
      pda.powerOff();
    }
  }, 120_000);

  it('a server down during the round: nothing from the servers, nothing released; the next round delivers', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const text = 'Kept safe while one exchange server was away.';
      await replyWhileAway(pda, text);
      await expect.poll(localEntries, { timeout: 15_000, interval: 50 }).toEqual([]);
      expect(held()).toEqual([1, 1, 1]);

      await servers[1].ex.close();
      await joinSession(pda);
      let since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup' });
      // The MSS answers the PICKUP with what it could collect (nothing) and not OK: the PDA keeps its ticket.
      expect(await pda.waitFor('mail.pickup', 20_000, since)).toMatchObject({ ok: false, count: 0, tickets: 1 });
      expect(pda.events.slice(since).find((e) => e.ev === 'mail.pickup')!.text).toMatch(/exchange servers unreachable/);
      expect(pda.events.slice(since).some((e) => e.ev === 'mail.reply')).toBe(false);
      expect(held()).toEqual([1, 1, 1]);

      servers[1].ex = await listen(servers[1].store, servers[1].port);
      since = pda.events.length;
      pda.cmd({ cmd: 'mail.pickup' });
      const got = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
      expect(got).toMatchObject({ ev: 'mail.reply', source: 'dropbox', body: text });
      await expect.poll(held, { timeout: 10_000, interval: 50 }).toEqual([0, 0, 0]);
      await endSession(pda);
    } finally {
      pda.powerOff();
    }
  }, 120_000);
});
