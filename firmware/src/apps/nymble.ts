/**
 * The PDA's side of Extended Nymble (docs/nymble.md): the laptop loads, like coins, a credential per
 * MSS (nymble* and the tickets of the coming periods, Nymble §5.3) with the NM's public key and the
 * period length; when an MSS asks for a ticket at session start (a request on CHANNEL_NYMBLE_ANSWER
 * carrying the NM's signed blacklist, docs/protocol.md §4), the PDA checks its own status first
 * (Extended Nymble §2.7, shared/src/nymble/present.ts) and presents the ticket for (this MSS, this
 * period) only when it is clear. Otherwise it presents nothing and says why in an event, so a user
 * blocked at this MSS learns it before any ticket could link her.
 *
 *   nymble.load {nmKey, periodMs, periodsPerWindow, now, credential: {sid, w, nymbleStar, firstPeriod, tickets[]}}
 *   nymble.status → {ev:"nymble.status", sids:[…]}      nymble.erase → forget every credential
 *
 * Events never carry a ticket or a nymble*: a ticket links sessions of the same period at that MSS.
 * Espruino-safe: plain objects and arrays, no regex quantifier braces.
 */
import { fromHex } from '../../../shared/src/bytes';
import { CHANNEL_NYMBLE, CHANNEL_NYMBLE_ANSWER, NYMBLE_OK, decodeNymbleAnswer, nymbleRequestBlacklist } from '../../../shared/src/nymble/channel';
import { decidePresentation } from '../../../shared/src/nymble/present';
import { registerLazyApp, type App, type AppContext } from '../apps';

/** Storage key of the credentials (within Espruino's 28 characters). */
export const NYMBLE_KEY = 'hood.nym';
/** Bounds on what a load may store: a board's flash is small and a ticket is ~200 bytes. */
export const MAX_CREDENTIALS = 4;
export const MAX_TICKETS = 16;
const MAX_TICKET_HEX = 1024;

interface StoredCred {
  sid: string;
  w: number;
  nymbleStar: string;
  firstPeriod: number;
  tickets: string[];
  /** Newest blacklist version seen for this MSS (a later, older list is a rollback, §2.7). */
  seen: number;
}

interface StoredNymble {
  nmKey: string;
  periodMs: number;
  periodsPerWindow: number;
  /** Wall time minus board clock at load: the board keeps time since boot only. */
  offset: number;
  creds: StoredCred[];
}

function buildNymble(): App {
  function isHex(s: unknown, min: number, max: number): boolean {
    return typeof s === 'string' && s.length >= min && s.length <= max && s.length % 2 === 0 && /^[0-9a-f]+$/.test(s);
  }
  function isInt(v: unknown, min: number, max: number): boolean {
    return typeof v === 'number' && v >= min && v <= max && v % 1 === 0;
  }

  function load(ctx: AppContext): StoredNymble | null {
    const s = ctx.board.storage.read(NYMBLE_KEY);
    if (!s) return null;
    try {
      return JSON.parse(s) as StoredNymble;
    } catch (e) {
      return null;
    }
  }

  function save(ctx: AppContext, st: StoredNymble): void {
    ctx.board.storage.write(NYMBLE_KEY, JSON.stringify(st));
  }

  /** The PDA's (w, t) (docs/nymble.md §2.6: windows of L periods of T ms, numbered from 1). */
  function epochNow(st: StoredNymble, ctx: AppContext): { w: number; t: number } {
    const p = Math.floor((ctx.board.clock.now() + st.offset) / st.periodMs);
    return { w: Math.floor(p / st.periodsPerWindow) + 1, t: (p % st.periodsPerWindow) + 1 };
  }

  function checkCred(c: any): StoredCred {
    if (!c || typeof c !== 'object') throw new Error('credential is not an object');
    if (typeof c.sid !== 'string' || c.sid.length < 1 || c.sid.length > 64) throw new Error('credential sid');
    if (!isInt(c.w, 1, 0xffffffff) || !isInt(c.firstPeriod, 1, 0xffff)) throw new Error('credential window/period');
    if (!isHex(c.nymbleStar, 64, 64)) throw new Error('credential nymbleStar');
    if (!(c.tickets instanceof Array) || c.tickets.length < 1 || c.tickets.length > MAX_TICKETS) throw new Error('credential: 1..' + MAX_TICKETS + ' tickets');
    const tickets: string[] = [];
    for (let i = 0; i < c.tickets.length; i++) {
      if (!isHex(c.tickets[i], 2, MAX_TICKET_HEX)) throw new Error('credential ticket');
      tickets.push(c.tickets[i]);
    }
    return { sid: c.sid, w: c.w, nymbleStar: c.nymbleStar, firstPeriod: c.firstPeriod, tickets: tickets, seen: 0 };
  }

  function credOf(st: StoredNymble, sid: string): StoredCred | null {
    for (let i = 0; i < st.creds.length; i++) if (st.creds[i].sid === sid) return st.creds[i];
    return null;
  }

  /** The MSS asked for a ticket: check our status against its signed blacklist, then present or refuse. */
  function onRequest(blacklist: Uint8Array, ctx: AppContext): void {
    const mss = ctx.mss();
    const sid = mss.substring(0, mss.indexOf('/'));
    const st = load(ctx);
    const cred = st ? credOf(st, sid) : null;
    if (!st || !cred) {
      ctx.emit({ ev: 'nymble', step: 'not_presented', sid: sid, reason: 'no_credential', text: 'nymble: no credential for ' + sid + '; not presenting' });
      return;
    }
    const now = epochNow(st, ctx);
    const tickets: Uint8Array[] = [];
    for (let i = 0; i < cred.tickets.length; i++) tickets.push(fromHex(cred.tickets[i]));
    const d = decidePresentation({ sid: cred.sid, w: cred.w, nymbleStar: fromHex(cred.nymbleStar), firstPeriod: cred.firstPeriod, tickets: tickets }, blacklist, fromHex(st.nmKey), now, cred.seen);
    if (d.lastVersion !== cred.seen) {
      cred.seen = d.lastVersion;
      save(ctx, st);
    }
    if (!d.ticket) {
      ctx.emit({ ev: 'nymble', step: 'not_presented', sid: sid, reason: d.reason, text: d.event });
      return;
    }
    ctx.send(CHANNEL_NYMBLE, d.ticket);
    ctx.emit({ ev: 'nymble', step: 'presented', sid: sid, w: now.w, t: now.t, text: d.event });
  }

  return {
    name: 'nymble',
    commands: {
      'nymble.load': function (c, ctx) {
        if (!isHex(c.nmKey, 64, 64)) throw new Error('nmKey must be 64 hex digits');
        if (!isInt(c.periodMs, 1000, 0x7fffffff) || !isInt(c.periodsPerWindow, 1, 0xffff)) throw new Error('periodMs / periodsPerWindow');
        if (!isInt(c.now, 1, 1e15)) throw new Error('now must be the laptop time in ms');
        const cred = checkCred(c.credential);
        let st = load(ctx);
        // A different NM key or period length starts over: old credentials cannot be checked with it.
        if (!st || st.nmKey !== c.nmKey || st.periodMs !== c.periodMs || st.periodsPerWindow !== c.periodsPerWindow) {
          st = { nmKey: c.nmKey, periodMs: c.periodMs, periodsPerWindow: c.periodsPerWindow, offset: 0, creds: [] };
        }
        st.offset = c.now - ctx.board.clock.now();
        const old = credOf(st, cred.sid);
        if (old) {
          if (old.w === cred.w) cred.seen = old.seen;
          st.creds.splice(st.creds.indexOf(old), 1);
        }
        if (st.creds.length >= MAX_CREDENTIALS) throw new Error('at most ' + MAX_CREDENTIALS + ' credentials; erase first');
        st.creds.push(cred);
        save(ctx, st);
        ctx.emit({ ev: 'nymble.loaded', sid: cred.sid, w: cred.w, firstPeriod: cred.firstPeriod, tickets: cred.tickets.length });
      },
      'nymble.status': function (c, ctx) {
        const st = load(ctx);
        const sids: string[] = [];
        if (st) for (let i = 0; i < st.creds.length; i++) sids.push(st.creds[i].sid);
        ctx.emit({ ev: 'nymble.status', sids: sids, now: st ? epochNow(st, ctx) : null });
      },
      'nymble.erase': function (c, ctx) {
        ctx.board.storage.erase(NYMBLE_KEY);
        ctx.emit({ ev: 'nymble.erased' });
      },
    },
    channels: [CHANNEL_NYMBLE_ANSWER],
    onData: function (channel, payload, ctx) {
      const bl = nymbleRequestBlacklist(payload);
      if (bl) {
        onRequest(bl, ctx);
        return;
      }
      let a: { status: number; text: string };
      try {
        a = decodeNymbleAnswer(payload);
      } catch (e) {
        ctx.emit({ ev: 'nymble', step: 'bad_answer', bytes: payload.length });
        return;
      }
      ctx.emit({ ev: 'nymble', step: a.status === NYMBLE_OK ? 'accepted' : 'refused', status: a.status, text: a.text });
    },
  };
}

registerLazyApp('nymble', ['nymble.load', 'nymble.status', 'nymble.erase'], [CHANNEL_NYMBLE_ANSWER], buildNymble);

