/**
 * Hand-off between two MSSs of a federation (paper §6.3, docs/handoff.md), with the REAL firmware bundle on
 * an emulated board: Bob pays and writes to Alice at MSS doug, moves to MSS erin (another broker, another
 * air) under a fresh TmpMAC and K_BD, and goes on under the same TmpId and paid time; doug's session is
 * gone; Alice's reply, sent to doug's address after the move, reaches Bob at erin; the ticket cannot be
 * used twice.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { toHex } from '../../shared/src/bytes';
import { silentLogger } from '../../host/common/log';
import { DEMO_FEDERATION, startDemoFederation, type DemoFederation } from '../../host/demo/federation';
import { brokerAddress, joinSession } from '../../host/demo/emu-session';
import { keepPresentedTickets } from '../../host/demo/handoff';
import { readMaildir } from '../../host/mail/maildir';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { decodeToken } from '../../host/wallet/token';
import { Wallet } from '../../host/wallet/wallet';
import { EmuPda as Pda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

let dir: string;
let fed: DemoFederation;
let pda: EmuPda | null = null;

beforeAll(async () => {
  dir = testDir('hood-handoff-');
  fed = await startDemoFederation(['doug', 'erin'], join(dir, 'fed'), silentLogger(), { tickMs: 200 });
}, 60_000);

afterAll(async () => {
  pda?.powerOff();
  await fed?.close();
  removeTestDir(dir);
});

describe('hand-off between two MSSs', () => {
  it('TmpId, paid time and mail routing move to the second MSS; the ticket is one use', async () => {
    const [a, b] = fed.members;
    // Bob's coins, from doug's bank.
    const acct = await a.payment!.bank!.mint.createAccount('bob');
    await a.payment!.bank!.mint.creditAccount('bob', 50);
    const bob = new Wallet(join(dir, 'bob-wallet'));
    await bob.withdraw(a.payment!.bankUrl, acct.token, 20);
    const proofs = decodeToken(await bob.exportToken(a.payment!.bankUrl, 10, { format: 'B', dleq: false })).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
    const keyFile = join(dir, 'alice.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
    const recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];

    pda = new Pda({ bundlePath: BUNDLE });
    const ba = brokerAddress(a.gw.brokerUrl);
    pda.cmd({ cmd: 'config', brokerHost: ba.host, brokerPort: ba.port, mssId: 'doug' });
    // Only the federation is pinned: both MSSs are accepted through their membership certificates.
    pda.cmd({ cmd: 'pin_federation', name: DEMO_FEDERATION, key: toHex(fed.federationKey) });
    pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs }));
    const joined = await joinSession(pda, 30_000);
    expect(pda.events.find((e) => e.ev === 'beacon')).toMatchObject({ mssId: 'doug', federation: DEMO_FEDERATION, pinned: false });
    await pda.waitFor('paid', 20_000);
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'moving', body: 'I am about to move' });
    expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000)).toMatchObject({ ev: 'mail.sent', ok: true });
    await expect.poll(() => readMaildir(a.mail!.localMaildir).length, { timeout: 10_000 }).toBe(1);
    const opened = openMessage(readMaildir(a.mail!.localMaildir)[0].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
    expect(opened.replyTo).toBe(joined.tmpId + '@doug.hood.invalid');
    const paidUntil = (a.gw.core.sessions.findByTmpId(joined.tmpId)!.service.pay as { paidUntil: number }).paidUntil;

    // Keep a copy of what the PDA presents at erin, as anyone on erin's host could, to show it is spent.
    const seen = keepPresentedTickets(b.gw.core);

    const since = pda.events.length;
    const bb = brokerAddress(b.gw.brokerUrl);
    pda.cmd({ cmd: 'handoff', mssId: 'erin', brokerHost: bb.host, brokerPort: bb.port });
    const moved = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 30_000, since);
    expect(moved).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId, mssId: 'erin' });
    expect(moved.tmpMac).not.toBe(joined.tmpMac);
    const connected = pda.events.slice(since).find((e) => e.ev === 'connected')!;
    expect(connected.clientId).not.toBe(pda.events.find((e) => e.ev === 'connected')!.clientId);
    // The session moved: gone at doug, live at erin with the same paid-until.
    expect(a.gw.core.sessions.findByTmpId(joined.tmpId)).toBeUndefined();
    expect(a.gw.core.stats.ended).toMatchObject({ handed_off: 1 });
    const atB = b.gw.core.sessions.findByTmpId(joined.tmpId)!;
    expect((atB.service.pay as { paidUntil: number }).paidUntil).toBe(paidUntil);
    expect(a.handoff!.routes.get(joined.tmpId)).toMatchObject({ status: 'moved', movedTo: 'erin' });

    // Alice answers the address she has (doug's); the reply follows Bob to erin.
    const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're: moving', body: 'found you' }, a.mail!.inboundAddress!);
    expect(r.response).toMatch(/^250 .*forwarded/);
    expect(await pda.waitFor('mail.reply', 20_000, since)).toMatchObject({ body: 'found you', source: 'live' });
    expect(a.mail!.stats.forwarded).toBe(1);

    // The ticket is spent: the PDA's first cell under its new keys ended the claim a lost ACCEPT would have
    // needed, so presented again it is refused by its issuer.
    const presented = seen.last();
    expect(presented).not.toBeNull();
    const again = await b.handoff!.redeem(presented!);
    expect(again).toBe('already_here');
    // …and by any other way to doug, too.
    expect(a.handoff!.redeemForPeer('erin', presented!.id, presented!.secret)).toMatchObject({ tmpId: joined.tmpId }); // the repeated answer to erin…
    expect(b.gw.core.sessions.findByTmpId(joined.tmpId)).toBe(atB); // …takes nothing over at erin
    expect(a.handoff!.redeemForPeer('doug', presented!.id, presented!.secret)).toBe('unknown');
    // A paid channel still serves at erin (a fresh ticket, issued by erin now).
    const n = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0x40, payload: '01' });
    expect(await pda.waitFor('ticket', 10_000, n)).toMatchObject({ issuer: 'erin' });
  }, 120_000);
});
