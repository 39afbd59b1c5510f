/**
 * Coin loads under lost answers, long random sequences (fast-check), on the emulated board running
 * the real bundle: two laptops load coins onto one board, answers of stage / commit / ack get lost,
 * contact breaks for a while, and many more loads than the board log once held (32) happen before a
 * broken load is settled. At every point no coin is spendable on both sides; once both laptops have
 * reconnected, every coin is in exactly one place.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProofs } from '../../firmware/src/wallet/proof-store';
import { BoardError, BoardLink } from '../../host/board/link';
import { openEmu, type EmuTransport } from '../../host/board/transports/emu';
import { ackLoads, loadProofsToBoard, resolveLoad, type BoardProof } from '../../host/board/wallet-load';
import { BUNDLE } from '../helpers/gateway';
import { testProof } from './scenarios';

type Fault = 'none' | 'stage_answer' | 'commit_answer' | 'contact_after_commit' | 'contact_before_commit' | 'no_ack';

/** A link that can lose the answer of one command (the board did run it) or lose contact entirely. */
class LossyLink {
  down = false;
  fault: Fault = 'none';
  constructor(private readonly link: BoardLink) {}
  async command(c: Record<string, unknown>, t?: number) {
    if (this.down) throw new BoardError('no contact', 'timeout');
    const f = this.fault;
    if (c.cmd === 'wallet.commit' && f === 'contact_before_commit') {
      this.fault = 'none';
      this.down = true;
      throw new BoardError('no contact', 'timeout');
    }
    const r = await this.link.command(c, t);
    const lost =
      (c.cmd === 'wallet.stage' && f === 'stage_answer') || (c.cmd === 'wallet.commit' && (f === 'commit_answer' || f === 'contact_after_commit'));
    if (lost) {
      this.fault = 'none';
      if (f === 'contact_after_commit') this.down = true;
      throw new BoardError('answer lost', 'timeout');
    }
    return r;
  }
  request(c: Record<string, unknown>, t?: number) {
    return this.link.request(c, t);
  }
}

interface Entry {
  proofs: BoardProof[];
  tx: string | null;
  state: 'moving' | 'on-board' | 'returned';
  acked: boolean;
}

/** What a laptop wallet does (host/wallet/board-load.ts), over a lossy link, with a plain coin set. */
class Laptop {
  spendable = new Map<string, BoardProof>();
  journal: Entry[] = [];
  constructor(readonly link: LossyLink) {}

  private async settle(e: Entry) {
    if (e.tx === null) {
      e.state = 'returned';
    } else {
      let st: 'committed' | 'unknown';
      try {
        st = await resolveLoad(this.link as unknown as BoardLink, e.tx, e.proofs);
      } catch {
        return; // no contact, or the board cannot vouch: stays moving
      }
      e.state = st === 'committed' ? 'on-board' : 'returned';
    }
    if (e.state === 'returned') for (const p of e.proofs) this.spendable.set(p.secret, p);
  }

  async ackAll() {
    for (const e of this.journal) {
      if (e.state === 'moving' || e.acked) continue;
      if (e.tx) await ackLoads(this.link as unknown as BoardLink, [e.tx]).catch(() => undefined);
      if (!this.link.down) e.acked = true;
    }
  }

  async reconnect() {
    this.link.down = false;
    for (const e of this.journal) if (e.state === 'moving') await this.settle(e);
    await this.ackAll();
  }

  async load(n: number, fault: Fault) {
    if (this.link.down) return;
    const proofs = [...this.spendable.values()].slice(0, n);
    if (!proofs.length) return;
    for (const p of proofs) this.spendable.delete(p.secret);
    const e: Entry = { proofs, tx: null, state: 'moving', acked: false };
    this.journal.push(e);
    this.link.fault = fault;
    try {
      await loadProofsToBoard(this.link as unknown as BoardLink, proofs, { batch: 32, onStaged: (tx) => void (e.tx = tx) });
      e.state = 'on-board';
    } catch {
      await this.settle(e);
    }
    this.link.fault = 'none';
    if (fault !== 'no_ack') await this.ackAll();
  }
}

const faults = fc.constantFrom<Fault>('none', 'none', 'stage_answer', 'commit_answer', 'contact_after_commit', 'contact_before_commit', 'no_ack', 'no_ack');
const steady = fc.constantFrom<Fault>('none', 'none', 'stage_answer', 'commit_answer', 'no_ack', 'no_ack', 'contact_after_commit');
const load = (who: number, weight: number, f: fc.Arbitrary<Fault>) => ({ weight, arbitrary: fc.record({ k: fc.constant('load' as const), who: fc.constant(who), n: fc.integer({ min: 1, max: 3 }), fault: f }) });
const reconnect = (who: number, weight: number) => ({ weight, arbitrary: fc.record({ k: fc.constant('reconnect' as const), who: fc.constant(who) }) });
// Laptop 0 loses contact often and comes back rarely; laptop 1 mostly keeps it: it makes far more
// than 32 loads while one of laptop 0's is unsettled.
const op = fc.oneof(load(0, 4, faults), load(1, 30, steady), reconnect(0, 1), reconnect(1, 3));

const open: EmuTransport[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.close();
});

async function boardWithLaptops(n: number, coinsEach: number, tag: string) {
  const t = await openEmu({ bundlePath: BUNDLE });
  open.push(t);
  const link = new BoardLink(t, { timeoutMs: 5000 });
  const laptops: Laptop[] = [];
  const all = new Set<string>();
  for (let k = 0; k < n; k++) laptops.push(new Laptop(new LossyLink(link)));
  for (let i = 0; i < n * coinsEach; i++) {
    const p = testProof(i, tag + (i % n));
    laptops[i % n].spendable.set(p.secret, p);
    all.add(p.secret);
  }
  const onBoard = () => new Set(loadProofs(t.pda.storage).map((p) => p.secret));
  return { t, link, laptops, all, onBoard };
}

describe('board load log under lost answers', () => {
  it('a log an earlier firmware kept (it evicted past 32) cannot vouch for an unknown tx: the coins stay moving', async () => {
    const { t, link } = await boardWithLaptops(1, 1, 'legacy');
    const old = [];
    for (let i = 0; i < 32; i++) old.push({ tx: (0x1000 + i).toString(16).padStart(16, '0'), hash: 'a'.repeat(64) });
    t.pda.storage.write('hood.wtx', JSON.stringify(old));
    const p = [testProof(1, 'legacy-x')];
    await expect(resolveLoad(link, '00000000000000ff', p)).rejects.toThrow(/cannot vouch/);
    // Its entries are still known as committed, and count against the limit until acknowledged.
    expect((await link.command({ cmd: 'wallet.status', tx: old[0].tx })).find((e) => e.ev === 'wallet.txstatus')).toMatchObject({ state: 'committed' });
    await expect(loadProofsToBoard(link, p)).rejects.toThrow(/wallet log full/);
    await ackLoads(link, [old[0].tx]);
    expect(t.pda.storage.read('hood.wtx')).toBeUndefined();
    await loadProofsToBoard(link, p);
    await expect(resolveLoad(link, '00000000000000ff', p)).rejects.toThrow(/cannot vouch/);
  });

  it('a load whose answer was lost is still known after 40 later loads: settled on the board, not duplicated', async () => {
    const { laptops, onBoard } = await boardWithLaptops(2, 50, 'evict');
    const [a, b] = laptops;
    await a.load(2, 'contact_after_commit');
    const lost = a.journal[0];
    expect(lost.state).toBe('moving');
    for (let i = 0; i < 40; i++) await b.load(1, i % 3 === 0 ? 'commit_answer' : 'none');
    expect(b.journal.every((e) => e.state === 'on-board')).toBe(true);
    await a.reconnect();
    expect(lost.state).toBe('on-board');
    const board = onBoard();
    for (const p of lost.proofs) {
      expect(board.has(p.secret)).toBe(true);
      expect(a.spendable.has(p.secret)).toBe(false);
    }
  });

  it('no coin is ever on both sides, and none is lost, over long random sequences', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 120, maxLength: 200 }), async (ops) => {
        const t = await openEmu({ bundlePath: BUNDLE });
        open.push(t);
        const link = new BoardLink(t, { timeoutMs: 5000 });
        const laptops = [new Laptop(new LossyLink(link)), new Laptop(new LossyLink(link))];
        const all = new Set<string>();
        for (let i = 0; i < 400; i++) {
          const p = testProof(i, 'r' + run + 'l' + (i % 2));
          laptops[i % 2].spendable.set(p.secret, p);
          all.add(p.secret);
        }
        run++;
        const onBoard = () => new Set(loadProofs(t.pda.storage).map((p) => p.secret));
        for (const o of ops) {
          const l = laptops[o.who];
          if (o.k === 'load') await l.load(o.n, o.fault);
          else await l.reconnect();
          const b = onBoard();
          for (const x of laptops) for (const s of x.spendable.keys()) expect(b.has(s)).toBe(false);
        }
        for (const l of laptops) await l.reconnect();
        const b = onBoard();
        const laptopCoins = new Set<string>();
        for (const l of laptops) {
          // Every load is settled: contact is back and the board log still knew every unacknowledged tx.
          expect(l.journal.filter((e) => e.state === 'moving')).toEqual([]);
          for (const s of l.spendable.keys()) laptopCoins.add(s);
          // What the laptop journals as on the board (its last move of each coin) is there; what came back is not.
          const last = new Map<string, Entry['state']>();
          for (const e of l.journal) for (const p of e.proofs) last.set(p.secret, e.state);
          for (const [secret, state] of last) expect(b.has(secret)).toBe(state === 'on-board');
        }
        for (const s of all) expect(Number(b.has(s)) + Number(laptopCoins.has(s))).toBe(1);
        expect(b.size + laptopCoins.size).toBe(all.size);
        await link.close();
      }),
      { numRuns: 12, endOnFailure: true },
    );
  }, 240_000);
});
