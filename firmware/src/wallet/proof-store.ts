/**
 * The PDA's coins: Cashu proofs its owner loaded from the laptop wallet (the PDA never blinds; it only
 * stores proofs and spends them). Kept in Storage under one key. A proof being spent is marked with the
 * payId of its PAY until the MSS answers, so a crash or a lost answer never lets the PDA spend it twice
 * without knowing; the host wallet resolves such proofs with NUT-07 check-state.
 */
import type { Storage } from '../board';

export interface StoredProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
  /** payId (hex) of the PAY it is in flight with, if any. */
  pending?: string;
}

const KEY = 'hood.coins';

export function loadProofs(storage: Storage): StoredProof[] {
  const raw = storage.read(KEY);
  if (!raw) return [];
  try {
    const j = JSON.parse(raw);
    return j && j.v === 1 && j.proofs instanceof Array ? j.proofs : [];
  } catch (e) {
    return [];
  }
}

export function saveProofs(storage: Storage, proofs: StoredProof[]): void {
  storage.write(KEY, JSON.stringify({ v: 1, proofs: proofs }));
}

export function spendableTotal(proofs: StoredProof[]): number {
  let s = 0;
  for (let i = 0; i < proofs.length; i++) if (!proofs[i].pending) s += proofs[i].amount;
  return s;
}

/** Largest-first selection of at most `max` spendable proofs whose sum reaches `target`; null if impossible. */
export function selectProofs(proofs: StoredProof[], target: number, max: number): StoredProof[] | null {
  const free: StoredProof[] = [];
  for (let i = 0; i < proofs.length; i++) if (!proofs[i].pending) free.push(proofs[i]);
  free.sort(function (a, b) {
    return b.amount - a.amount;
  });
  // Prefer the smallest single proof that covers the target; otherwise accumulate from the largest.
  for (let i = free.length - 1; i >= 0; i--) if (free[i].amount >= target) return [free[i]];
  const out: StoredProof[] = [];
  let sum = 0;
  for (let i = 0; i < free.length && out.length < max && sum < target; i++) {
    out.push(free[i]);
    sum += free[i].amount;
  }
  return sum >= target ? out : null;
}

export function markPending(storage: Storage, chosen: StoredProof[], payIdHex: string): void {
  const all = loadProofs(storage);
  for (let i = 0; i < all.length; i++) for (let k = 0; k < chosen.length; k++) if (all[i].secret === chosen[k].secret) all[i].pending = payIdHex;
  saveProofs(storage, all);
}

/** Drop the proofs of a settled PAY (spent), or return them to the spendable set (refused). */
export function settle(storage: Storage, payIdHex: string, spent: boolean): number {
  const all = loadProofs(storage);
  const keep: StoredProof[] = [];
  let n = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i].pending === payIdHex) {
      n++;
      if (spent) continue;
      delete all[i].pending;
    }
    keep.push(all[i]);
  }
  saveProofs(storage, keep);
  return n;
}
