/**
 * A durable Cashu wallet for one data dir, talking to Clare's bank. Used by `hood wallet` (Bob's
 * laptop: withdraw, balance, export for the PDA) and, through MssWallet, by the MSS (receive =
 * swap at the mint before accepting, cashout = melt into its account).
 *
 * Every operation that hands e-cash to the mint first records a pending entry with everything
 * needed to resend the very same request (quote, inputs, prepared outputs). If the process dies
 * with the request in flight, `recover()` resends it: the mint's idempotency returns the first
 * answer, so proofs are neither lost nor double-counted.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { finishProofs, prepareOutputs, splitAmount, wireOutputs, type PreparedOutputs } from './blinding';
import { BankHttpError, HttpBank, normalizeMintUrl } from './client';
import { KeyRing } from './keyring';
import { WalletStore, type PendingOp, type StoredProof } from './store';
import { decodeToken, encodeToken } from './token';
import { WalletError, sumProofs, type Proof } from './types';
import { dleqVerifyProof } from '../cashu/dleq';
import { parsePoint, pointHex, secretToY } from '../cashu/bdhke';
import { ErrorCode } from '../cashu/errors';

export const WALLET_FILE = 'wallet.json';

/** The wallet's reading of a failed bank call: the NUT error code, else transient or refused. */
function bankFailure(e: unknown): WalletError {
  if (e instanceof WalletError) return e;
  if (e instanceof BankHttpError) {
    if (e.code === ErrorCode.PROOFS_ALREADY_SPENT) return new WalletError('already_spent', e.message, { cause: e });
    if (e.code === ErrorCode.PROOF_VERIFICATION_FAILED) return new WalletError('invalid_proof', e.message, { cause: e });
    if (e.code === ErrorCode.KEYSET_UNKNOWN) return new WalletError('unknown_keyset', e.message, { cause: e });
    if (e.status >= 500) return new WalletError('bank_unreachable', e.message, { cause: e });
    return new WalletError('bank_refused', e.message, { cause: e });
  }
  return new WalletError('bank_unreachable', (e as Error).message, { cause: e });
}

/** Definitive refusal (the request will never succeed) vs. transient (resend later). */
function isDefinitive(e: unknown): boolean {
  return e instanceof BankHttpError && e.status >= 400 && e.status < 500;
}

export interface ReceiveOptions {
  /** Keyset ids the receiver accepts (e.g. what the MSS beacon advertises); default: the mint's. */
  acceptedKeysetIds?: string[];
  /** Refuse proofs without a NUT-12 DLEQ proof (with r) that verifies offline. */
  requireDleq?: boolean;
}

export class Wallet {
  readonly store: WalletStore;
  private banks = new Map<string, { bank: HttpBank; ring: KeyRing }>();

  constructor(dataDir: string, file = WALLET_FILE) {
    this.store = new WalletStore(join(dataDir, file));
  }

  bank(url: string): { bank: HttpBank; ring: KeyRing } {
    const mint = normalizeMintUrl(url);
    let b = this.banks.get(mint);
    if (!b) {
      const bank = new HttpBank(mint);
      const pins = { ...this.store.pins(mint) };
      const ring = new KeyRing(bank, pins, (id, keys) =>
        this.store.update((s) => {
          const m = (s.mints[mint] ||= { pins: {} });
          m.pins[id] = { ...keys };
        }),
      );
      b = { bank, ring };
      this.banks.set(mint, b);
    }
    return b;
  }

  proofs(mintUrl?: string): StoredProof[] {
    const m = mintUrl ? normalizeMintUrl(mintUrl) : undefined;
    return this.store.state.proofs.filter((p) => !m || p.mint === m);
  }

  balance(mintUrl?: string): number {
    return sumProofs(this.proofs(mintUrl));
  }

  private async addPending(op: Omit<PendingOp, 'id' | 'at'>, removeProofs: Proof[] = []): Promise<PendingOp> {
    const full: PendingOp = { ...op, id: randomUUID(), at: Date.now() };
    const gone = new Set(removeProofs.map((p) => p.secret));
    await this.store.update((s) => {
      s.proofs = s.proofs.filter((p) => !(p.mint === op.mint && gone.has(p.secret)));
      s.pending.push(full);
    });
    return full;
  }

  /** Resend one pending request; returns the finished proofs (or [] for a melt). */
  private async settle(op: PendingOp): Promise<Proof[]> {
    const { bank, ring } = this.bank(op.mint);
    let fresh: Proof[] = [];
    if (op.kind === 'mint') {
      const ks = await ring.get(op.outputs!.keysetId);
      fresh = finishProofs(op.outputs!, await bank.mint(op.quote!, wireOutputs(op.outputs!)), ks);
    } else if (op.kind === 'swap') {
      const ks = await ring.get(op.outputs!.keysetId);
      fresh = finishProofs(op.outputs!, await bank.postSwap(op.inputs!, wireOutputs(op.outputs!)), ks);
    } else {
      const r = await bank.melt(op.quote!, op.inputs!);
      if (r.state !== 'PAID') throw new WalletError('bank_refused', 'melt not paid');
    }
    return fresh;
  }

  /** Settle the op and store its proofs (except those going into an export); drop the pending entry. */
  private async complete(op: PendingOp, keepAll = false): Promise<{ kept: Proof[]; sent: Proof[] }> {
    let fresh: Proof[];
    try {
      fresh = await this.settle(op);
    } catch (e) {
      if (isDefinitive(e) || e instanceof WalletError) {
        await this.store.update((s) => {
          s.pending = s.pending.filter((p) => p.id !== op.id);
        });
        // Our own inputs (withdraw/export swaps) that the mint did not take stay ours.
        if (op.kind !== 'mint' && op.inputs && !(e instanceof BankHttpError && e.code === ErrorCode.PROOFS_ALREADY_SPENT)) await this.restoreUnspent(op);
      }
      throw bankFailure(e);
    }
    // keepAll (recovery): an export interrupted before its token was printed keeps everything.
    const send = new Set(keepAll ? [] : op.sendIdx || []);
    const kept = fresh.filter((_, i) => !send.has(i));
    const sent = fresh.filter((_, i) => send.has(i));
    await this.store.update((s) => {
      s.pending = s.pending.filter((p) => p.id !== op.id);
      for (const p of kept) s.proofs.push({ ...p, mint: op.mint });
    });
    return { kept, sent };
  }

  /**
   * After a definitive refusal, put back the inputs the mint did not take. Only for inputs that
   * were ours (export swaps and melts carry sendIdx); a received token refused by the mint is not.
   */
  private async restoreUnspent(op: PendingOp): Promise<void> {
    if (!op.inputs || op.kind === 'mint' || op.sendIdx === undefined) return;
    const { bank } = this.bank(op.mint);
    const states = await bank.checkStateYs(op.inputs.map((p) => pointHex(secretToY(p.secret)))).catch(() => null);
    if (!states) return;
    await this.store.update((s) => {
      op.inputs!.forEach((p, i) => {
        if (states[i] && states[i].state === 'UNSPENT') s.proofs.push({ ...p, mint: op.mint });
      });
    });
  }

  /** Resend every request left in flight by a crash. Errors of single ops are collected, not thrown. */
  async recover(): Promise<{ settled: number; failed: string[] }> {
    let settled = 0;
    const failed: string[] = [];
    for (const op of [...this.store.state.pending]) {
      try {
        await this.complete(op, true);
        settled++;
      } catch (e) {
        failed.push(op.kind + ' ' + op.id + ': ' + (e as Error).message);
      }
    }
    return { settled, failed };
  }

  /** NUT-04 with the account method: quote, pay it from the account, mint the proofs. */
  async withdraw(bankUrl: string, accountToken: string, amount: number): Promise<{ amount: number; balance: number }> {
    const { bank, ring } = this.bank(bankUrl);
    const ks = await ring.active();
    const amounts = splitAmount(amount, ks);
    let quote;
    try {
      quote = await bank.createMintQuote(amount, ks.unit);
      quote = await bank.payMintQuote(quote.quote, accountToken);
    } catch (e) {
      throw bankFailure(e);
    }
    const op = await this.addPending({ kind: 'mint', mint: bank.url, quote: quote.quote, outputs: prepareOutputs(amounts, ks) });
    await this.complete(op);
    return { amount, balance: this.balance(bank.url) };
  }

  /**
   * Take proofs worth exactly `amount` out of the wallet as a token (for the PDA). If no subset
   * matches, swap at the mint first (NUT-03 "swap to send").
   */
  async exportToken(bankUrl: string, amount: number, opts: { format?: 'A' | 'B'; dleq?: boolean } = {}): Promise<string> {
    const mint = normalizeMintUrl(bankUrl);
    const mine = this.proofs(mint).sort((a, b) => b.amount - a.amount);
    if (sumProofs(mine) < amount) throw new WalletError('insufficient', 'wallet holds ' + sumProofs(mine) + ', asked ' + amount);
    // Greedy from the largest: exact whenever the binary digits of `amount` are available.
    const picked: StoredProof[] = [];
    let rest = amount;
    for (const p of mine) if (p.amount <= rest) {
      picked.push(p);
      rest -= p.amount;
    }
    let send: Proof[];
    if (rest === 0) {
      send = picked;
      const gone = new Set(send.map((p) => p.secret));
      await this.store.update((s) => {
        s.proofs = s.proofs.filter((p) => !(p.mint === mint && gone.has(p.secret)));
      });
    } else {
      const { ring } = this.bank(mint);
      const ks = await ring.active();
      const inputs: Proof[] = [];
      let sum = 0;
      for (const p of [...mine].reverse()) {
        if (sum >= amount) break;
        inputs.push(p);
        sum += p.amount;
      }
      const sendAmounts = splitAmount(amount, ks);
      const keepAmounts = sum > amount ? splitAmount(sum - amount, ks) : [];
      const all = [...sendAmounts.map((a) => ({ a, send: true })), ...keepAmounts.map((a) => ({ a, send: false }))].sort((x, y) => x.a - y.a);
      const outputs: PreparedOutputs = prepareOutputs(all.map((x) => x.a), ks);
      const sendIdx = all.map((x, i) => (x.send ? i : -1)).filter((i) => i >= 0);
      const op = await this.addPending({ kind: 'swap', mint, inputs: inputs.map(strip), outputs, sendIdx }, inputs);
      send = (await this.complete(op)).sent;
    }
    const token = encodeToken({ mint, unit: 'sat', proofs: send }, opts.format || 'B', opts.dleq !== false);
    await this.store.update((s) => {
      s.exported.push({ token, amount, mint, at: Date.now() });
    });
    return token;
  }

  /**
   * Accept a token: check mint URL, unit and keysets (pinned, NUT-02 id), offline DLEQ if given,
   * then swap it at the mint for fresh proofs BEFORE reporting it as received. Exactly one of
   * several receivers of the same token succeeds; the others get 'already_spent'.
   */
  async receive(token: string, acceptMintUrl: string, opts: ReceiveOptions = {}): Promise<{ amount: number; proofs: number }> {
    const t = decodeToken(token);
    const mint = normalizeMintUrl(acceptMintUrl);
    let tokenMint: string;
    try {
      tokenMint = normalizeMintUrl(t.mint);
    } catch {
      throw new WalletError('malformed', 'token mint URL is invalid');
    }
    if (tokenMint !== mint) throw new WalletError('foreign_mint', 'token is from ' + tokenMint);
    if (t.unit !== 'sat') throw new WalletError('malformed', 'unit ' + t.unit + ' not accepted');
    const { ring } = this.bank(mint);
    const ids = [...new Set(t.proofs.map((p) => p.id))];
    for (const id of ids) {
      if (opts.acceptedKeysetIds && !opts.acceptedKeysetIds.includes(id)) throw new WalletError('unknown_keyset', 'keyset ' + id + ' not accepted');
      const ks = await ring.get(id).catch((e) => {
        throw bankFailure(e);
      });
      for (const p of t.proofs.filter((q) => q.id === id)) {
        const K = ks.points.get(p.amount);
        if (!K) throw new WalletError('malformed', 'no key for amount ' + p.amount);
        if (p.dleq) {
          let C;
          try {
            C = parsePoint(p.C);
          } catch {
            throw new WalletError('invalid_proof', 'C is not a point');
          }
          if (!dleqVerifyProof(p.secret, C, K, p.dleq)) throw new WalletError('bad_dleq', 'token DLEQ proof does not verify');
        } else if (opts.requireDleq) throw new WalletError('bad_dleq', 'token carries no DLEQ proof');
      }
    }
    const secrets = new Set(t.proofs.map((p) => p.secret));
    if (secrets.size !== t.proofs.length) throw new WalletError('malformed', 'duplicate proofs in token');
    const active = await ring.active();
    const amount = sumProofs(t.proofs);
    const outputs = prepareOutputs(splitAmount(amount, active), active);
    const op = await this.addPending({ kind: 'swap', mint, inputs: t.proofs.map(strip), outputs });
    await this.complete(op);
    return { amount, proofs: outputs.items.length };
  }

  /** NUT-05 with the account method: melt every proof of this mint into the named account. */
  async cashout(bankUrl: string, accountName: string): Promise<{ amount: number }> {
    const { bank } = this.bank(bankUrl);
    const mine = this.proofs(bank.url);
    const amount = sumProofs(mine);
    if (amount === 0) return { amount: 0 };
    let quote;
    try {
      quote = await bank.createMeltQuote(accountName, amount);
    } catch (e) {
      throw bankFailure(e);
    }
    const op = await this.addPending({ kind: 'melt', mint: bank.url, quote: quote.quote, inputs: mine.map(strip), sendIdx: [] }, mine);
    await this.complete(op);
    return { amount };
  }
}

function strip(p: Proof): Proof {
  const q: Proof = { amount: p.amount, id: p.id, secret: p.secret, C: p.C };
  if (p.dleq) q.dleq = { ...p.dleq };
  return q;
}
