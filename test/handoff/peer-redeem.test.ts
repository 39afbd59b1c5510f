/**
 * Redeeming a ticket at its issuer (docs/handoff.md §3), with two MSS cores and the issuer's side called
 * directly: the hand-off is atomic (the session ends at the issuer only when the ticket is spent for the
 * member that asked); an answer lost on the way (the issuer committed, the member saw a time-out) leaves
 * the PDA's RESUME unanswered, and its retry gets the same session; another member, or the same one too
 * late, is refused. An issuer that cannot be reached spends nothing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CHANNEL_TICKET, MSG_ACCEPT, MSG_DATA, MSG_REFUSE, REFUSE_TICKET } from '../../shared/src/protocol/constants';
import type { Message, TicketRef } from '../../shared/src/protocol/messages';
import { decodeTicketPayload, encodeTicketRequest } from '../../shared/src/protocol/ticket';
import { silentLogger } from '../../host/common/log';
import type { ResumedRoute } from '../../host/mss/core';
import { Handoff } from '../../host/mss/handoff';
import { REDEEM_AGAIN_MS, RouteStore } from '../../host/mss/routes';
import { RefPda, makeCore, type CoreFixture } from '../helpers/mss-fixture';

const stores: RouteStore[] = [];
afterAll(() => stores.forEach((s) => s.close()));

function member(mssId: string, redeemRemote?: (t: TicketRef) => Promise<ResumedRoute | string>) {
  const f = makeCore({ mssId });
  const routes = new RouteStore(':memory:');
  stores.push(routes);
  const h = new Handoff({ mssId, routes, log: silentLogger(), now: () => f.clock.t, redeemRemote });
  f.core.addService(h);
  h.attach(f.core);
  return { f, h, routes };
}

function joined(f: CoreFixture) {
  const pda = new RefPda(f);
  f.core.handleUp(pda.joinCell());
  const a = pda.inbox().find((m) => m.type === MSG_ACCEPT) as Extract<Message, { type: 0x02 }>;
  f.core.handleUp(pda.cell({ type: MSG_DATA, channel: CHANNEL_TICKET, payload: encodeTicketRequest() }));
  const m = pda.inbox().find((x) => x.type === MSG_DATA) as Extract<Message, { type: 0x08 }>;
  const t = decodeTicketPayload(m.payload);
  if (t.op !== 2) throw new Error('no ticket');
  return { tmpId: a.tmpId, ticket: t.issued.ticket };
}

/** A RESUME at `f` with `t`; resolves with what came back on the newcomer's topic once the issuer answered. */
async function resumeAt(f: CoreFixture, t: TicketRef) {
  const pda = new RefPda(f);
  f.core.handleUp(pda.joinCell({ ticket: { issuer: t.issuer, id: t.id.slice(), secret: t.secret.slice() } }));
  await new Promise((r) => setTimeout(r, 20));
  const got = pda.inbox();
  return {
    pda,
    accept: got.find((m) => m.type === MSG_ACCEPT) as Extract<Message, { type: 0x02 }> | undefined,
    refuse: got.find((m) => m.type === MSG_REFUSE) as Extract<Message, { type: 0x03 }> | undefined,
  };
}

describe('redeeming at the issuer', () => {
  it('moves the session once; a lost answer is answered again to the same member; others are refused', async () => {
    const a = member('doug');
    let loseNext = false;
    let down = false;
    const viaNet = (to: string) => async (t: TicketRef) => {
      if (down) throw new Error('ECONNREFUSED');
      const r = a.h.redeemForPeer(to, t.id, t.secret);
      if (loseNext) {
        loseNext = false;
        throw new Error('timed out'); // the issuer committed; its answer never arrived
      }
      return r;
    };
    const b = member('erin', viaNet('erin'));
    const c = member('fern', viaNet('fern'));
    const s = joined(a.f);
    expect(a.f.core.sessions.size).toBe(1);

    // Issuer unreachable: no answer, nothing spent, the session still at doug.
    down = true;
    const r0 = await resumeAt(b.f, s.ticket);
    expect(r0.accept).toBeUndefined();
    expect(r0.refuse).toBeUndefined();
    expect(a.f.core.sessions.findByTmpId(s.tmpId)).toBeDefined();
    expect(b.f.core.stats.resumeRefused).toEqual({ deferred: 1 });
    down = false;

    // The answer is lost: doug spent it for erin, erin answered nothing.
    loseNext = true;
    const r1 = await resumeAt(b.f, s.ticket);
    expect(r1.accept).toBeUndefined();
    expect(a.f.core.sessions.findByTmpId(s.tmpId)).toBeUndefined();
    expect(a.routes.get(s.tmpId)).toMatchObject({ status: 'moved', movedTo: 'erin' });
    // The PDA's retry: same session at erin.
    const r2 = await resumeAt(b.f, s.ticket);
    expect(r2.accept?.tmpId).toBe(s.tmpId);
    expect(b.f.core.sessions.size).toBe(1);
    // The PDA's first cell under its new keys (until then, a lost ACCEPT could be retried with the ticket).
    expect(b.f.core.handleUp(r2.pda.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array(0) }))).toMatchObject({ ok: true });
    // Presented again at erin, where the session now runs: doug would answer erin again, erin takes nothing over.
    const again = await resumeAt(b.f, s.ticket);
    expect(again.refuse?.reason).toBe(REFUSE_TICKET);
    expect(b.h.stats.refused.already_here).toBe(1);
    // Another member presenting the same ticket: refused.
    const r3 = await resumeAt(c.f, s.ticket);
    expect(r3.refuse?.reason).toBe(REFUSE_TICKET);
    expect(c.f.core.sessions.size).toBe(0);
    // The same member, past the window: refused too (its session already runs there anyway).
    a.f.clock.t += REDEEM_AGAIN_MS + 1;
    b.h.confirmed(s.tmpId);
    expect(a.h.redeemForPeer('erin', s.ticket.id, s.ticket.secret)).toBe('unknown');
    // A forged secret never gets the repeated answer.
    const forged = { ...s.ticket, secret: s.ticket.secret.slice() };
    forged.secret[0] ^= 1;
    a.f.clock.t -= REDEEM_AGAIN_MS;
    expect(a.h.redeemForPeer('erin', forged.id, forged.secret)).toBe('forged');
  });
});
