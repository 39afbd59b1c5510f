/**
 * The PDA's coins: Cashu proofs its owner loaded from the laptop wallet (the PDA never blinds; it only
 * stores proofs and spends them). Kept in Storage as one document with the log of committed loads.
 * A proof being spent is marked with the payId of its PAY (and the MSS it went to) until an answer
 * settles it, so a crash or a lost answer never lets the PDA spend it twice without knowing. Such
 * proofs are settled in a later session: offered again to the same MSS under the same payId
 * (apps/pay.ts), or checked by the owner's laptop wallet with NUT-07 (docs/payment.md).
 */
import type { Storage } from '../board';

export interface StoredProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
  /** payId (hex) of the PAY it is in flight with, if any. */
  pending?: string;
  /** The MSS that PAY went to (mssId/identity key), if the PDA knew it: only that MSS is offered it again. */
  at?: string;
}

/** A committed load the owner's laptop has not yet acknowledged (apps/wallet-store.ts). */
export interface LoadLogEntry {
  tx: string;
  hash: string;
}

/**
 * Everything the coin store keeps, written as ONE document so that coins and the load log change
 * together: a commit that added coins but lost its log entry (or the reverse) cannot happen.
 */
export interface CoinStore {
  proofs: StoredProof[];
  log: LoadLogEntry[];
  /** The log may have lost unacknowledged entries (written by a firmware that evicted them). */
  gap: boolean;
  /** Pending proofs settled after the session that sent them ended (re-offer or the owner's NUT-07 check). */
  settled: number;
}

const KEY = 'hood.coins';
/**
 * Two slots written alternately: Espruino's Storage.write erases a file before writing it, so a
 * power cut during a single-file write would lose every coin. The newest slot that parses wins; the
 * other still holds the previous state.
 */
const SLOTS = [KEY + '.a', KEY + '.b'];

interface Slot {
  slot: number;
  seq: number;
  store: CoinStore;
}

/** How an answer (or the owner's NUT-07 check) settles the proofs of a PAY. */
export const FREE = 0;
export const SPENT = 1;
/** Refused as already spent: exact for one proof; with several, at least one was spent, so the owner's NUT-07 check decides. */
export const SOME_SPENT = 2;
/** Outcome unknown (the bank was unreachable; the MSS may still swap them): they stay pending. */
export const KEEP = 3;

/**
 * The store's functions live in the closure of buildProofStore(), made on the wallet's first use
 * (proofStore()) instead of at boot: on Espruino each function that exists costs variables
 * (docs/crypto-speed.md, variables after boot).
 */
function buildProofStore() {
  function readSlot(storage: Storage, key: string, slot: number): Slot | null {
    const raw = storage.read(key);
    if (!raw) return null;
    try {
      const j = JSON.parse(raw);
      if (!j || j.v !== 1 || !(j.proofs instanceof Array)) return null;
      const st: CoinStore = { proofs: j.proofs, log: j.log instanceof Array ? j.log : [], gap: j.gap === true, settled: typeof j.settled === 'number' ? j.settled : 0 };
      return { slot: slot, seq: typeof j.seq === 'number' ? j.seq : 0, store: st };
    } catch (e) {
      return null; // torn write: the other slot has the previous state
    }
  }

  function newest(storage: Storage): Slot {
    // The single-file form (seq 0) is what an owner may have written directly; slots supersede it.
    let best = readSlot(storage, KEY, -1) || { slot: -1, seq: -1, store: { proofs: [], log: [], gap: false, settled: 0 } };
    if (best.seq > 0) best.seq = 0;
    for (let i = 0; i < SLOTS.length; i++) {
      const r = readSlot(storage, SLOTS[i], i);
      if (r && r.seq > best.seq) best = r;
    }
    return best;
  }

  function loadStore(storage: Storage): CoinStore {
    return newest(storage).store;
  }

  function saveStore(storage: Storage, st: CoinStore): void {
    const cur = newest(storage);
    const slot = cur.slot === 0 ? 1 : 0;
    const doc: any = { v: 1, seq: cur.seq + 1, proofs: st.proofs, log: st.log, settled: st.settled };
    if (st.gap) doc.gap = true;
    storage.write(SLOTS[slot], JSON.stringify(doc));
    if (storage.read(KEY) !== undefined) storage.erase(KEY);
  }

  function loadProofs(storage: Storage): StoredProof[] {
    return newest(storage).store.proofs;
  }

  function saveProofs(storage: Storage, proofs: StoredProof[]): void {
    const st = loadStore(storage);
    st.proofs = proofs;
    saveStore(storage, st);
  }

  function spendableTotal(proofs: StoredProof[]): number {
    let s = 0;
    for (let i = 0; i < proofs.length; i++) if (!proofs[i].pending) s += proofs[i].amount;
    return s;
  }

  /** Largest-first selection of at most `max` spendable proofs whose sum reaches `target`; null if impossible. */
  function selectProofs(proofs: StoredProof[], target: number, max: number): StoredProof[] | null {
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

  function markPending(storage: Storage, chosen: StoredProof[], payIdHex: string, at: string): void {
    const all = loadProofs(storage);
    for (let i = 0; i < all.length; i++)
      for (let k = 0; k < chosen.length; k++)
        if (all[i].secret === chosen[k].secret) {
          all[i].pending = payIdHex;
          if (at) all[i].at = at;
        }
    saveProofs(storage, all);
  }

  /** The proofs of PAY `payIdHex`, in store order. */
  function proofsOf(proofs: StoredProof[], payIdHex: string): StoredProof[] {
    const out: StoredProof[] = [];
    for (let i = 0; i < proofs.length; i++) if (proofs[i].pending === payIdHex) out.push(proofs[i]);
    return out;
  }

  /**
   * Drop the proofs of a settled PAY (spent), return them to the spendable set (refused), or leave
   * them pending. `later`: the session that sent them is over; counted in `settled`.
   */
  function settle(storage: Storage, payIdHex: string, outcome: number, later: boolean): number {
    const st = loadStore(storage);
    const n = proofsOf(st.proofs, payIdHex).length;
    let ask = false;
    if (outcome === SOME_SPENT) {
      ask = n > 1;
      outcome = ask ? KEEP : SPENT;
    }
    const keep: StoredProof[] = [];
    for (let i = 0; i < st.proofs.length; i++) {
      const p = st.proofs[i];
      if (p.pending === payIdHex) {
        if (outcome === SPENT) continue;
        if (outcome === FREE) delete p.pending;
        // Spendable again, or left to the owner's NUT-07 check: never offered to that MSS again.
        if (outcome === FREE || ask) delete p.at;
      }
      keep.push(p);
    }
    if (later && outcome !== KEEP) st.settled += n;
    st.proofs = keep;
    saveStore(storage, st);
    return n;
  }

  /** payIds of the pending PAYs that went to MSS `at`, in store order, without repeats. */
  function pendingAt(proofs: StoredProof[], at: string): string[] {
    const out: string[] = [];
    for (let i = 0; i < proofs.length; i++) if (proofs[i].pending && proofs[i].at === at && out.indexOf(proofs[i].pending!) < 0) out.push(proofs[i].pending!);
    return out;
  }

  /**
   * The owner's NUT-07 answer for pending proofs, named by C: SPENT ones are dropped, UNSPENT ones
   * are spendable again. Proofs of the PAY in flight (`busy`) are left alone: the MSS may still swap them.
   */
  function settleChecked(storage: Storage, spent: string[], unspent: string[], busy: string): { dropped: number; freed: number } {
    const st = loadStore(storage);
    const keep: StoredProof[] = [];
    let dropped = 0;
    let freed = 0;
    for (let i = 0; i < st.proofs.length; i++) {
      const p = st.proofs[i];
      if (p.pending && p.pending !== busy) {
        if (spent.indexOf(p.C) >= 0) {
          dropped++;
          continue;
        }
        if (unspent.indexOf(p.C) >= 0) {
          delete p.pending;
          delete p.at;
          freed++;
        }
      }
      keep.push(p);
    }
    st.settled += dropped + freed;
    st.proofs = keep;
    saveStore(storage, st);
    return { dropped: dropped, freed: freed };
  }

  return {
    loadStore: loadStore,
    saveStore: saveStore,
    loadProofs: loadProofs,
    saveProofs: saveProofs,
    spendableTotal: spendableTotal,
    selectProofs: selectProofs,
    markPending: markPending,
    proofsOf: proofsOf,
    settle: settle,
    pendingAt: pendingAt,
    settleChecked: settleChecked,
  };
}

let built: ReturnType<typeof buildProofStore> | null = null;

/** The functions of this module, created on the first call and kept from then on. */
export function proofStore(): ReturnType<typeof buildProofStore> {
  if (!built) built = buildProofStore();
  return built;
}

// The same functions by name, for host code and tests; the firmware calls proofStore() and the
// bundler drops these.
export function loadStore(storage: Storage): CoinStore {
  return proofStore().loadStore(storage);
}
export function saveStore(storage: Storage, st: CoinStore): void {
  return proofStore().saveStore(storage, st);
}
export function loadProofs(storage: Storage): StoredProof[] {
  return proofStore().loadProofs(storage);
}
export function saveProofs(storage: Storage, proofs: StoredProof[]): void {
  return proofStore().saveProofs(storage, proofs);
}
export function spendableTotal(proofs: StoredProof[]): number {
  return proofStore().spendableTotal(proofs);
}
export function selectProofs(proofs: StoredProof[], target: number, max: number): StoredProof[] | null {
  return proofStore().selectProofs(proofs, target, max);
}
export function markPending(storage: Storage, chosen: StoredProof[], payIdHex: string, at: string): void {
  return proofStore().markPending(storage, chosen, payIdHex, at);
}
export function proofsOf(proofs: StoredProof[], payIdHex: string): StoredProof[] {
  return proofStore().proofsOf(proofs, payIdHex);
}
export function settle(storage: Storage, payIdHex: string, outcome: number, later: boolean): number {
  return proofStore().settle(storage, payIdHex, outcome, later);
}
export function pendingAt(proofs: StoredProof[], at: string): string[] {
  return proofStore().pendingAt(proofs, at);
}
export function settleChecked(storage: Storage, spent: string[], unspent: string[], busy: string): { dropped: number; freed: number } {
  return proofStore().settleChecked(storage, spent, unspent, busy);
}
