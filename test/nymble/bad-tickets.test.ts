/** Every bad ticket gets its own clear refusal at the MSS; random corruption of a good ticket is never accepted. */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTicket, encodeTicket } from '../../shared/src/nymble/ticket';
import type { Credential } from '../../host/nymble/nymble-manager';
import { nymbleWorld, type NymbleWorld } from './helpers';

let world: NymbleWorld;
let cred: Credential;
let other: Credential;
const now = { w: 4, t: 5 };

beforeAll(async () => {
  world = await nymbleWorld(['doug', 'erin']);
  const p = await world.pm.pseudonym(await world.account('bob'), now.w);
  cred = world.nm.credential(p, 'doug', now, 1);
  other = world.nm.credential(p, 'erin', now, 1);
});
afterAll(() => world.close());

const ticketAt = (t: number) => cred.tickets[t - 1];

describe('ticket refusals at the MSS', () => {
  it('accepts the current ticket once, then refuses it as replayed within the period', () => {
    const doug = world.servers.doug;
    expect(doug.check(ticketAt(5), now).ok).toBe(true);
    expect(doug.check(ticketAt(5), now)).toMatchObject({ ok: false, reason: 'replayed' });
    // A new period is a new ticket; the old one is now expired.
    const next = { w: 4, t: 6 };
    expect(doug.check(ticketAt(6), next).ok).toBe(true);
    expect(doug.check(ticketAt(5), next)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('refuses expired (earlier period or window), not yet valid, wrong MSS, forged and malformed tickets with distinct reasons', () => {
    const erin = world.servers.erin;
    const n = { w: 4, t: 7 };
    expect(erin.check(other.tickets[5], n)).toMatchObject({ ok: false, reason: 'expired' });
    expect(erin.check(other.tickets[6], { w: 5, t: 1 })).toMatchObject({ ok: false, reason: 'expired' });
    expect(erin.check(other.tickets[7], n)).toMatchObject({ ok: false, reason: 'not_yet_valid' });
    expect(erin.check(ticketAt(7), n)).toMatchObject({ ok: false, reason: 'wrong_mss' });
    const tk = decodeTicket(other.tickets[6]);
    const forgedMac = encodeTicket({ ...tk, macNS: new Uint8Array(32) });
    expect(erin.check(forgedMac, n)).toMatchObject({ ok: false, reason: 'forged' });
    // A ticket moved to another period keeps its MAC: forged, not accepted.
    const moved = encodeTicket({ ...decodeTicket(other.tickets[2]), t: 7 });
    expect(erin.check(moved, n)).toMatchObject({ ok: false, reason: 'forged' });
    // A different user's nymble under the right header: forged.
    const swapped = encodeTicket({ ...tk, nymble: new Uint8Array(32).fill(7) });
    expect(erin.check(swapped, n)).toMatchObject({ ok: false, reason: 'forged' });
    expect(erin.check(new Uint8Array(0), n)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(erin.check(other.tickets[6].subarray(0, 50), n)).toMatchObject({ ok: false, reason: 'malformed' });
    expect(erin.check(new Uint8Array([...other.tickets[6], 0]), n)).toMatchObject({ ok: false, reason: 'malformed' });
    // None of the refused tickets burned the real one.
    expect(erin.check(other.tickets[6], n).ok).toBe(true);
  });

  it('never accepts a randomly corrupted ticket (long random sequences of byte edits, truncations and extensions)', () => {
    const base = { w: 4, t: 9 };
    const good = ticketAt(9);
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: -20, max: 20 }),
        (edits, resize) => {
          let b = new Uint8Array(good);
          for (const e of edits) b[e.at % b.length] ^= e.xor;
          if (resize < 0) b = b.subarray(0, b.length + resize);
          else if (resize > 0) b = new Uint8Array([...b, ...new Uint8Array(resize).fill(resize)]);
          const r = world.servers.doug.check(b, base);
          expect(r.ok).toBe(false);
          if (!r.ok) expect(['malformed', 'forged', 'wrong_mss', 'expired', 'not_yet_valid']).toContain(r.reason);
        },
      ),
      { numRuns: 2000 },
    );
    expect(world.servers.doug.check(good, base).ok).toBe(true);
  });

  it('never crashes on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        const r = world.servers.doug.check(b, now);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});
