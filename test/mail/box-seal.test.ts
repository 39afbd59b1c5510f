/**
 * host/mail/box-seal.ts: entries sealed to a box's public key after a restart open only with that box's key
 * and id; any altered byte, another box, or a low-order ephemeral key gives null, never an exception.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boxSealPublic, openFromBox, sealToBox } from '../../host/mail/box-seal';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array | null) => (b ? Buffer.from(b).toString('hex') : null);

describe('box seal', () => {
  it('round-trips, and only for the box it was sealed to', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 2000 }), (secret, age) => {
        const b = deriveBox(secret);
        const e = sealToBox(boxSealPublic(b.boxKey), b.boxId, age);
        expect(hex(openFromBox(b.boxKey, b.boxId, e))).toBe(hex(age));
        const other = deriveBox(rnd(32));
        expect(openFromBox(other.boxKey, b.boxId, e)).toBeNull();
        expect(openFromBox(b.boxKey, other.boxId, e)).toBeNull();
      }),
      { numRuns: 100 },
    );
  });

  it('long random bit flips and truncations never open', () => {
    const b = deriveBox(rnd(32));
    const age = rnd(300);
    const e = sealToBox(boxSealPublic(b.boxKey), b.boxId, age);
    fc.assert(
      fc.property(fc.array(fc.nat(e.length * 8 - 1), { minLength: 1, maxLength: 6 }), fc.nat(e.length), (bits, cut) => {
        const bad = e.slice();
        for (const x of bits) bad[x >> 3] ^= 1 << (x & 7);
        fc.pre(Buffer.compare(Buffer.from(bad), Buffer.from(e)) !== 0);
        expect(openFromBox(b.boxKey, b.boxId, bad)).toBeNull();
        if (cut < e.length) expect(openFromBox(b.boxKey, b.boxId, e.subarray(0, cut))).toBeNull();
      }),
      { numRuns: 500 },
    );
    // A low-order ephemeral key (all zeros) is refused, not used.
    const zero = e.slice();
    zero.fill(0, 0, 32);
    expect(openFromBox(b.boxKey, b.boxId, zero)).toBeNull();
  });
});
