/**
 * `hood wallet load` end to end: coins withdrawn by Bob's laptop wallet from the real bank move over
 * the board link onto the emulated PDA (real bundle), leave the laptop only once the board confirmed
 * them, and then pay the MSS. A board that refuses the coins gets none: they go back to the laptop.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import { BoardLink } from '../../host/board/link';
import { openEmu } from '../../host/board/transports/emu';
import { brokerAddress } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { loadWalletToBoard } from '../../host/wallet/board-load';
import { Wallet } from '../../host/wallet/wallet';
import { toHex } from '../../shared/src/bytes';
import { BUNDLE } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';

let mss: RunningMss;
let dir: string;
let bob: Wallet;

beforeAll(async () => {
  dir = testDir('hood-load-');
  mss = await startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    payment: { price: { perMinute: 1, unit: 'sat', minSeconds: 60, graceSec: 10 }, bankListen: { host: '127.0.0.1', port: 0 } },
  });
  const acct = await mss.payment!.bank!.mint.createAccount('bob');
  await mss.payment!.bank!.mint.creditAccount('bob', 200);
  bob = new Wallet(join(dir, 'bob'));
  await bob.withdraw(mss.payment!.bankUrl, acct.token, 100);
});
afterAll(async () => {
  await mss.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('hood wallet load', () => {
  it('moves coins onto the board, then the PDA pays the MSS with them', async () => {
    const t = await openEmu({ bundlePath: BUNDLE });
    const link = new BoardLink(t, { timeoutMs: 10_000 });
    try {
      const r = await loadWalletToBoard(bob, link, mss.payment!.bankUrl, 24);
      expect(r.boardBalance).toBe(24);
      expect(bob.balance(mss.payment!.bankUrl)).toBe(76);
      expect(bob.store.state.exported.at(-1)!.board).toMatchObject({ state: 'on-board' });

      const pda = t.pda;
      const b = brokerAddress(mss.gw.brokerUrl);
      pda.cmd({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: mss.gw.mssId });
      pda.cmd({ cmd: 'pin', mssId: mss.gw.mssId, key: toHex(mss.gw.core.identityKey) });
      pda.cmd({ cmd: 'start' });
      const paid = await pda.waitFor('paid', 20_000);
      expect(paid.amount).toBeGreaterThanOrEqual(10);
      expect(mss.payment!.till.balance()).toBe(paid.amount);
    } finally {
      await link.close();
    }
  });

  it('a board that refuses the coins gets none; they stay in the laptop wallet', async () => {
    const t = await openEmu({ bundlePath: BUNDLE });
    const link = new BoardLink(t, { timeoutMs: 3000 });
    // Full staging storage stands for a board that cannot take them: make every stage fail.
    const fw = t.pda.firmware;
    const realCmd = fw.cmd;
    fw.cmd = (line: string) => realCmd(line.includes('"wallet.stage"') ? line.replace('"proofs":"', '"proofs":"x') : line);
    try {
      const before = bob.balance(mss.payment!.bankUrl);
      await expect(loadWalletToBoard(bob, link, mss.payment!.bankUrl, 8)).rejects.toThrow(/went back into the laptop wallet/);
      expect(bob.balance(mss.payment!.bankUrl)).toBe(before);
      expect(bob.store.state.exported.at(-1)!.board).toMatchObject({ state: 'returned' });
    } finally {
      fw.cmd = realCmd;
      await link.close();
    }
  });
});
