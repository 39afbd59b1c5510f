/**
 * The drop box over exchange servers in a federation, end to end (docs/exchange.md §6), with `hood mss`'s own
 * start-up (startMss: --federation, --exchange) and the REAL firmware bundle on an emulated board: Bob mails
 * Alice from MSS doug and ends his session; Alice's reply is split over 3 exchange servers; Bob's next
 * session is at MSS erin, whose pickup round goes out through entry servers drawn among the members — so
 * doug relays some of erin's requests over the signed MSS-to-MSS channel — and Bob gets the reply there.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmuPda as Pda } from '../../boards/emu/emu-pda';
import { toHex } from '../../shared/src/bytes';
import { silentLogger } from '../../host/common/log';
import { DEMO_FEDERATION, startDemoFederation, type DemoFederation } from '../../host/demo/federation';
import { brokerAddress, endSession, joinSession } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import type { RunningMss } from '../../host/mss/start';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { decodeToken } from '../../host/wallet/token';
import { Wallet } from '../../host/wallet/wallet';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

let dir: string;
let fed: DemoFederation;
let pda: Pda | null = null;

beforeAll(async () => {
  dir = testDir('hood-fed-exchange-');
  fed = await startDemoFederation(['doug', 'erin'], join(dir, 'fed'), silentLogger(), { tickMs: 200, exchanges: 3 });
}, 60_000);

afterAll(async () => {
  pda?.powerOff();
  await fed?.close();
  removeTestDir(dir);
});

/** Coins of `m`'s bank, as the PDA's wallet holds them. */
async function coinsOf(m: RunningMss, who: string): Promise<{ amount: number; id: string; secret: string; C: string }[]> {
  const acct = await m.payment!.bank!.mint.createAccount(who);
  await m.payment!.bank!.mint.creditAccount(who, 50);
  const w = new Wallet(join(dir, who + '-wallet'));
  await w.withdraw(m.payment!.bankUrl, acct.token, 20);
  const t = decodeToken(await w.exportToken(m.payment!.bankUrl, 10, { format: 'B', dleq: false }));
  return t.proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
}

/** A session at member `m`, with coins of its bank in the wallet (its change of earlier sessions set aside). */
async function sessionAt(p: Pda, m: RunningMss, id: string) {
  const b = brokerAddress(m.gw.brokerUrl);
  p.cmd({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: id });
  for (const k of p.storage.keys()) if (k.startsWith('hood.coins')) p.storage.erase(k);
  p.storage.write('hood.coins', JSON.stringify({ v: 1, proofs: await coinsOf(m, 'bob-' + id) }));
  const s = await joinSession(p, 30_000);
  await p.waitFor('paid', 20_000, p.events.length - 1);
  return s;
}

describe('a reply stored from one member, collected at another', () => {
  it('is split over the exchange servers and picked up at erin through entry servers of the federation', async () => {
    const [doug, erin] = fed.members;
    const held = () => fed.exchanges!.held();
    const keyFile = join(dir, 'alice.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    const recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
    // Both members are configured as each other's entry servers.
    expect(erin.peer).not.toBeNull();

    pda = new Pda({ bundlePath: BUNDLE });
    pda.cmd({ cmd: 'pin_federation', name: DEMO_FEDERATION, key: toHex(fed.federationKey) });
    await sessionAt(pda, doug, 'doug');
    let since = pda.events.length;
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'away', body: 'I will be offline.' });
    expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000, since)).toMatchObject({ ev: 'mail.sent', ok: true });
    await expect.poll(() => readMaildir(doug.mail!.localMaildir).length, { timeout: 10_000 }).toBe(1);
    const opened = openMessage(readMaildir(doug.mail!.localMaildir)[0].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    await endSession(pda);

    const text = 'Stored by doug, split three ways, collected at erin.';
    const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're: away', body: text }, doug.mail!.inboundAddress!);
    expect(r.response).toMatch(/^250 .*drop box/);
    await expect.poll(held, { timeout: 15_000, interval: 50 }).toEqual([1, 1, 1]);

    const relayedByDoug = () => doug.mail!.exchange!.relay.relayed;
    const before = relayedByDoug();
    await sessionAt(pda, erin, 'erin');
    since = pda.events.length;
    pda.cmd({ cmd: 'mail.pickup' });
    const got = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
    expect(got).toMatchObject({ ev: 'mail.reply', source: 'dropbox', from: 'alice@example.org', body: text });
    await expect.poll(held, { timeout: 10_000, interval: 50 }).toEqual([0, 0, 0]);
    await endSession(pda);

    // Erin's rounds go out through doug too: one real round and a few cover rounds make it certain
    // that doug relayed some (each of 3 servers per round picks doug with probability 1/2).
    for (let i = 0; i < 10; i++) await erin.mail!.exchange!.coverRound();
    expect(erin.mail!.exchange!.cover.failed).toBe(0);
    expect(relayedByDoug() - before).toBeGreaterThan(0);
    expect(doug.mail!.exchange!.relay.failed).toBe(0);
  }, 120_000);
});
