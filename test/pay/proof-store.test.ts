/**
 * The PDA's coin store under long random sequences of payments, answers, re-offer look-ups, the
 * owner's NUT-07 verdicts and power cuts in the middle of a write (fast-check): no coin is ever
 * duplicated or lost except by a "spent" verdict, a coin marked for an MSS is always pending, a
 * re-offer look-up only ever names PAYs that went to that MSS, and a cut write leaves the previous
 * state (coins and load log together).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Storage } from '../../firmware/src/board';
import {
  FREE,
  KEEP,
  SOME_SPENT,
  SPENT,
  loadStore,
  markPending,
  pendingAt,
  proofsOf,
  saveStore,
  selectProofs,
  settle,
  settleChecked,
  type StoredProof,
} from '../../firmware/src/wallet/proof-store';

/** Espruino's Storage: write erases first; `cut` makes the next write stop after the erase. */
class CutStorage implements Storage {
  files = new Map<string, string>();
  cut = false;
  read(k: string) {
    return this.files.get(k);
  }
  write(k: string, v: string) {
    this.files.delete(k);
    if (this.cut) {
      this.cut = false;
      throw new Error('power cut');
    }
    this.files.set(k, v);
  }
  erase(k: string) {
    this.files.delete(k);
  }
  keys() {
    return [...this.files.keys()];
  }
}

const proof = (i: number): StoredProof => ({ amount: 1 << (i % 6), id: '00ad268c4d1f5826', secret: 's' + i, C: '02' + i.toString(16).padStart(64, '0') });
const MSS = ['doug/aa', 'emma/bb', ''];

const op = fc.oneof(
  fc.record({ k: fc.constant('pay' as const), target: fc.integer({ min: 1, max: 64 }), at: fc.constantFrom(...MSS), cut: fc.boolean() }),
  fc.record({ k: fc.constant('answer' as const), pick: fc.nat(), outcome: fc.constantFrom(FREE, SPENT, SOME_SPENT, KEEP), later: fc.boolean(), cut: fc.boolean() }),
  fc.record({ k: fc.constant('owner' as const), spent: fc.array(fc.nat(40), { maxLength: 6 }), unspent: fc.array(fc.nat(40), { maxLength: 6 }), busy: fc.nat(), cut: fc.boolean() }),
);

describe('coin store', () => {
  it('keeps every coin exactly once through payments, answers, owner verdicts and power cuts', () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 20, maxLength: 120 }), (ops) => {
        const st = new CutStorage();
        const start = [];
        for (let i = 0; i < 40; i++) start.push(proof(i));
        saveStore(st, { proofs: start, log: [{ tx: '00000000000000aa', hash: 'b'.repeat(64) }], gap: false, settled: 0 });
        /** Coins a verdict or an answer said were spent: the only ones allowed to disappear. */
        const spentOk = new Set<string>();
        let nextPay = 0;
        for (const o of ops) {
          const before = JSON.stringify(loadStore(st));
          const payIds = [...new Set(loadStore(st).proofs.filter((p) => p.pending).map((p) => p.pending!))];
          st.cut = o.cut;
          try {
            if (o.k === 'pay') {
              const chosen = selectProofs(loadStore(st).proofs, o.target, 5);
              if (chosen) markPending(st, chosen, 'p' + nextPay++, o.at);
            } else if (o.k === 'answer' && payIds.length) {
              const id = payIds[o.pick % payIds.length];
              const mine = proofsOf(loadStore(st).proofs, id);
              if (o.outcome === SPENT || (o.outcome === SOME_SPENT && mine.length === 1)) for (const p of mine) spentOk.add(p.secret);
              settle(st, id, o.outcome, o.later);
            } else if (o.k === 'owner') {
              for (const i of o.spent) spentOk.add('s' + i);
              const busy = payIds.length ? payIds[o.busy % payIds.length] : '';
              settleChecked(st, o.spent.map((i) => proof(i).C), o.unspent.map((i) => proof(i).C), busy);
            }
          } catch (e) {
            expect((e as Error).message).toBe('power cut');
            // The write was cut: the previous state, coins and log, is what the board reads back.
            expect(JSON.stringify(loadStore(st))).toBe(before);
          }
          st.cut = false;
          const now = loadStore(st);
          expect(now.log).toHaveLength(1);
          const secrets = now.proofs.map((p) => p.secret);
          expect(new Set(secrets).size).toBe(secrets.length);
          for (const p of start) if (!secrets.includes(p.secret)) expect(spentOk.has(p.secret)).toBe(true);
          for (const p of now.proofs) if (p.at) expect(p.pending).toBeTruthy();
          for (const m of MSS.filter(Boolean)) for (const id of pendingAt(now.proofs, m)) expect(proofsOf(now.proofs, id).every((p) => p.at === m)).toBe(true);
          expect(pendingAt(now.proofs, '')).toEqual([]);
        }
      }),
      { numRuns: 100 },
    );
  });
});
