/**
 * BankClient: a client of Clare's bank that keeps nothing on disk — the HTTP calls plus the two
 * operations that need blinding: `swap(proofs)` returns fresh proofs of the same total (NUT-03,
 * DLEQ-checked against keys pinned in memory at first use), `checkState(proofs)` the NUT-07 state of
 * each proof. For probes and tests; the MSS's till and Bob's wallet use `Wallet`, which records
 * every request before it is sent so a crash loses no e-cash.
 */
import { pointHex, secretToY } from '../cashu/bdhke';
import { finishProofs, prepareOutputs, splitAmount, wireOutputs } from './blinding';
import { HttpBank } from './client';
import { KeyRing, type Pins } from './keyring';
import { sumProofs, type Proof, type ProofState } from './types';

export class BankClient extends HttpBank {
  readonly ring: KeyRing;

  constructor(url: string, opts: { timeoutMs?: number; pins?: Pins; onPin?: (id: string, keys: Record<string, string>) => Promise<void> } = {}) {
    super(url, opts);
    this.ring = new KeyRing(this, opts.pins || {}, opts.onPin || (async () => undefined));
  }

  /** NUT-03 swap: spend `proofs`, get new proofs of the same total from the active keyset. */
  async swap(proofs: Proof[]): Promise<Proof[]> {
    const ks = await this.ring.active();
    const prep = prepareOutputs(splitAmount(sumProofs(proofs), ks), ks);
    const sigs = await this.postSwap(proofs, wireOutputs(prep));
    return finishProofs(prep, sigs, ks);
  }

  /** NUT-07: state of each proof, in order. */
  async checkState(proofs: Proof[]): Promise<ProofState[]> {
    const Ys = proofs.map((p) => pointHex(secretToY(p.secret)));
    const states = await this.checkStateYs(Ys);
    return states.map((s) => s.state);
  }
}
