/**
 * Nymble at a real MSS core (host/mss/core.ts) over sealed cells from a protocol-level PDA: no ticket,
 * no mail; a good ticket opens the session and is filed for complaints; after a complaint at one MSS
 * the user's next ticket is refused at that MSS and at a second one, while another user is unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG_BYE, MSG_DATA } from '../../shared/src/protocol/constants';
import { BYE_NYMBLE, CHANNEL_NYMBLE, CHANNEL_NYMBLE_ANSWER, NYMBLE_OK, NYMBLE_STATUS, decodeNymbleAnswer } from '../../shared/src/nymble/channel';
import { silentLogger } from '../../host/common/log';
import type { Service } from '../../host/mss/core';
import type { Credential } from '../../host/nymble/nymble-manager';
import { NymbleService } from '../../host/nymble/mss-service';
import { epochAt } from '../../host/nymble/time';
import { RefPda, makeCore, type CoreFixture } from '../helpers/mss-fixture';
import { nymbleWorld, type NymbleWorld } from './helpers';

const MAIL_LIKE = 0x20;
let world: NymbleWorld;

beforeAll(async () => {
  world = await nymbleWorld(['doug', 'erin'], { periodMs: 60_000, periodsPerWindow: 10 });
});
afterAll(() => world.close());

function mss(sid: string): { f: CoreFixture; svc: NymbleService; served: string[] } {
  const f = makeCore({ mssId: sid, idleTimeoutSec: 100000, maxSessionSec: 100000 });
  const served: string[] = [];
  const mailLike: Service = { channel: MAIL_LIKE, onData: (ctx) => served.push(ctx.tmpId) };
  const svc = new NymbleService({
    server: world.servers[sid],
    tokens: (now, since) => world.nm.linkingTokens(sid, now, since),
    log: silentLogger(),
    graceMs: 5000,
    now: () => f.clock.t,
  });
  f.core.addService(svc);
  f.core.addService(mailLike);
  return { f, svc, served };
}

function join(f: CoreFixture): { p: RefPda; tmpId: string } {
  const p = new RefPda(f);
  const r = f.core.handleUp(p.joinCell());
  expect(r.ok).toBe(true);
  p.inbox();
  return { p, tmpId: (r as { tmpId: string }).tmpId };
}

function present(f: CoreFixture, p: RefPda, ticket: Uint8Array) {
  f.core.handleUp(p.cell({ type: MSG_DATA, channel: CHANNEL_NYMBLE, payload: ticket }));
  const answers = p.inbox().filter((m) => m.type === MSG_DATA && m.channel === CHANNEL_NYMBLE_ANSWER);
  expect(answers).toHaveLength(1);
  return decodeNymbleAnswer((answers[0] as { payload: Uint8Array }).payload);
}

const ticketFor = (c: Credential, t: number) => c.tickets[t - c.firstPeriod];

describe('Nymble service at the MSS core', () => {
  it('gates the session on a ticket, files it, and refuses the complained user at both MSSs', async () => {
    const doug = mss('doug');
    const erin = mss('erin');
    erin.f.clock.t = doug.f.clock.t;
    const now = epochAt(world.time, doug.f.clock.t);
    const bobToken = await world.account('bob');
    const bob = world.nm.credential(await world.pm.pseudonym(bobToken, now.w), 'doug', now);
    const daveErin = world.nm.credential(await world.pm.pseudonym(await world.account('dave'), now.w), 'erin', now);
    const carol = world.nm.credential(await world.pm.pseudonym(await world.account('carol'), now.w), 'doug', now);

    const s1 = join(doug.f);
    // No ticket yet: the mail-like channel is closed.
    expect(doug.f.core.handleUp(s1.p.cell({ type: MSG_DATA, channel: MAIL_LIKE, payload: new Uint8Array([1]) }))).toMatchObject({ ok: false });
    expect(present(doug.f, s1.p, new Uint8Array([1, 2, 3]))).toMatchObject({ status: NYMBLE_STATUS.malformed });
    expect(present(doug.f, s1.p, ticketFor(bob, now.t))).toMatchObject({ status: NYMBLE_OK });
    expect(present(doug.f, s1.p, ticketFor(bob, now.t))).toMatchObject({ status: NYMBLE_STATUS.already_presented });
    doug.f.core.handleUp(s1.p.cell({ type: MSG_DATA, channel: MAIL_LIKE, payload: new Uint8Array([1]) }));
    expect(doug.served).toEqual([s1.tmpId]);

    // The same ticket in a second session of the same period: replayed.
    const s2 = join(doug.f);
    expect(present(doug.f, s2.p, ticketFor(bob, now.t))).toMatchObject({ status: NYMBLE_STATUS.replayed });

    // Doug complains from his session record; next period Bob is refused at Doug and at Erin.
    world.nm.complain(world.servers.doug.ticketOf(s1.tmpId, now)!, 'doug', now);
    doug.f.clock.t += world.time.periodMs;
    erin.f.clock.t += world.time.periodMs;
    const next = epochAt(world.time, doug.f.clock.t);
    expect(next.w).toBe(now.w);
    const s3 = join(doug.f);
    const refused = present(doug.f, s3.p, ticketFor(bob, next.t));
    expect(refused.status).toBe(NYMBLE_STATUS.linked);
    expect(refused.text).toMatch(/blacklisted/);
    // Bob's credential for Erin (never used there before) is linked too; Dave at Erin is not.
    const bobAtErin = world.nm.credential(await world.pm.pseudonym(bobToken, next.w), 'erin', next);
    expect(present(erin.f, join(erin.f).p, ticketFor(bobAtErin, next.t)).status).toBe(NYMBLE_STATUS.linked);
    expect(present(erin.f, join(erin.f).p, ticketFor(daveErin, next.t)).status).toBe(NYMBLE_OK);
    const carolNext = join(doug.f);
    expect(present(doug.f, carolNext.p, ticketFor(carol, next.t)).status).toBe(NYMBLE_OK);

    // A session that never gets a ticket accepted ends with BYE_NYMBLE after its grace time.
    doug.f.clock.t += 6000;
    doug.f.core.tick();
    const bye = s3.p.inbox().filter((m) => m.type === MSG_BYE);
    expect(bye).toEqual([{ type: MSG_BYE, reason: BYE_NYMBLE }]);
    expect(carolNext.p.inbox().filter((m) => m.type === MSG_BYE)).toEqual([]);
    expect(doug.svc.stats.refused).toMatchObject({ malformed: 1, replayed: 1, linked: 1 });
  });
});
