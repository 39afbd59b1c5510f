/**
 * The JOIN ephemeral key computed while idle (firmware/src/precompute.ts) and its use by sealJoin
 * (shared/src/protocol/cells.ts): handed out once, wiped on use and on discard, never filled by a
 * computation that was cancelled, and the MSS opens a JOIN sealed with it.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { JoinKeyPool, joinKeys, IDLE_DELAY_MS, BOOT_DELAY_MS } from '../../firmware/src/precompute';
import type { Board } from '../../firmware/src/board';
import { sealJoin, openJoin, decodeCellHeader } from '../../shared/src/protocol/cells';
import { DEFAULT_CELL_SIZE, MSG_JOIN } from '../../shared/src/protocol/constants';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { isAllZero, toHex } from '../../shared/src/bytes';

/** A board with a manual clock and a recording RNG (every buffer it handed out). */
function fakeBoard() {
  const timers: { fn: () => void; ms: number }[] = [];
  const handed: Uint8Array[] = [];
  const board = {
    clock: {
      now: () => 0,
      setTimeout: (fn: () => void, ms: number) => timers.push({ fn, ms }),
      clearTimeout: () => {},
    },
    random: (n: number) => {
      const b = new Uint8Array(randomBytes(n));
      handed.push(b);
      return b;
    },
  } as unknown as Board;
  const runTimers = () => {
    const due = timers.splice(0, timers.length);
    for (const t of due) t.fn();
    return due.length;
  };
  return { board, timers, handed, runTimers };
}

function joinMsg() {
  return { type: MSG_JOIN, kbd: randomBytes(32), tmpMac: new Uint8Array([2, 1, 2, 3, 4, 5]), joinNonce: randomBytes(16), beaconNonce: randomBytes(8) } as const;
}

describe('JoinKeyPool (precomputed JOIN ephemeral key)', () => {
  it('computes in a later turn of the event loop, from the board RNG, and hands the pair out once', () => {
    const f = fakeBoard();
    const pool = new JoinKeyPool(f.board);
    pool.prepare();
    expect(pool.ready()).toBe(false); // nothing computed inside the caller's turn
    expect(f.timers.map((t) => t.ms)).toEqual([IDLE_DELAY_MS]);
    pool.prepare(); // already on its way: no second timer
    expect(f.timers.length).toBe(1);
    f.runTimers();
    expect(pool.ready()).toBe(true);
    expect(f.handed.length).toBe(1);
    const e = pool.take();
    expect(e.secret).toBe(f.handed[0]);
    expect(toHex(e.publicKey!)).toBe(toHex(x25519Base(e.secret)));
    expect(pool.ready()).toBe(false);
    // Taken again: never the same secret; fresh randomness and no public key (sealJoin computes it).
    const again = pool.take();
    expect(again.publicKey).toBe(null);
    expect(toHex(again.secret)).not.toBe(toHex(e.secret));
    expect(again.secret).toBe(f.handed[1]);
  });

  it('discard() overwrites an unused pair and cancels a computation not yet run', () => {
    const f = fakeBoard();
    const pool = new JoinKeyPool(f.board);
    pool.prepare();
    f.runTimers();
    const held = f.handed[0];
    expect(isAllZero(held)).toBe(false);
    pool.discard();
    expect(isAllZero(held)).toBe(true);
    expect(pool.ready()).toBe(false);
    expect(pool.take().publicKey).toBe(null); // nothing left to hand out
    // Scheduled, then discarded before it ran: the stale timer must not fill the pool.
    pool.prepare();
    pool.discard();
    const before = f.handed.length;
    f.runTimers();
    expect(pool.ready()).toBe(false);
    expect(f.handed.length).toBe(before);
    // ... and a new prepare() after a discard works again.
    pool.prepare();
    f.runTimers();
    expect(pool.ready()).toBe(true);
  });

  it('take() cancels a computation not yet run (none runs during the session that took)', () => {
    const f = fakeBoard();
    const pool = new JoinKeyPool(f.board);
    pool.prepare(BOOT_DELAY_MS); // as at boot
    expect(f.timers.map((t) => t.ms)).toEqual([BOOT_DELAY_MS]);
    const e = pool.take(); // a session started before the idle computation ran
    expect(e.publicKey).toBe(null);
    expect(f.handed.length).toBe(1); // only take()'s own draw
    f.runTimers();
    expect(f.handed.length).toBe(1); // the cancelled computation drew nothing
    expect(pool.ready()).toBe(false);
    pool.prepare(); // the wipe schedules the next one as usual
    f.runTimers();
    expect(pool.ready()).toBe(true);
  });

  it('random sequences of prepare/run/take/discard: each pair handed out at most once, never computed during a session, discarded pairs wiped', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('prepare', 'run', 'take', 'discard'), { minLength: 1, maxLength: 60 }), (ops) => {
        const f = fakeBoard();
        const pool = new JoinKeyPool(f.board);
        const given = new Set<Uint8Array>();
        let inSession = false;
        for (const op of ops) {
          if (op === 'prepare') {
            inSession = false; // prepare() is called when idle: at boot or after a wipe
            pool.prepare();
          } else if (op === 'run') {
            const before = f.handed.length;
            f.runTimers();
            // Nothing is drawn by an idle computation once a session has taken its pair.
            if (inSession) expect(f.handed.length).toBe(before);
          } else if (op === 'take') {
            const held = pool.ready();
            const e = pool.take();
            expect(given.has(e.secret)).toBe(false);
            given.add(e.secret);
            expect(e.publicKey === null).toBe(!held);
            if (e.publicKey) expect(toHex(e.publicKey)).toBe(toHex(x25519Base(e.secret)));
            inSession = true;
          } else {
            pool.discard();
            // Every drawn secret that was not handed out is overwritten.
            for (const b of f.handed) if (!given.has(b)) expect(isAllZero(b)).toBe(true);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('joinKeys(board): one pool per board; a new board discards the old pool (no carry-over)', () => {
    const a = fakeBoard();
    const b = fakeBoard();
    const pa = joinKeys(a.board);
    expect(joinKeys(a.board)).toBe(pa);
    pa.prepare();
    a.runTimers();
    const held = a.handed[0];
    const pb = joinKeys(b.board);
    expect(pb).not.toBe(pa);
    expect(isAllZero(held)).toBe(true);
    expect(pa.ready()).toBe(false);
  });
});

describe('sealJoin with a precomputed ephemeral key', () => {
  const boxSecret = new Uint8Array(randomBytes(32));
  const boxKey = x25519Base(boxSecret);

  it('the MSS opens it, the cell carries the precomputed epk, and the secret is wiped', () => {
    const f = fakeBoard();
    const pool = new JoinKeyPool(f.board);
    pool.prepare();
    f.runTimers();
    const e = pool.take();
    const epk = new Uint8Array(e.publicKey!);
    const msg = joinMsg();
    const cell = sealJoin(boxKey, msg, DEFAULT_CELL_SIZE, e.secret, e.publicKey).cell;
    expect(cell.length).toBe(DEFAULT_CELL_SIZE);
    expect(isAllZero(e.secret)).toBe(true); // wiped on use
    const h = decodeCellHeader(cell, DEFAULT_CELL_SIZE);
    expect(h.kind === 1 && toHex(h.epk)).toBe(toHex(epk));
    const opened = openJoin(boxSecret, boxKey, cell, DEFAULT_CELL_SIZE);
    expect(toHex(opened.msg.kbd)).toBe(toHex(msg.kbd));
  });

  it('without a precomputed key (publicKey null) it still computes epk itself', () => {
    const secret = new Uint8Array(randomBytes(32));
    const epk = x25519Base(secret);
    const cell = sealJoin(boxKey, joinMsg(), DEFAULT_CELL_SIZE, secret, null).cell;
    const h = decodeCellHeader(cell, DEFAULT_CELL_SIZE);
    expect(h.kind === 1 && toHex(h.epk)).toBe(toHex(epk));
    expect(isAllZero(secret)).toBe(true);
    expect(() => openJoin(boxSecret, boxKey, cell, DEFAULT_CELL_SIZE)).not.toThrow();
  });

  it('an epk that does not belong to the secret gives a JOIN the MSS rejects (bad_seal)', () => {
    const secret = new Uint8Array(randomBytes(32));
    const wrong = x25519Base(new Uint8Array(randomBytes(32)));
    const cell = sealJoin(boxKey, joinMsg(), DEFAULT_CELL_SIZE, secret, wrong).cell;
    expect(() => openJoin(boxSecret, boxKey, cell, DEFAULT_CELL_SIZE)).toThrow(/bad_seal/);
  });
});
