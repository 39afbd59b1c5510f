/** The PDA's check of the NM's signed, versioned blacklist before presenting a ticket (Extended Nymble §2.7). */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOwnStatus, decodeBlacklist, encodeBlacklist } from '../../shared/src/nymble/blacklist';
import type { Credential } from '../../host/nymble/nymble-manager';
import { nymbleWorld, type NymbleWorld } from './helpers';

let world: NymbleWorld;
let bob: Credential;
let carol: Credential;
const now = { w: 2, t: 3 };
const expectAt = (lastVersion = 0) => ({ sid: 'doug', w: now.w, t: now.t, lastVersion });

beforeAll(async () => {
  world = await nymbleWorld(['doug', 'erin']);
  bob = world.nm.credential(await world.pm.pseudonym(await world.account('bob'), now.w), 'doug', now, 1);
  carol = world.nm.credential(await world.pm.pseudonym(await world.account('carol'), now.w), 'doug', now, 1);
});
afterAll(() => world.close());

describe('blacklist status check on the PDA', () => {
  it('versions only grow: on a complaint and at a new window', () => {
    const v0 = decodeBlacklist(world.nm.blacklist('doug', now)).version;
    expect(checkOwnStatus(world.nm.blacklist('doug', now), world.nm.publicKey(), expectAt(), bob.nymbleStar)).toMatchObject({ ok: true, reason: 'clear' });
    world.nm.complain(bob.tickets[0], 'doug', now);
    const v1 = decodeBlacklist(world.nm.blacklist('doug', now)).version;
    expect(v1).toBeGreaterThan(v0);
    expect(checkOwnStatus(world.nm.blacklist('doug', now), world.nm.publicKey(), expectAt(v0), bob.nymbleStar)).toMatchObject({ ok: false, reason: 'blacklisted' });
    expect(checkOwnStatus(world.nm.blacklist('doug', now), world.nm.publicKey(), expectAt(v1), carol.nymbleStar)).toMatchObject({ ok: true });
  });

  it('refuses a rolled-back, stale, foreign, forged or malformed list with its own reason', () => {
    const pub = world.nm.publicKey();
    const cur = world.nm.blacklist('doug', now);
    const v = decodeBlacklist(cur).version;
    expect(checkOwnStatus(cur, pub, expectAt(v + 1), carol.nymbleStar)).toMatchObject({ ok: false, reason: 'rollback' });
    expect(checkOwnStatus(cur, pub, { ...expectAt(v), t: now.t + 1 }, carol.nymbleStar)).toMatchObject({ ok: false, reason: 'stale' });
    expect(checkOwnStatus(world.nm.blacklist('erin', now), pub, expectAt(), carol.nymbleStar)).toMatchObject({ ok: false, reason: 'wrong_mss' });
    // Dropping Bob's entry invalidates the signature: the MSS cannot hide a block from the user.
    const d = decodeBlacklist(cur);
    const stripped = encodeBlacklist({ ...d, entries: [] });
    expect(checkOwnStatus(stripped, pub, expectAt(), bob.nymbleStar)).toMatchObject({ ok: false, reason: 'bad_signature' });
    const otherKey = new Uint8Array(32).fill(9);
    expect(checkOwnStatus(cur, otherKey, expectAt(), carol.nymbleStar).ok).toBe(false);
    expect(checkOwnStatus(new Uint8Array(3), pub, expectAt(), carol.nymbleStar)).toMatchObject({ ok: false, reason: 'malformed' });
    // A count that claims more entries than the bytes hold is refused before any allocation.
    const huge = new Uint8Array(cur);
    const countAt = 4 + 'doug'.length + 4 + 2 + 4 + 1;
    huge.set([0, 0x0f, 0xff, 0xff], countAt);
    expect(checkOwnStatus(huge, pub, expectAt(), carol.nymbleStar)).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it('no random corruption of a signed list is accepted (long random edit sequences)', () => {
    const pub = world.nm.publicKey();
    const cur = world.nm.blacklist('doug', now);
    const v = decodeBlacklist(cur).version;
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 6 }), fc.integer({ min: -40, max: 40 }), (edits, resize) => {
        let b = new Uint8Array(cur);
        for (const e of edits) b[e.at % b.length] ^= e.xor;
        if (resize < 0) b = b.subarray(0, b.length + resize);
        else if (resize > 0) b = new Uint8Array([...b, ...new Uint8Array(resize)]);
        const r = checkOwnStatus(b, pub, expectAt(v), carol.nymbleStar);
        expect(r.ok).toBe(false);
        expect(['malformed', 'bad_signature']).toContain(r.reason);
      }),
      { numRuns: 300 },
    );
  });

  it('at a new window an expired block leaves the list and the version still grows; the old window is closed', () => {
    const v1 = decodeBlacklist(world.nm.blacklist('doug', now)).version;
    const next = { w: 3, t: 1 };
    const bl = decodeBlacklist(world.nm.blacklist('doug', next));
    expect(bl.entries).toHaveLength(0);
    expect(bl.version).toBeGreaterThan(v1);
    expect(() => world.nm.blacklist('doug', now)).toThrow(/window 2 is over/);
  });
});
