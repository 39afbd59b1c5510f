/**
 * For tests that run `hood mss` as a child process on a data dir: Clare's bank lives in that data dir, so
 * Bob's coins come from it first, with the MSS run in-process once (then stopped, leaving the dir to the child).
 */
import { join } from 'node:path';
import { silentLogger } from '../../host/common/log';
import { startMss } from '../../host/mss/start';
import { decodeToken } from '../../host/wallet/token';
import { Wallet } from '../../host/wallet/wallet';

export interface StoredProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
}

/** The MSS's identity key (hex, for the PDA's pin) and 20 sat of its bank's coins as the PDA stores them. */
export async function coinsFromMssBank(mssDir: string, bankPort: number, walletDir: string): Promise<{ identityKey: string; proofs: StoredProof[] }> {
  const m = await startMss({
    dataDir: mssDir,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    mail: false,
    payment: { price: { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 10 }, bankListen: { host: '127.0.0.1', port: bankPort }, account: 'doug' },
  });
  try {
    const identityKey = Buffer.from(m.gw.core.identityKey).toString('hex');
    const acct = await m.payment!.bank!.mint.createAccount('bob');
    await m.payment!.bank!.mint.creditAccount('bob', 100);
    const bob = new Wallet(join(walletDir, 'bob-wallet'));
    await bob.withdraw(m.payment!.bankUrl, acct.token, 40);
    const token = await bob.exportToken(m.payment!.bankUrl, 20, { format: 'B', dleq: false });
    return { identityKey, proofs: decodeToken(token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C })) };
  } finally {
    await m.stop();
  }
}
