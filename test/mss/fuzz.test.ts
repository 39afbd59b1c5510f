/**
 * Property-based fuzzing of the MSS cell handler: whatever arrives on the uplink topic — random bytes,
 * truncated/extended/bit-flipped valid cells, replays — the handler never throws, counts a rejection,
 * and leaves every session exactly as it was.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MSG_DATA, PROTOCOL_VERSION, KIND_SESSION, KIND_JOIN } from '../../shared/src/protocol/constants';
import { RefPda, makeCore, rnd } from '../helpers/mss-fixture';

function snapshot(f: ReturnType<typeof makeCore>) {
  return f.core.sessions
    .all()
    .map((s) => JSON.stringify({ id: s.tmpId, mac: s.tmpMac, d: s.downSeq, l: s.lastSeenAt, up: s.cellsUp, w: (s.upWindow as any).top, b: (s.upWindow as any).bits }))
    .sort()
    .join('|');
}

function totalRejected(f: ReturnType<typeof makeCore>): number {
  return Object.values(f.core.stats.rejected).reduce((a, b) => a + b, 0);
}

describe('fuzzing the MSS cell handler', () => {
  const f = makeCore();
  const a = new RefPda(f);
  f.core.handleUp(a.joinCell());
  // A second JOIN with a's K_BD (from another PDA, so a keeps its keys): answered once (RENEW), a replay after.
  const valid: Uint8Array[] = [new RefPda(f).joinCell({ kbd: a.kbd }), a.cell({ type: MSG_DATA, channel: 0, payload: rnd(20) }), a.cell({ type: MSG_DATA, channel: 0, payload: rnd(200) })];
  // Make the valid session cells "already seen" so their exact replays are rejected too.
  for (const c of valid.slice(1)) f.core.handleUp(c);
  const replayJoin = valid[0];
  f.core.handleUp(replayJoin);
  f.out.length = 0;

  const mutated = fc.tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'truncate', 'extend', 'version', 'kind')).map(([c, i, v, how]) => {
    const x = c.slice();
    const at = i % x.length;
    if (how === 'flip') x[at] ^= v;
    else if (how === 'truncate') return x.slice(0, at);
    else if (how === 'extend') {
      const y = new Uint8Array(x.length + 1 + (i % 64));
      y.set(x);
      y[x.length] = v;
      return y;
    } else if (how === 'version') x[0] = (PROTOCOL_VERSION + v) & 255 || 2;
    else x[1] = [0, 3, 4, 255][i % 4];
    return x;
  });
  const randomCells = fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 1200 }),
    fc.uint8Array({ minLength: 512, maxLength: 512 }),
    fc.uint8Array({ minLength: 510, maxLength: 510 }).map((b) => Uint8Array.from([PROTOCOL_VERSION, KIND_SESSION, ...b])),
    fc.uint8Array({ minLength: 510, maxLength: 510 }).map((b) => Uint8Array.from([PROTOCOL_VERSION, KIND_JOIN, ...b])),
  );

  it('never throws, always rejects, never changes session state', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, randomCells, fc.constantFrom(...valid)), (cell) => {
        const before = snapshot(f);
        const rejectedBefore = totalRejected(f);
        const r = f.core.handleUp(cell);
        expect(r.ok).toBe(false);
        expect(totalRejected(f)).toBe(rejectedBefore + 1);
        expect(snapshot(f)).toBe(before);
        expect(f.core.sessions.size).toBe(1);
        expect(f.out).toHaveLength(0);
      }),
      { numRuns: 1500 },
    );
    // The session still works after all that.
    f.core.handleUp(a.cell({ type: MSG_DATA, channel: 0, payload: rnd(5) }));
    expect(a.inbox().map((m) => m.type)).toEqual([MSG_DATA]);
    expect(f.core.stats.rejected.internal_error).toBeUndefined();
  });

  it('rejects non-byte input (a broken transport) without throwing', () => {
    for (const x of [null, undefined, 'abc', 42, {}, [1, 2, 3]]) expect(f.core.handleUp(x)).toEqual({ ok: false, reason: 'not_bytes' });
  });
});
