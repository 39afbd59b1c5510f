/**
 * Long random sequences of issue / present / complain / advance period / advance window across three
 * MSSs and four users, against a small model of Extended Nymble: a complained user is refused at every
 * MSS from the complaint to the end of the window and for the rating's number of windows; nobody else
 * is ever refused (except a replay of their own ticket in the same period).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INITIAL_RATING, blockWindows, nextRating } from '../../host/nymble/rating';
import type { Credential } from '../../host/nymble/nymble-manager';
import { nymbleWorld } from './helpers';

const SIDS = ['doug', 'erin', 'fay'];
const USERS = 4;
const L = 6;

type Action =
  | { kind: 'present'; user: number; mss: number }
  | { kind: 'complain'; mss: number; pick: number }
  | { kind: 'advance'; periods: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('present' as const), user: fc.nat(USERS - 1), mss: fc.nat(SIDS.length - 1) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('complain' as const), mss: fc.nat(SIDS.length - 1), pick: fc.nat() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), periods: fc.integer({ min: 1, max: 8 }) }) },
);

interface UserModel {
  rating: number;
  offences: number;
  lastOffenceWindow: number;
  blockedThrough: number;
  /** Period of the current window from which the user is linked (Infinity: not linked). */
  linkedFrom: number;
}

describe('Extended Nymble under random sequences', () => {
  it('blocks exactly the complained users, everywhere, for the rating\'s windows', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 100, maxLength: 300 }), async (actions) => {
        const world = await nymbleWorld(SIDS, { periodMs: 1000, periodsPerWindow: L });
        try {
          const tokens: string[] = [];
          for (let u = 0; u < USERS; u++) tokens.push(await world.account('u' + u));
          const model: UserModel[] = [];
          for (let u = 0; u < USERS; u++) model.push({ rating: INITIAL_RATING, offences: 0, lastOffenceWindow: 0, blockedThrough: 0, linkedFrom: Infinity });
          let now = { w: 1, t: 1 };
          const creds = new Map<string, Credential>();
          const presented = new Set<string>();
          // Sessions accepted this window per MSS: [tmpId, user].
          let sessions: [string, number][][] = SIDS.map(() => []);
          let n = 0;
          const credOf = async (u: number, sid: string) => {
            const k = u + '/' + sid + '/' + now.w;
            if (!creds.has(k)) creds.set(k, world.nm.credential(await world.pm.pseudonym(tokens[u], now.w), sid, now, 1));
            return creds.get(k)!;
          };
          for (const a of actions) {
            if (a.kind === 'present') {
              const sid = SIDS[a.mss];
              world.sync(sid, now);
              const c = await credOf(a.user, sid);
              const tmp = 'tmp' + n++;
              const r = world.servers[sid].check(c.tickets[now.t - 1], now, tmp);
              const m = model[a.user];
              const key = a.user + '/' + sid + '/' + now.w + '/' + now.t;
              if (m.linkedFrom <= now.t) expect(r).toMatchObject({ ok: false, reason: 'linked' });
              else if (presented.has(key)) expect(r).toMatchObject({ ok: false, reason: 'replayed' });
              else {
                expect(r.ok).toBe(true);
                presented.add(key);
                sessions[a.mss].push([tmp, a.user]);
              }
            } else if (a.kind === 'complain') {
              const list = sessions[a.mss];
              if (!list.length) continue;
              const [tmp, u] = list[a.pick % list.length];
              const ticket = world.servers[SIDS[a.mss]].ticketOf(tmp, now);
              expect(ticket).not.toBeNull();
              world.nm.complain(ticket!, SIDS[a.mss], now);
              const m = model[u];
              if (m.lastOffenceWindow !== now.w) {
                m.offences += 1;
                m.rating = nextRating(m.rating, m.offences);
                m.lastOffenceWindow = now.w;
              }
              m.blockedThrough = Math.max(m.blockedThrough, now.w + blockWindows(m.rating) - 1);
              m.linkedFrom = Math.min(m.linkedFrom, now.t);
              expect(await world.pm.ratingOf(tokens[u])).toBe(m.rating);
            } else {
              const p = (now.w - 1) * L + (now.t - 1) + a.periods;
              const next = { w: Math.floor(p / L) + 1, t: (p % L) + 1 };
              if (next.w !== now.w) {
                sessions = SIDS.map(() => []);
                for (const m of model) m.linkedFrom = m.blockedThrough >= next.w ? 1 : Infinity;
              }
              now = next;
            }
          }
        } finally {
          world.close();
        }
      }),
      { numRuns: 15 },
    );
  }, 240_000);
});
