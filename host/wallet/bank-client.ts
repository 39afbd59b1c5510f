/**
 * BankClient: the API the MSS (and tools) use to talk to Clare's bank. Wraps the HTTP calls and
 * adds the two high-level operations that need blinding: `swap(proofs)` returns fresh proofs of
 * the same total (DLEQ-checked against keys pinned at first use), `checkState(proofs)` the NUT-07
 * state of each proof.
 */
import { pointHex, secretToY } from '../bank/cashu/bdhke';
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
