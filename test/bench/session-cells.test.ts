/**
 * The load generator's native SESSION cells (host/bench/session-cells.ts) are byte for byte the protocol's
 * (shared sealSession/openSession, docs/protocol.md §3.2), and opening refuses every cell that is not one.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DIR_DOWN, DIR_UP, openSession, sealSession, sessionCapacity } from '../../shared/src/protocol/cells';
import { CHANNEL_ECHO, MSG_DATA } from '../../shared/src/protocol/constants';
import { encodeMessage, maxDataPayload } from '../../shared/src/protocol/messages';
import { openSessionNative, sealSessionNative } from '../../host/bench/session-cells';

const CELL = 512;
const cap = sessionCapacity(CELL);
const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

describe('bench session cells (node:crypto)', () => {
  it('seal what sealSession seals and open what it opens, for any key, tag, seq, direction and payload', () => {
    fc.assert(
      fc.property(bytes(32), bytes(16), fc.nat({ max: 0xffffffff }), fc.constantFrom(DIR_UP, DIR_DOWN), fc.uint8Array({ maxLength: maxDataPayload(cap) }), (key, tag, seq, dir, payload) => {
        const m = { type: MSG_DATA, channel: CHANNEL_ECHO, payload } as const;
        const ours = sealSessionNative(key, tag, seq, dir, encodeMessage(m, cap));
        const theirs = sealSession(key, tag, seq, dir, m, CELL);
        expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
        expect(openSession(key, ours, seq, dir)).toEqual(m);
        expect(Buffer.from(openSessionNative(key, theirs, dir, CELL)!).equals(Buffer.from(encodeMessage(m, cap)))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('refuse any flipped bit, wrong key, wrong direction, wrong size or JOIN-shaped cell', () => {
    const key = new Uint8Array(32).fill(7);
    const cell = sealSessionNative(key, new Uint8Array(16).fill(1), 42, DIR_UP, encodeMessage({ type: MSG_DATA, channel: 0, payload: new Uint8Array(10) }, cap));
    expect(openSessionNative(key, cell, DIR_UP, CELL)).not.toBeNull();
    fc.assert(
      fc.property(fc.nat({ max: CELL * 8 - 1 }), (bit) => {
        const bad = Buffer.from(cell);
        bad[bit >> 3] ^= 1 << (bit & 7);
        expect(openSessionNative(key, bad, DIR_UP, CELL)).toBeNull();
      }),
      { numRuns: 500 },
    );
    expect(openSessionNative(new Uint8Array(32).fill(8), cell, DIR_UP, CELL)).toBeNull();
    expect(openSessionNative(key, cell, DIR_DOWN, CELL)).toBeNull();
    expect(openSessionNative(key, cell.subarray(0, CELL - 1), DIR_UP, CELL)).toBeNull();
    expect(openSessionNative(key, Buffer.concat([cell, Buffer.alloc(1)]), DIR_UP, CELL)).toBeNull();
    expect(openSessionNative(key, new Uint8Array(0), DIR_UP, CELL)).toBeNull();
    fc.assert(
      fc.property(bytes(CELL), (junk) => {
        expect(openSessionNative(key, junk, DIR_UP, CELL)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});
