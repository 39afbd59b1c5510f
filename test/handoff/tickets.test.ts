/**
 * Session tickets at the MSS core (docs/handoff.md §2–§3): a ticket resumes its TmpId once — or again, while
 * the session it resumed has not yet sent a cell under its new keys (its ACCEPT may have been lost); a
 * forged, spent, voided, expired or foreign ticket is refused (REFUSE 5) and changes nothing; a shutdown
 * keeps tickets, an ended session voids them. Long random sequences of tickets presented by honest and
 * hostile PDAs against a reference model: every RESUME is admitted exactly when the model says, and no TmpId
 * ever has two sessions.
 */
import fc from 'fast-check';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wipe } from '../../shared/src/bytes';
import { BYE_SHUTDOWN, CHANNEL_TICKET, MSG_ACCEPT, MSG_BYE, MSG_DATA, MSG_REFUSE, REFUSE_TICKET } from '../../shared/src/protocol/constants';
import type { Message, TicketRef } from '../../shared/src/protocol/messages';
import { decodeTicketPayload, encodeTicketRequest } from '../../shared/src/protocol/ticket';
import { Handoff } from '../../host/mss/handoff';
import { RouteStore } from '../../host/mss/routes';
import { silentLogger } from '../../host/common/log';
import { RefPda, makeCore, rnd, type CoreFixture } from '../helpers/mss-fixture';
import { removeTestDir, testDir } from '../helpers/temp-dir';

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeTestDir));

const TTL_SEC = 60;

function setup(routesFile = ':memory:') {
  const f = makeCore({ mssId: 'doug' });
  const routes = new RouteStore(routesFile);
  const h = new Handoff({ mssId: 'doug', routes, ticketTtlSec: TTL_SEC, log: silentLogger(), now: () => f.clock.t });
  f.core.addService(h);
  h.attach(f.core);
  return { f, routes, h };
}

function join1(f: CoreFixture): { pda: RefPda; tmpId: string } {
  const pda = new RefPda(f);
  const r = f.core.handleUp(pda.joinCell());
  expect(r).toMatchObject({ ok: true, what: 'join' });
  const accept = pda.inbox().find((m) => m.type === MSG_ACCEPT) as Extract<Message, { type: 0x02 }>;
  return { pda, tmpId: accept.tmpId };
}

/** Ask for a ticket on channel 0x40 and return it (the MSS answers at once). */
function ticketOf(pda: RefPda): TicketRef {
  pda.f.core.handleUp(pda.cell({ type: MSG_DATA, channel: CHANNEL_TICKET, payload: encodeTicketRequest() }));
  const m = pda.inbox().filter((x) => x.type === MSG_DATA && x.channel === CHANNEL_TICKET);
  expect(m).toHaveLength(1);
  const t = decodeTicketPayload((m[0] as Extract<Message, { type: 0x08 }>).payload);
  if (t.op !== 2) throw new Error('no ticket');
  return { issuer: t.issued.ticket.issuer, id: t.issued.ticket.id.slice(), secret: t.issued.ticket.secret.slice() };
}

/** Present a ticket from a fresh PDA: the TmpId it resumed, or the REFUSE reason. */
function present(f: CoreFixture, t: TicketRef): { tmpId?: string; refused?: number; pda: RefPda } {
  const pda = new RefPda(f);
  f.core.handleUp(pda.joinCell({ ticket: { issuer: t.issuer, id: t.id.slice(), secret: t.secret.slice() } }));
  const got = pda.inbox();
  const a = got.find((m) => m.type === MSG_ACCEPT) as Extract<Message, { type: 0x02 }> | undefined;
  const r = got.find((m) => m.type === MSG_REFUSE) as Extract<Message, { type: 0x03 }> | undefined;
  return { tmpId: a?.tmpId, refused: r?.reason, pda };
}

const copy = (t: TicketRef): TicketRef => ({ issuer: t.issuer, id: t.id.slice(), secret: t.secret.slice() });

/** The PDA's first cell under its new keys (the firmware sends an echo right after a resume). */
function confirm(pda: RefPda): void {
  expect(pda.f.core.handleUp(pda.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array(0) }))).toMatchObject({ ok: true });
}

describe('session tickets at the MSS', () => {
  it('a ticket resumes its TmpId once, under the new key set; the same ticket again is refused', () => {
    const { f } = setup();
    const { pda, tmpId } = join1(f);
    const t = ticketOf(pda);
    const lost = present(f, copy(t));
    expect(lost.tmpId).toBe(tmpId);
    // Its ACCEPT lost on the air, the PDA tries again with a new K_BD and the same ticket: same session, newest keys.
    const a = present(f, copy(t));
    expect(a.tmpId).toBe(tmpId);
    expect(f.core.sessions.size).toBe(1);
    expect(f.core.handleUp(lost.pda.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array(1) }))).toMatchObject({ ok: false, reason: 'unknown_session' });
    // The old keys are gone: a cell under them finds no session.
    expect(f.core.handleUp(pda.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array(1) }))).toMatchObject({ ok: false, reason: 'unknown_session' });
    // The new ones serve.
    expect(f.core.handleUp(a.pda.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array(1) }))).toMatchObject({ ok: true, tmpId });
    expect(present(f, copy(t)).refused).toBe(REFUSE_TICKET);
    expect(f.core.stats.resumeRefused).toMatchObject({ unknown: 1 });
  });

  it('forged, voided, expired and foreign tickets are refused and change nothing', () => {
    const { f } = setup();
    const { pda, tmpId } = join1(f);
    const old = ticketOf(pda);
    const t = ticketOf(pda); // voids `old`
    expect(present(f, old).refused).toBe(REFUSE_TICKET);
    const forged = copy(t);
    forged.secret[7] ^= 1;
    expect(present(f, forged).refused).toBe(REFUSE_TICKET);
    expect(present(f, { ...copy(t), issuer: 'elsewhere' }).refused).toBe(REFUSE_TICKET);
    expect(present(f, { issuer: 'doug', id: rnd(16), secret: rnd(32) }).refused).toBe(REFUSE_TICKET);
    // None of that spent or voided the good ticket, but its lifetime ends.
    f.clock.t += (TTL_SEC + 1) * 1000;
    expect(present(f, copy(t)).refused).toBe(REFUSE_TICKET);
    expect(f.core.stats.resumeRefused).toEqual({ unknown: 2, forged: 1, not_in_federation: 1, expired: 1 });
    expect(f.core.sessions.findByTmpId(tmpId)).toBeDefined();
    expect(f.logText()).not.toContain(Buffer.from(t.secret).toString('hex'));
  });

  it('BYE voids the ticket; a shutdown keeps it for the restarted MSS (same route file)', () => {
    const dir = testDir('hood-tickets-');
    dirs.push(dir);
    const file = join(dir, 'routes.sqlite');
    const a = setup(file);
    const one = join1(a.f);
    const t1 = ticketOf(one.pda);
    a.f.core.handleUp(one.pda.cell({ type: MSG_BYE, reason: 0 }));
    expect(present(a.f, t1).refused).toBe(REFUSE_TICKET);
    const two = join1(a.f);
    const t2 = ticketOf(two.pda);
    a.f.core.endAll(BYE_SHUTDOWN);
    a.routes.close();
    // A new core (new keys and all: a restart) on the same route file.
    const b = setup(file);
    const r = present(b.f, t2);
    expect(r.tmpId).toBe(two.tmpId);
    confirm(r.pda);
    expect(present(b.f, t2).refused).toBe(REFUSE_TICKET);
    b.routes.close();
  });

  it('random sequences: a RESUME is admitted exactly when the model says (a fresh ticket, or the claim a lost ACCEPT leaves open)', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('join' as const) }),
      fc.record({ k: fc.constant('ticket' as const), who: fc.nat(7) }),
      fc.record({ k: fc.constant('present' as const), which: fc.nat(31), how: fc.constantFrom('as_is', 'flip_secret', 'flip_id', 'other_issuer', 'random') }),
      fc.record({ k: fc.constant('bye' as const), who: fc.nat(7) }),
      fc.record({ k: fc.constant('confirm' as const), who: fc.nat(7) }),
      fc.record({ k: fc.constant('time' as const), sec: fc.integer({ min: 1, max: 40 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 5, maxLength: 60 }), (ops) => {
        const { f, routes } = setup();
        try {
          // Model: live sessions by TmpId (with the PDA that holds the current keys), tickets issued.
          const live = new Map<string, RefPda>();
          const tickets: { t: TicketRef; tmpId: string; expiresAt: number; current: boolean; spent: boolean; claimUntil: number; claimed: boolean }[] = [];
          const unclaim = (id: string) => tickets.forEach((x) => x.tmpId === id && (x.claimed = false));
          for (const o of ops) {
            const ids = [...live.keys()];
            if (o.k === 'join') {
              const j = join1(f);
              live.set(j.tmpId, j.pda);
            } else if (o.k === 'ticket' && ids.length) {
              const id = ids[o.who % ids.length];
              for (const x of tickets) if (x.tmpId === id) x.current = false;
              tickets.push({ t: ticketOf(live.get(id)!), tmpId: id, expiresAt: f.clock.t + TTL_SEC * 1000, current: true, spent: false, claimUntil: 0, claimed: false });
              // The request was a cell under the session's keys: any claim on it is over.
              unclaim(id);
            } else if (o.k === 'confirm' && ids.length) {
              const id = ids[o.who % ids.length];
              confirm(live.get(id)!);
              unclaim(id);
            } else if (o.k === 'bye' && ids.length) {
              const id = ids[o.who % ids.length];
              f.core.handleUp(live.get(id)!.cell({ type: MSG_BYE, reason: 0 }));
              live.delete(id);
              unclaim(id);
              for (const x of tickets) if (x.tmpId === id) x.current = false;
            } else if (o.k === 'time') f.clock.t += o.sec * 1000;
            else if (o.k === 'present' && tickets.length) {
              const x = tickets[o.which % tickets.length];
              const t = copy(x.t);
              if (o.how === 'flip_secret') t.secret[o.which % 32] ^= 1 << (o.which % 8);
              if (o.how === 'flip_id') t.id[o.which % 16] ^= 1;
              if (o.how === 'other_issuer') t.issuer = 'carol';
              if (o.how === 'random') {
                t.id = rnd(16);
                t.secret = rnd(32);
              }
              const fresh = o.how === 'as_is' && x.current && !x.spent && live.has(x.tmpId) && x.expiresAt > f.clock.t;
              const reclaim = o.how === 'as_is' && x.claimed && x.claimUntil > f.clock.t && live.has(x.tmpId);
              const r = present(f, t);
              if (fresh || reclaim) {
                expect(r.tmpId).toBe(x.tmpId);
                if (fresh) {
                  x.spent = true;
                  x.current = false;
                  x.claimed = true;
                  x.claimUntil = f.clock.t + 60_000;
                }
                live.set(x.tmpId, r.pda);
              } else expect(r.refused).toBe(REFUSE_TICKET);
            }
            // Never two sessions for one TmpId, and the table is what the model says.
            expect(f.core.sessions.size).toBe(live.size);
            for (const id of live.keys()) expect(f.core.sessions.findByTmpId(id)).toBeDefined();
          }
        } finally {
          routes.close();
          for (const s of f.core.sessions.all()) wipe(s.keys.upKey);
        }
      }),
      { numRuns: 300 },
    );
  });
});
