/**
 * Session tickets (docs/handoff.md; paper §6.3): the MSS's side of hand-off and resumption.
 *
 * - Channel 0x40: a settled session is given a ticket on its own (and a fresh one every half lifetime), or
 *   at once when the PDA asks; each ticket voids the one before. The ticket is on disk (routes.ts) before
 *   the PDA sees it.
 * - A RESUME presenting a ticket of this MSS is redeemed here (a restart, a broker restart); one of another
 *   member of the federation is redeemed at its issuer over the authenticated MSS-to-MSS channel.
 * - A member redeeming one of our tickets takes the session over: the route says where the TmpId went (so
 *   replies follow it) and the session here is erased without a cell.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { DecodeError, toHex, wipe } from '../../shared/src/bytes';
import { CHANNEL_TICKET } from '../../shared/src/protocol/constants';
import type { TicketRef } from '../../shared/src/protocol/messages';
import { TICKET_REQUEST, decodeTicketPayload, encodeTicket } from '../../shared/src/protocol/ticket';
import type { Logger } from '../common/log';
import type { MssCore, ResumedRoute, Service, ServiceContext, TicketDesk } from './core';
import type { IssuedTicketRow, RouteStore } from './routes';

export interface HandoffOptions {
  mssId: string;
  routes: RouteStore;
  /** Lifetime of a ticket (default 600 s); the MSS replaces it every half lifetime while the session lives. */
  ticketTtlSec?: number;
  /** How long replies to a TmpId that moved to another MSS are forwarded there (default 24 h). */
  forwardSec?: number;
  log: Logger;
  now?: () => number;
  /** Redeem a ticket at the member of the federation that issued it; absent: such tickets are refused. */
  redeemRemote?: (t: TicketRef) => Promise<ResumedRoute | string>;
}

interface TicketState {
  issuedAt: number;
}

/**
 * A ticket just redeemed for a session that has not yet sent a cell under its new keys. If the ACCEPT was
 * lost on the air, the PDA's next RESUME (new K_BD, same ticket) must not find the ticket spent: it takes the
 * same session over again, newest keys winning. The first authenticated cell under the new keys, or
 * CLAIM_MS, ends the claim; then the ticket is spent for good.
 */
interface Claim {
  tmpId: string;
  verifier: Buffer;
  until: number;
}
const CLAIM_MS = 60_000;
const MAX_CLAIMS = 10_000;

export class Handoff implements Service, TicketDesk {
  readonly channel = CHANNEL_TICKET;
  readonly stats = { issued: 0, resumedHere: 0, resumedFromPeer: 0, reclaimed: 0, handedOff: 0, refused: {} as Record<string, number> };
  private core: MssCore | null = null;
  private readonly ttlMs: number;
  private readonly forwardMs: number;
  private readonly now: () => number;
  private sweepAt = 0;
  private readonly claims = new Map<string, Claim>();
  /** Sessions whose ticket renewal this tick asked for (check). */
  private due: ServiceContext[] = [];

  constructor(private readonly o: HandoffOptions) {
    this.ttlMs = (o.ticketTtlSec ?? 600) * 1000;
    this.forwardMs = (o.forwardSec ?? 86_400) * 1000;
    this.now = o.now || Date.now;
  }

  /** Connect to the core whose sessions get tickets; RESUMEs at it are redeemed here. */
  attach(core: MssCore): void {
    this.core = core;
    core.tickets = this;
  }

  get routes(): RouteStore {
    return this.o.routes;
  }

  onStart(ctx: ServiceContext): void {
    ctx.state.ticket = { issuedAt: 0 } as TicketState;
  }

  onData(ctx: ServiceContext, payload: Uint8Array): void {
    const m = decodeTicketPayload(payload);
    if (m.op !== TICKET_REQUEST) throw new DecodeError('bad_ticket', 'a PDA sends requests only');
    this.issue(ctx);
  }

  /** Every tick: a settled session without a fresh ticket gets one; now and then old routes are swept. */
  check(ctx: ServiceContext, now: number): number | undefined {
    const st = ctx.state.ticket as TicketState | undefined;
    if (st && (st.issuedAt === 0 || now - st.issuedAt >= this.ttlMs / 2) && ctx.settled()) {
      // Renewals of one tick share one transaction (one fsync), written right after the tick (flushDue).
      st.issuedAt = now;
      this.due.push(ctx);
      if (this.due.length === 1) setImmediate(() => this.flushDue());
    }
    if (now >= this.sweepAt) {
      this.sweepAt = now + 60_000;
      this.o.routes.sweep(now);
    }
    return undefined;
  }

  onEnd(tmpId: string, why?: string): void {
    // A shutdown keeps the route: the PDA resumes with its ticket once the MSS is back. A move keeps it as moved.
    if (why === 'shutdown' || why === 'handed_off') return;
    this.o.routes.ended(tmpId);
  }

  private issue(ctx: ServiceContext): void {
    this.send(ctx, this.store(ctx));
  }

  /** On disk first (routes.ts): a ticket the PDA holds is one the MSS can redeem after a crash. */
  private store(ctx: ServiceContext): IssuedTicketRow | null {
    const core = this.core;
    const expiresAt = core?.sessionExpiresAt(ctx.tmpId);
    if (!core || expiresAt === undefined) return null;
    const now = this.now();
    (ctx.state.ticket as TicketState).issuedAt = now;
    return this.o.routes.issue(ctx.tmpId, expiresAt, core.resumeState(ctx.tmpId), now, this.ttlMs);
  }

  private send(ctx: ServiceContext, t: IssuedTicketRow | null): void {
    if (!t) return;
    this.stats.issued++;
    const payload = encodeTicket({ ticket: { issuer: this.o.mssId, id: t.id, secret: t.secret }, validSec: Math.max(0, Math.floor((t.expiresAt - this.now()) / 1000)) });
    wipe(t.secret);
    ctx.reply(CHANNEL_TICKET, payload);
    payload.fill(0);
  }

  /** The renewals queued by one tick: stored in one transaction, then each sent to its session (if still live). */
  private flushDue(): void {
    const list = this.due.splice(0);
    const rows = this.o.routes.inTransaction(() => list.map((ctx) => this.store(ctx)));
    for (let i = 0; i < list.length; i++) this.send(list[i], rows[i]);
  }

  /** The resumed session sent its first cell under the new keys: its ticket is spent for good. */
  confirmed(tmpId: string): void {
    for (const [k, c] of this.claims) if (c.tmpId === tmpId || c.until <= this.now()) this.claims.delete(k);
  }

  changed(tmpId: string): void {
    if (this.core) this.o.routes.update(tmpId, this.core.resumeState(tmpId));
  }

  /** A RESUME arrived here (core.ts): our own ticket is redeemed at once, a member's at its issuer. */
  redeem(t: TicketRef): ResumedRoute | string | Promise<ResumedRoute | string> {
    const key = t.issuer + ':' + toHex(t.id);
    const verifier = createHash('sha256').update(t.secret).digest();
    const c = this.claims.get(key);
    if (c) {
      const live = this.core?.sessionExpiresAt(c.tmpId);
      if (c.until > this.now() && live !== undefined && timingSafeEqual(c.verifier, verifier)) {
        this.stats.reclaimed++;
        return { tmpId: c.tmpId, sessionExpiresAt: live, state: {} };
      }
      return this.refused('unknown');
    }
    const claim = (r: ResumedRoute): ResumedRoute => {
      if (this.claims.size >= MAX_CLAIMS) this.claims.delete(this.claims.keys().next().value!);
      this.claims.set(key, { tmpId: r.tmpId, verifier, until: this.now() + CLAIM_MS });
      return r;
    };
    if (t.issuer === this.o.mssId) {
      const r = this.o.routes.redeem(t.id, t.secret, this.now(), null, 0);
      if (typeof r === 'string') return this.refused(r);
      this.stats.resumedHere++;
      return claim(r);
    }
    if (!this.o.redeemRemote) return this.refused('not_in_federation');
    return this.o.redeemRemote(t).then((r) => {
      if (typeof r === 'string') return this.refused('peer_' + r);
      // The issuer answers a repeated redeem from us again (our first answer may have been lost), but a
      // session already running here under this TmpId is never taken over that way: only its own claim
      // (above) may, so a ticket seen on the way between MSSs cannot hijack it.
      if (this.core?.sessionExpiresAt(r.tmpId) !== undefined) return this.refused('already_here');
      this.stats.resumedFromPeer++;
      return claim(r);
    });
  }

  /**
   * A member of the federation redeems one of our tickets for a PDA that moved to it (POST /handoff/redeem,
   * host/federation): one transaction marks the ticket spent and the TmpId moved, then the session here ends.
   */
  redeemForPeer(peer: string, id: Uint8Array, secret: Uint8Array): ResumedRoute | string {
    const now = this.now();
    const r = this.o.routes.redeem(id, secret, now, peer, now + this.forwardMs);
    if (typeof r === 'string') return this.refused(r);
    this.core?.handOver(r.tmpId);
    this.stats.handedOff++;
    this.o.log.info({ event: 'session_handed_off', tmpId: r.tmpId, to: peer }, 'session handed off');
    return r;
  }

  private refused(reason: string): string {
    this.stats.refused[reason] = (this.stats.refused[reason] || 0) + 1;
    return reason;
  }
}
