/**
 * The MSS's till (`MssWallet`): receives tokens paid by PDAs (PAY cell), swaps them at the mint BEFORE any
 * session time is granted (paper step 4: the MSS checks every coin online with the bank), keeps
 * the fresh proofs durably in its own wallet file, and cashes out into its bank account.
 */
import { normalizeMintUrl } from '../wallet/client';
import { Wallet } from '../wallet/wallet';
import type { WalletError } from '../wallet/types';

export interface MssWalletOptions {
  dataDir: string;
  /** The one mint this MSS accepts (token mint URL must match after normalization). */
  mintUrl: string;
  /** Keyset ids the MSS advertises in its beacon; tokens of other keysets are refused. */
  acceptedKeysetIds?: string[];
  requireDleq?: boolean;
  file?: string;
}

export type ReceiveResult = { ok: true; amount: number } | { ok: false; reason: WalletError['reason']; detail: string };

export class MssWallet {
  readonly wallet: Wallet;
  readonly mintUrl: string;
  private readonly opts: MssWalletOptions;

  constructor(opts: MssWalletOptions) {
    this.opts = opts;
    this.mintUrl = normalizeMintUrl(opts.mintUrl);
    this.wallet = new Wallet(opts.dataDir, opts.file || 'mss-wallet.json');
  }

  /** Finish swaps a crash left in flight (call once at start). */
  recover(): Promise<{ settled: number; failed: string[] }> {
    return this.wallet.recover();
  }

  /** The mint's active keyset id (for the beacon), checked and pinned. */
  async activeKeysetId(): Promise<string> {
    return (await this.wallet.bank(this.mintUrl).ring.active()).id;
  }

  /** Swap the token at the mint; never throws for a bad token, answers why it was refused. */
  async receive(token: string): Promise<ReceiveResult> {
    try {
      const r = await this.wallet.receive(token, this.mintUrl, { acceptedKeysetIds: this.opts.acceptedKeysetIds, requireDleq: this.opts.requireDleq });
      return { ok: true, amount: r.amount };
    } catch (e) {
      const we = e as WalletError;
      if (we && we.name === 'WalletError') return { ok: false, reason: we.reason, detail: we.message };
      return { ok: false, reason: 'bank_unreachable', detail: (e as Error).message };
    }
  }

  balance(): number {
    return this.wallet.balance(this.mintUrl);
  }

  /** Melt everything into the MSS's own account (NUT-05, method "account"). */
  cashout(accountName: string): Promise<{ amount: number }> {
    return this.wallet.cashout(this.mintUrl, accountName);
  }
}
