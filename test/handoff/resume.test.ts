/**
 * Resumption (docs/handoff.md): the MSS goes down and comes back, and the PDA — the REAL firmware bundle on
 * an emulated board — comes back with its session ticket: the same TmpId and paid-until, under a new
 * TmpMAC, client id and K_BD. The MSS kept only the route (ticket verifier, paid-until), never a key.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { silentLogger } from '../../host/common/log';
import { joinSession, pdaFor } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { decodeToken } from '../../host/wallet/token';
import { Wallet } from '../../host/wallet/wallet';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { freePort } from '../mqtt/node-board';

let dir: string;
let port: number;
let mss: RunningMss | null = null;
let bob: Wallet;
let acct: { token: string };
const pdas: EmuPda[] = [];

const start = () =>
  startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    listen: { host: '127.0.0.1', port },
    tickMs: 200,
    beaconPeriodSec: 5,
    payment: { price: { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 5 }, bankListen: { host: '127.0.0.1', port: 0 }, account: 'doug' },
  });

function paidUntil(m: RunningMss, tmpId: string): number {
  const s = m.gw.core.sessions.findByTmpId(tmpId);
  return s ? ((s.service.pay as { paidUntil: number }).paidUntil ?? 0) : -1;
}

beforeAll(async () => {
  dir = testDir('hood-resume-');
  port = await freePort();
  mss = await start();
  acct = await mss.payment!.bank!.mint.createAccount('bob');
  await mss.payment!.bank!.mint.creditAccount('bob', 200);
  bob = new Wallet(join(dir, 'bob-wallet'));
  await bob.withdraw(mss.payment!.bankUrl, acct.token, 100);
}, 60_000);

afterAll(async () => {
  for (const p of pdas) p.powerOff();
  await mss?.stop();
  removeTestDir(dir);
});

describe('resumption after an MSS restart', () => {
  it('a PDA comes back after a clean restart with its TmpId and paid time, under a new TmpMAC', async () => {
    const token = await bob.exportToken(mss!.payment!.bankUrl, 10, { format: 'B', dleq: false });
    const pda = pdaFor(mss!.gw, BUNDLE);
    pdas.push(pda);
    pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs: decodeToken(token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C })) }));
    const joined = await joinSession(pda);
    await pda.waitFor('paid', 20_000);
    const ticket = await pda.waitFor('ticket', 10_000);
    expect(ticket).toMatchObject({ issuer: mss!.gw.mssId });
    expect(JSON.stringify(ticket)).not.toMatch(/secret|[0-9a-f]{64}/);
    const until = paidUntil(mss!, joined.tmpId);
    expect(until).toBeGreaterThan(Date.now() + 30_000);

    const since = pda.events.length;
    await mss!.stop();
    mss = null;
    await pda.waitFor('moving', 10_000, since);
    mss = await start();
    const resumed = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 60_000, since);
    expect(resumed).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId, mssId: mss.gw.mssId });
    expect(resumed.tmpMac).not.toBe(joined.tmpMac);
    expect(paidUntil(mss, joined.tmpId)).toBe(until);
    // The session serves again (paid: DATA beyond payment and echo would be refused otherwise).
    const before = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: 'c0ffee' });
    expect(await pda.waitFor((e) => e.ev === 'data' && e.payload === 'c0ffee', 10_000, before)).toMatchObject({ channel: 0 });
    // A new ticket replaces the spent one.
    await pda.waitFor('ticket', 10_000, since);
    // Nothing of the session's keys is on the MSS's disk: the route file holds no K_BD, key or TmpMAC.
    const routes = readFileSync(join(dir, 'mss', 'routes.sqlite'));
    expect(routes.includes(Buffer.from(resumed.tmpMac))).toBe(false);
    pda.powerOff();
  }, 120_000);

  it('the ACCEPT of a RESUME lost on the air: the PDA tries again with the same ticket and gets the same session', async () => {
    const pda = pdaFor(mss!.gw, BUNDLE);
    pdas.push(pda);
    await bob.withdraw(mss!.payment!.bankUrl, acct.token, 20);
    const token = await bob.exportToken(mss!.payment!.bankUrl, 4, { format: 'B', dleq: false });
    pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs: decodeToken(token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C })) }));
    const since0 = pda.events.length;
    pda.cmd({ cmd: 'start', joinTimeoutMs: 3000 });
    const joined = await pda.waitFor('joined', 20_000, since0);
    await pda.waitFor('paid', 20_000, since0);
    await pda.waitFor('ticket', 10_000, since0);
    const since = pda.events.length;
    await mss!.stop();
    mss = null;
    mss = await start();
    // The air loses the first downlink cell of the restarted MSS: the ACCEPT of the PDA's RESUME.
    const client = mss.gw.client;
    const publish = client.publish.bind(client) as (...a: unknown[]) => unknown;
    let lost = 0;
    (client as unknown as { publish: (...a: unknown[]) => unknown }).publish = (...a: unknown[]) => {
      if (lost === 0 && String(a[0]).includes('/down/')) {
        lost++;
        return client;
      }
      return publish(...a);
    };
    const back = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 60_000, since);
    expect(lost).toBe(1);
    expect(back).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId });
    expect(pda.events.slice(since).some((e) => e.ev === 'join_timeout')).toBe(true);
    expect(mss.handoff!.stats.reclaimed).toBe(1);
    expect(mss.gw.core.sessions.size).toBe(1);
    // Its first cell under the new keys spent the ticket for good.
    await expect.poll(() => mss!.gw.core.sessions.findByTmpId(joined.tmpId)?.resumedUnconfirmed, { timeout: 5000 }).toBe(false);
  }, 120_000);
});
