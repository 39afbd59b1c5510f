/** The whole Extended Nymble flow: pseudonym, credential, ticket at two MSSs, complaint, linking, rating, carry-over, blacklist notice. */
import { afterEach, describe, expect, it } from 'vitest';
import { checkOwnStatus } from '../../shared/src/nymble/blacklist';
import { decodeTicket } from '../../shared/src/nymble/ticket';
import { NymbleError } from '../../host/nymble/errors';
import { INITIAL_RATING, blockWindows, nextRating } from '../../host/nymble/rating';
import { nymbleWorld, type NymbleWorld } from './helpers';

let world: NymbleWorld | null = null;
afterEach(() => {
  world?.close();
  world = null;
});

const at = (w: number, t: number) => ({ w, t });

describe('Extended Nymble flow', () => {
  it('links a complained user at every MSS for the rest of the window, leaves others alone, and the PDA sees it first', async () => {
    world = await nymbleWorld(['doug', 'erin']);
    const { pm, nm, servers } = world;
    const bob = await world.account('bob');
    const carol = await world.account('carol');
    const now = at(3, 2);
    const pBob = await pm.pseudonym(bob, now.w);
    const pCarol = await pm.pseudonym(carol, now.w);
    // Same resource, same window: the same pseudonym (one account, one pseudonym per window).
    expect(Buffer.from((await pm.pseudonym(bob, now.w)).nym)).toEqual(Buffer.from(pBob.nym));
    const bobDoug = nm.credential(pBob, 'doug', now);
    const bobErin = nm.credential(pBob, 'erin', now);
    const carolDoug = nm.credential(pCarol, 'doug', now);
    expect(bobDoug.tickets).toHaveLength(world.time.periodsPerWindow - now.t + 1);

    const first = servers.doug.check(bobDoug.tickets[0], now, 'tmp-bob-1');
    expect(first.ok).toBe(true);
    expect(await pm.ratingOf(bob)).toBe(INITIAL_RATING);

    // Doug complains later in the window, from his own session record.
    const later = at(3, 4);
    const ticket = servers.doug.ticketOf('tmp-bob-1', later)!;
    expect(nm.complain(ticket, 'doug', later)).toEqual({ linkedFrom: later });
    // Every MSS gets the same kind of message at the same time: a token (seq, w, t, seed), no complainer, no reason.
    const toDoug = nm.linkingTokens('doug', later, servers.doug.tokenSeq);
    const toErin = nm.linkingTokens('erin', later, servers.erin.tokenSeq);
    expect(toDoug).toHaveLength(1);
    expect(toErin).toHaveLength(1);
    expect(Object.keys(toDoug[0]).sort()).toEqual(['seed', 'seq', 't', 'w']);
    expect(Object.keys(toErin[0]).sort()).toEqual(['seed', 'seq', 't', 'w']);
    expect([toDoug[0].w, toDoug[0].t]).toEqual([toErin[0].w, toErin[0].t]);
    expect(Buffer.from(toDoug[0].seed)).not.toEqual(Buffer.from(toErin[0].seed));
    world.sync('doug', later);
    world.sync('erin', later);
    expect(await pm.ratingOf(bob)).toBe(nextRating(INITIAL_RATING, 1));

    const idx = (c: typeof bobDoug, t: number) => c.tickets[t - c.firstPeriod];
    // Backward unlinkability: tickets of periods before the complaint (t = 2, 3) stay unlinked, from t_c = 4 on linked.
    const nymbleAt = (c: typeof bobDoug, t: number) => decodeTicket(idx(c, t)).nymble;
    expect([2, 3, 4, 5].map((t) => servers.doug.isLinked(nymbleAt(bobDoug, t)))).toEqual([false, false, true, true]);
    expect([2, 3, 4].map((t) => servers.erin.isLinked(nymbleAt(bobErin, t)))).toEqual([false, false, true]);
    expect(servers.doug.check(idx(bobDoug, 4), later)).toMatchObject({ ok: false, reason: 'linked' });
    expect(servers.erin.check(idx(bobErin, 4), later)).toMatchObject({ ok: false, reason: 'linked' });
    expect(servers.doug.check(idx(carolDoug, 4), later)).toMatchObject({ ok: true });
    const end = at(3, world.time.periodsPerWindow);
    world.sync('doug', end);
    expect(servers.doug.check(idx(bobDoug, end.t), end)).toMatchObject({ ok: false, reason: 'linked' });

    // Notice before presenting: the signed blacklist names Bob's nymble* at both MSSs, not Carol's.
    const pub = nm.publicKey();
    const blDoug = nm.blacklist('doug', later);
    expect(checkOwnStatus(blDoug, pub, { sid: 'doug', ...later, lastVersion: 0 }, bobDoug.nymbleStar)).toMatchObject({ ok: false, reason: 'blacklisted' });
    expect(checkOwnStatus(nm.blacklist('erin', later), pub, { sid: 'erin', ...later, lastVersion: 0 }, bobErin.nymbleStar)).toMatchObject({ ok: false, reason: 'blacklisted' });
    expect(checkOwnStatus(blDoug, pub, { sid: 'doug', ...later, lastVersion: 0 }, carolDoug.nymbleStar)).toMatchObject({ ok: true, reason: 'clear' });
  });

  it('first offence blocks only the rest of the window; a second offence carries the block into later windows', async () => {
    world = await nymbleWorld(['doug', 'erin']);
    const { pm, nm, servers } = world;
    const bob = await world.account('bob');
    const complainAt = async (w: number) => {
      const p = await pm.pseudonym(bob, w);
      const c = nm.credential(p, 'doug', at(w, 1));
      expect(servers.doug.check(c.tickets[0], at(w, 1), 's' + w).ok).toBe(true);
      nm.complain(servers.doug.ticketOf('s' + w, at(w, 2))!, 'doug', at(w, 2));
    };
    const presents = async (w: number, sid: string) => {
      const p = await pm.pseudonym(bob, w);
      world!.sync(sid, at(w, 1));
      return servers[sid].check(nm.credential(p, sid, at(w, 1)).tickets[0], at(w, 1));
    };
    await complainAt(5);
    expect(blockWindows(await pm.ratingOf(bob))).toBe(1);
    expect(await presents(6, 'erin')).toMatchObject({ ok: true });
    await complainAt(6);
    const rating = await pm.ratingOf(bob);
    expect(rating).toBe(7);
    expect(blockWindows(rating)).toBe(3);
    expect(await presents(7, 'erin')).toMatchObject({ ok: false, reason: 'linked' });
    expect(await presents(8, 'doug')).toMatchObject({ ok: false, reason: 'linked' });
    expect(await presents(9, 'doug')).toMatchObject({ ok: true });
  });

  it('complaints and credentials with bad input get clear refusals', async () => {
    world = await nymbleWorld(['doug', 'erin']);
    const { pm, nm, servers } = world;
    const bob = await world.account('bob');
    const now = at(2, 3);
    const p = await pm.pseudonym(bob, now.w);
    const refusal = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(NymbleError);
        return (e as NymbleError).reason;
      }
      return 'no refusal';
    };
    expect(refusal(() => nm.credential({ ...p, mac: new Uint8Array(32) }, 'doug', now))).toBe('forged');
    expect(refusal(() => nm.credential(p, 'nobody', now))).toBe('unknown_mss');
    // Names of Object.prototype are not MSSs, sessions or resources.
    for (const name of ['__proto__', 'constructor', 'toString']) {
      expect(refusal(() => nm.credential(p, name, now))).toBe('unknown_mss');
      expect(servers.doug.ticketOf(name, now)).toBeNull();
    }
    expect(refusal(() => nm.registerMss('__proto__'))).toBe('unknown_mss');
    expect(refusal(() => nm.registerMss('../etc'))).toBe('unknown_mss');
    await expect(pm.pseudonym('hoodacct_0000000000000000_' + 'A'.repeat(43), 2)).rejects.toMatchObject({ reason: 'unknown_resource' });
    const c = nm.credential(p, 'doug', now);
    expect(refusal(() => nm.complain(new Uint8Array([1, 2, 3]), 'doug', now))).toBe('malformed');
    expect(refusal(() => nm.complain(c.tickets[0], 'erin', now))).toBe('wrong_mss');
    const bad = new Uint8Array(c.tickets[0]);
    bad[bad.length - 40] ^= 1; // inside macN
    expect(refusal(() => nm.complain(bad, 'doug', now))).toBe('forged');
    expect(refusal(() => nm.complain(c.tickets[2], 'doug', now))).toBe('not_yet_valid');
    expect(refusal(() => nm.complain(c.tickets[0], 'doug', at(3, 1)))).toBe('wrong_window');
    // A pseudonym of window 2 in window 3, and anything for window 2 once window 3 began.
    expect(refusal(() => nm.credential(p, 'doug', at(3, 1)))).toBe('wrong_window');
    expect(refusal(() => nm.credential(p, 'doug', now))).toBe('wrong_window');
    expect(servers.doug.linkedEntries).toBe(0);
  });

  it('state survives a restart of the PM, NM and MSS', async () => {
    world = await nymbleWorld(['doug']);
    const bob = await world.account('bob');
    const now = at(1, 1);
    const p = await world.pm.pseudonym(bob, 1);
    const c = world.nm.credential(p, 'doug', now);
    expect(world.servers.doug.check(c.tickets[0], now, 'x').ok).toBe(true);
    world.nm.complain(c.tickets[0], 'doug', at(1, 2));
    world.sync('doug', at(1, 2));
    world.servers.doug.flush();
    const { NymbleServer } = await import('../../host/nymble/server');
    const { PseudonymManager, bankAccountResource } = await import('../../host/nymble/pseudonym-manager');
    const { NymbleManager } = await import('../../host/nymble/nymble-manager');
    const { join } = await import('node:path');
    const pm2 = PseudonymManager.open(join(world.dir, 'pm'), bankAccountResource(world.store));
    const nm2 = NymbleManager.open(join(world.dir, 'nm'), { macKeyNP: pm2.sharedMacKey(), pm: pm2, time: world.time });
    expect(Buffer.from(nm2.publicKey())).toEqual(Buffer.from(world.nm.publicKey()));
    const doug2 = new NymbleServer('doug', nm2.registerMss('doug'), world.time, join(world.dir, 'mss-doug'));
    expect(doug2.check(c.tickets[2], at(1, 3))).toMatchObject({ ok: false, reason: 'linked' });
    expect(doug2.ticketOf('x', at(1, 3))).not.toBeNull();
    expect(await pm2.ratingOf(bob)).toBe(9);
  });
});
