/**
 * Step 4 for real: Clare's bank (embedded, real HTTP + SQLite), Bob's host wallet withdrawing from his
 * account, the coins on the emulated PDA running the real bundle, the MSS swapping them before granting time.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAID_ALREADY_SPENT } from '../../shared/src/pay/constants';
import { silentLogger } from '../../host/common/log';
import { joinSession, pdaFor } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { Wallet } from '../../host/wallet/wallet';
import { decodeToken } from '../../host/wallet/token';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { loadProofs } from '../../firmware/src/wallet/proof-store';
import { testDir } from '../helpers/temp-dir';

let mss: RunningMss;
let dir: string;
let bob: Wallet;
const pdas: EmuPda[] = [];

/** Coins for the PDA, as `hood wallet export` would hand them over, written to the board's Storage. */
async function coins(amount: number) {
  const token = await bob.exportToken(mss.payment!.bankUrl, amount, { format: 'B', dleq: false });
  return decodeToken(token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
}
function load(pda: EmuPda, proofs: { amount: number }[]) {
  pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs }));
}

beforeAll(async () => {
  dir = testDir('hood-pay-');
  mss = await startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    tickMs: 200,
    payment: { price: { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 3 }, bankListen: { host: '127.0.0.1', port: 0 }, account: 'doug' },
  });
  const acct = await mss.payment!.bank!.mint.createAccount('bob');
  await mss.payment!.bank!.mint.creditAccount('bob', 500);
  bob = new Wallet(join(dir, 'bob-wallet'));
  await bob.withdraw(mss.payment!.bankUrl, acct.token, 200);
});
afterAll(async () => {
  for (const p of pdas) p.powerOff();
  await mss.stop();
  rmSync(dir, { recursive: true, force: true });
});

const make = () => {
  const p = pdaFor(mss.gw, BUNDLE);
  pdas.push(p);
  return p;
};

describe('paying the MSS (paper step 4)', () => {
  it('the PDA pays on join with stored coins; the MSS swaps them and credits time', async () => {
    const pda = make();
    load(pda, await coins(20));
    await joinSession(pda);
    const paid = await pda.waitFor('paid', 20_000);
    expect(paid.amount).toBe(20);
    expect(paid.paidForSec).toBe(600); // 20 sat at 2 sat/min
    expect(mss.payment!.till.balance()).toBe(20);
    // Spent coins are gone from the PDA's Storage.
    expect(loadProofs(pda.storage)).toEqual([]);
    expect((await mss.payment!.bank!.mint.audit()).ok).toBe(true);
  });

  it('the same coins on a second PDA buy nothing, and its session ends at the grace limit', async () => {
    const proofs = await coins(8);
    const a = make();
    load(a, proofs);
    await joinSession(a);
    await a.waitFor('paid', 20_000);
    const b = make();
    load(b, proofs);
    await joinSession(b);
    const refused = await b.waitFor('pay_refused', 20_000);
    expect(refused.status).toBe(PAID_ALREADY_SPENT);
    expect(loadProofs(b.storage)).toEqual([]); // known spent: dropped
    const bye = await b.waitFor('bye', 10_000);
    expect(bye.reason).toBe(5);
    expect((await b.waitFor('wiped', 10_000)).ok).toBe(true);
  });

  it('a PDA without enough coins says so and is ended when the grace time is over', async () => {
    const pda = make();
    load(pda, []);
    await joinSession(pda);
    expect((await pda.waitFor((e) => e.ev === 'error' && e.code === 'wallet_insufficient', 10_000)).msg).toMatch(/do not cover/);
    expect((await pda.waitFor('bye', 10_000)).reason).toBe(5);
  });

  it('the MSS cashes out what it earned into its account', async () => {
    const earned = mss.payment!.till.balance();
    expect(earned).toBeGreaterThan(0);
    const r = await mss.payment!.till.cashout('doug');
    expect(r.amount).toBe(earned);
    expect(mss.payment!.till.balance()).toBe(0);
    expect((await mss.payment!.bank!.mint.audit()).ok).toBe(true);
  });
});

describe('renewal (time bought in increments)', () => {
  it('the PDA buys again before its time runs out; when its coins are gone the MSS ends the session', async () => {
    const dir2 = testDir('hood-pay2-');
    // 60 sat per minute = 1 sat per second, at least 3 s per payment: increments the test can watch.
    const fast = await startMss({
      dataDir: join(dir2, 'mss'),
      log: silentLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      tickMs: 200,
      payment: { price: { perMinute: 60, unit: 'sat', minSeconds: 3, graceSec: 3 }, bankListen: { host: '127.0.0.1', port: 0 } },
    });
    const acct = await fast.payment!.bank!.mint.createAccount('bob');
    await fast.payment!.bank!.mint.creditAccount('bob', 100);
    const w = new Wallet(join(dir2, 'w'));
    await w.withdraw(fast.payment!.bankUrl, acct.token, 16);
    const proofs = [];
    for (let i = 0; i < 2; i++) proofs.push(...decodeToken(await w.exportToken(fast.payment!.bankUrl, 4, { dleq: false })).proofs);
    const pda = pdaFor(fast.gw, BUNDLE);
    try {
      pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs: proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C })) }));
      await joinSession(pda);
      const first = await pda.waitFor('paid', 10_000);
      expect(first.amount).toBe(4);
      const second = await pda.waitFor((e) => e.ev === 'paid' && e !== first, 10_000);
      expect(second.amount).toBe(4);
      expect(second.paidForSec).toBeGreaterThan(4); // bought before the first 4 s ran out
      expect((await pda.waitFor('bye', 15_000)).reason).toBe(5);
      expect(fast.payment!.till.balance()).toBe(8);
    } finally {
      pda.powerOff();
      await fast.stop();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
