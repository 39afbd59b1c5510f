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
/**
 * Two slots written alternately: Espruino's Storage.write erases a file before writing it, so a
 * power cut during a single-file write would lose every coin. The newest slot that parses wins; the
 * other still holds the previous state.
 */
const SLOTS = [KEY + '.a', KEY + '.b'];

function readSlot(storage: Storage, key: string): { seq: number; proofs: StoredProof[] } | null {
  const raw = storage.read(key);
  if (!raw) return null;
  try {
    const j = JSON.parse(raw);
    if (!j || j.v !== 1 || !(j.proofs instanceof Array)) return null;
    return { seq: typeof j.seq === 'number' ? j.seq : 0, proofs: j.proofs };
  } catch (e) {
    return null; // torn write: the other slot has the previous state
  }
}

function newest(storage: Storage): { slot: number; seq: number; proofs: StoredProof[] } {
  let best = { slot: -1, seq: -1, proofs: [] as StoredProof[] };
  // The single-file form (seq 0) is what an owner may have written directly; slots supersede it.
  const legacy = readSlot(storage, KEY);
  if (legacy) best = { slot: -1, seq: 0, proofs: legacy.proofs };
  for (let i = 0; i < SLOTS.length; i++) {
    const r = readSlot(storage, SLOTS[i]);
    if (r && r.seq > best.seq) best = { slot: i, seq: r.seq, proofs: r.proofs };
  }
  return best;
}

export function loadProofs(storage: Storage): StoredProof[] {
  return newest(storage).proofs;
}

export function saveProofs(storage: Storage, proofs: StoredProof[]): void {
  const cur = newest(storage);
  const slot = cur.slot === 0 ? 1 : 0;
  storage.write(SLOTS[slot], JSON.stringify({ v: 1, seq: cur.seq + 1, proofs: proofs }));
  if (storage.read(KEY) !== undefined) storage.erase(KEY);
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
