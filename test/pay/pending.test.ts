/**
 * Proofs a PAY left pending are settled in a later session (docs/payment.md, "Pending proofs"): the
 * real bank, the real MSS, coins moved by `hood wallet load` onto the emulated PDA (real bundle).
 *  - the answer was lost after the MSS swapped them: the next session offers them again under the same
 *    payId, the bank says spent, they are dropped, and the session pays with other coins;
 *  - the PAY never reached the MSS: offered again, they buy the next session's time;
 *  - a different MSS is never offered them; the laptop's NUT-07 check settles them instead;
 *  - several proofs refused as spent (which one?) are left to the laptop's NUT-07 check.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadProofs } from '../../firmware/src/wallet/proof-store';
import { BoardLink } from '../../host/board/link';
import { openEmu } from '../../host/board/transports/emu';
import { silentLogger } from '../../host/common/log';
import { configureFor, endSession, joinSession } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { loadWalletToBoard } from '../../host/wallet/board-load';
import { settleBoardPending } from '../../host/wallet/board-pending';
import { Wallet } from '../../host/wallet/wallet';
import type { ServiceContext } from '../../host/mss/core';
import { BUNDLE } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';

let dir: string;
let doug: RunningMss;
let bob: Wallet;
const PRICE = { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 20 };

beforeAll(async () => {
  dir = testDir('hood-pending-');
  doug = await startMss({ dataDir: join(dir, 'doug'), log: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, tickMs: 200, payment: { price: PRICE, bankListen: { host: '127.0.0.1', port: 0 } } });
  const acct = await doug.payment!.bank!.mint.createAccount('bob');
  await doug.payment!.bank!.mint.creditAccount('bob', 1000);
  bob = new Wallet(join(dir, 'bob'));
  await bob.withdraw(doug.payment!.bankUrl, acct.token, 400);
});
afterAll(async () => {
  await doug.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A board with `amounts` loaded by the laptop wallet (each amount one load), configured for `mss`. */
async function boardWith(mss: RunningMss, amounts: number[]) {
  const t = await openEmu({ bundlePath: BUNDLE });
  const link = new BoardLink(t, { timeoutMs: 10_000 });
  for (const a of amounts) await loadWalletToBoard(bob, link, doug.payment!.bankUrl, a);
  configureFor(mss.gw, t.pda);
  return { t, pda: t.pda, link };
}

/** Hold the MSS's PAY handling: `drop` loses the next PAY, `hold` delays its swap until released. */
function interceptPay(mss: RunningMss) {
  const svc = mss.payment!.service;
  const orig = svc.onData.bind(svc);
  const till = mss.payment!.till;
  const receive = till.receive.bind(till);
  let release: () => void = () => undefined;
  return {
    drop() {
      svc.onData = (_ctx: ServiceContext, _p: Uint8Array) => {
        svc.onData = orig;
      };
    },
    hold() {
      const gate = new Promise<void>((r) => (release = r));
      till.receive = async (token: string) => {
        till.receive = receive;
        await gate;
        return receive(token);
      };
      return () => release();
    },
  };
}

const coins = (pda: { storage: Parameters<typeof loadProofs>[0] }) => loadProofs(pda.storage);
const status = async (link: BoardLink) => (await link.command({ cmd: 'wallet.balance' })).find((e) => e.ev === 'wallet.balance')!;

describe('pending proofs are settled in a later session', () => {
  it('answer lost after the swap: offered again with the same payId, refused as spent, dropped; the session pays with other coins', async () => {
    const { pda, link } = await boardWith(doug, [32, 8]);
    try {
      const till0 = doug.payment!.till.balance();
      const release = interceptPay(doug).hold();
      await joinSession(pda);
      const paying = await pda.waitFor('paying', 10_000);
      expect(paying).toMatchObject({ amount: 32, again: false });
      await endSession(pda);
      release(); // the MSS swaps them for a session that is gone: its answer never reaches the PDA
      await expect.poll(() => doug.payment!.till.balance(), { timeout: 10_000 }).toBe(till0 + 32);
      expect(coins(pda).filter((p) => p.pending)).toHaveLength(1);
      expect(await status(link)).toMatchObject({ pending: 1, settled: 0, spendable: 8 });

      const since = pda.events.length;
      await joinSession(pda);
      expect(await pda.waitFor('paying', 10_000, since)).toMatchObject({ amount: 32, again: true });
      expect(await pda.waitFor('pay_refused', 10_000, since)).toMatchObject({ status: 3, again: true, proofs: 1 });
      expect(await pda.waitFor('paid', 10_000, since)).toMatchObject({ amount: 8, again: false });
      expect(coins(pda)).toEqual([]);
      expect(doug.payment!.till.balance()).toBe(till0 + 40);
      expect(await status(link)).toMatchObject({ pending: 0, settled: 1, spendable: 0 });
      await endSession(pda);
    } finally {
      await link.close();
    }
  });

  it('PAY lost on the way: offered again in the next session, it buys that session its time', async () => {
    const { pda, link } = await boardWith(doug, [16]);
    try {
      const till0 = doug.payment!.till.balance();
      interceptPay(doug).drop();
      await joinSession(pda);
      await pda.waitFor('paying', 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await endSession(pda);
      expect(doug.payment!.till.balance()).toBe(till0);
      const since = pda.events.length;
      await joinSession(pda);
      expect(await pda.waitFor('paid', 10_000, since)).toMatchObject({ amount: 16, again: true, paidForSec: 480 });
      // Bought with the re-offer: no second PAY in this session.
      expect(pda.events.slice(since).filter((e) => e.ev === 'paying')).toHaveLength(1);
      expect(coins(pda)).toEqual([]);
      expect(doug.payment!.till.balance()).toBe(till0 + 16);
      expect(await status(link)).toMatchObject({ pending: 0, settled: 1 });
      await endSession(pda);
    } finally {
      await link.close();
    }
  });

  it('another MSS is never offered them; the laptop settles them with NUT-07 (only with --settle-all while the PDA would re-offer)', async () => {
    // Emma's MSS takes coins of the same bank.
    const emma = await startMss({ dataDir: join(dir, 'emma'), log: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, tickMs: 200, payment: { price: PRICE, bankUrl: doug.payment!.bankUrl } });
    const { pda, link } = await boardWith(doug, [32, 8]);
    try {
      interceptPay(doug).drop();
      await joinSession(pda);
      await pda.waitFor('paying', 10_000);
      await new Promise((r) => setTimeout(r, 300));
      await endSession(pda);
      const pendingC = coins(pda).find((p) => p.pending)!.C;

      configureFor(emma.gw, pda);
      const seen: string[] = [];
      const svc = emma.payment!.service;
      const orig = svc.onData.bind(svc);
      svc.onData = (ctx: ServiceContext, p: Uint8Array) => {
        seen.push(Buffer.from(p).toString('hex'));
        orig(ctx, p);
      };
      const since = pda.events.length;
      await joinSession(pda);
      expect(await pda.waitFor('paid', 10_000, since)).toMatchObject({ amount: 8, again: false });
      expect(seen).toHaveLength(1);
      expect(seen[0]).not.toContain(pendingC); // C of the pending proof never went to Emma
      await endSession(pda);
      expect(await status(link)).toMatchObject({ pending: 1, spendable: 0 });

      // The laptop leaves to the PDA what it would offer again at Doug's, unless told otherwise.
      expect(await settleBoardPending(bob, link)).toMatchObject({ pending: 1, checked: 0, left: 1 });
      expect(await settleBoardPending(bob, link, { all: true })).toMatchObject({ pending: 1, checked: 1, freed: 1, dropped: 0, left: 0 });
      expect(await status(link)).toMatchObject({ pending: 0, spendable: 32, settled: 1 });
    } finally {
      await link.close();
      await emma.stop();
    }
  });

  it('several proofs refused as spent: the PDA cannot tell which, so the laptop checks them (NUT-07)', async () => {
    const { pda, link } = await boardWith(doug, [16, 4, 2]);
    try {
      // 20 wanted: 16 + 4 in one PAY, swapped for a session that is gone.
      const release = interceptPay(doug).hold();
      await joinSession(pda);
      expect(await pda.waitFor('paying', 10_000)).toMatchObject({ amount: 20, proofs: 2 });
      await endSession(pda);
      const till0 = doug.payment!.till.balance();
      release();
      await expect.poll(() => doug.payment!.till.balance(), { timeout: 10_000 }).toBe(till0 + 20);

      const since = pda.events.length;
      await joinSession(pda);
      expect(await pda.waitFor('pay_refused', 10_000, since)).toMatchObject({ status: 3, proofs: 2, again: true });
      await pda.waitFor('paid', 10_000, since);
      await endSession(pda);
      // Still pending, no longer offered to any MSS: the laptop's check finds both spent.
      expect((await status(link)).pending).toBe(2);
      const r = await settleBoardPending(bob, link);
      expect(r).toMatchObject({ pending: 2, checked: 2, dropped: 2, freed: 0, left: 0 });
      expect(await status(link)).toMatchObject({ pending: 0, settled: 2 });
      expect(coins(pda)).toEqual([]);
    } finally {
      await link.close();
    }
  });
});
