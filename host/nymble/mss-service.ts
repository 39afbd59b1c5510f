/**
 * The MSS side of Extended Nymble as a DATA-channel service (host/mss/core.ts `Service`): a session
 * must present a valid nymble ticket for the current period (shared/src/nymble/channel.ts) before it
 * may use anything but echo and payment; the ticket is filed under the session's TmpId for a later
 * complaint (Nymble §5.4). Refusals are answered with their reason; a session that has no accepted
 * ticket when its grace time runs out ends with BYE_NYMBLE. Linking tokens are pulled from the NM
 * before each check, so a complaint anywhere in the federation takes effect at the next ticket.
 */
import { CHANNEL_ECHO } from '../../shared/src/protocol/constants';
import { BYE_NYMBLE, CHANNEL_NYMBLE, CHANNEL_NYMBLE_ANSWER, NYMBLE_OK, NYMBLE_STATUS, encodeNymbleAnswer, encodeNymbleRequest } from '../../shared/src/nymble/channel';
import type { Logger } from '../common/log';
import type { Service, ServiceContext } from '../mss/core';
import type { LinkingToken } from './nymble-manager';
import type { NymbleServer } from './server';
import { epochAt, type Epoch } from './time';

export interface NymbleServiceOptions {
  server: NymbleServer;
  /** Linking tokens newer than `since` for this MSS (the NM's `linkingTokens`). */
  tokens: (now: Epoch, since: number) => LinkingToken[];
  log: Logger;
  /** Time a new session has to present its ticket (default 10 s). */
  graceMs?: number;
  now?: () => number;
  /** The NM's newest signed blacklist for this MSS (sent with the request at session start), or null. */
  blacklist?: () => Uint8Array | null;
}

interface NymbleState {
  accepted: boolean;
  deadline: number;
}

/** Payment (0x10–0x1f) and echo stay open before a ticket: a PDA pays for air time first. */
function openBeforeTicket(channel: number): boolean {
  return channel === CHANNEL_ECHO || channel === CHANNEL_NYMBLE || (channel >= 0x10 && channel <= 0x1f);
}

export class NymbleService implements Service {
  readonly channel = CHANNEL_NYMBLE;
  readonly stats = { accepted: 0, refused: {} as Record<string, number> };
  private readonly now: () => number;
  private readonly graceMs: number;

  constructor(private readonly o: NymbleServiceOptions) {
    this.now = o.now || Date.now;
    this.graceMs = o.graceMs ?? 10_000;
  }

  private st(ctx: ServiceContext): NymbleState | undefined {
    return ctx.state.nymble as NymbleState | undefined;
  }

  onStart(ctx: ServiceContext): void {
    ctx.state.nymble = { accepted: false, deadline: this.now() + this.graceMs } satisfies NymbleState;
    // Ask for a ticket and hand over the signed blacklist, so the PDA checks its own status before it
    // presents (Extended Nymble §2.7). The MSS cannot forge the list: it is signed by the NM.
    const bl = this.o.blacklist ? this.o.blacklist() : null;
    try {
      ctx.reply(CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest(bl || new Uint8Array(0)));
    } catch (e) {
      // A list larger than one cell: ask without it; the PDA then refuses to present (fails closed).
      this.o.log.warn({ event: 'nymble_blacklist_too_large', bytes: bl ? bl.length : 0 }, 'blacklist does not fit a cell');
      ctx.reply(CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest(new Uint8Array(0)));
    }
  }

  settled(ctx: ServiceContext): boolean {
    return !!this.st(ctx)?.accepted;
  }

  allows(ctx: ServiceContext, channel: number): boolean {
    return openBeforeTicket(channel) || !!this.st(ctx)?.accepted;
  }

  check(ctx: ServiceContext, now: number): number | undefined {
    const st = this.st(ctx);
    if (st && !st.accepted && now > st.deadline) return BYE_NYMBLE;
    return undefined;
  }

  /** Pull new linking tokens from the NM (also called before every check). */
  sync(now: Epoch = epochAt(this.o.server.time, this.now())): void {
    const fresh = this.o.tokens(now, this.o.server.tokenSeq);
    if (fresh.length) this.o.server.applyTokens(fresh, now);
  }

  onData(ctx: ServiceContext, payload: Uint8Array): void {
    const st = this.st(ctx);
    if (!st) return;
    if (st.accepted) {
      this.answer(ctx, NYMBLE_STATUS.already_presented, 'a ticket was already accepted for this session');
      return;
    }
    const epoch = epochAt(this.o.server.time, this.now());
    try {
      this.sync(epoch);
    } catch (e) {
      // The NM being unreachable must not open the MSS to blocked users: check against what we have.
      this.o.log.warn({ event: 'nymble_sync_failed', err: (e as Error).message }, 'could not fetch linking tokens');
    }
    const r = this.o.server.check(payload, epoch, ctx.tmpId);
    if (r.ok) {
      st.accepted = true;
      this.stats.accepted++;
      this.o.server.flush();
      this.answer(ctx, NYMBLE_OK, 'ticket accepted');
      return;
    }
    this.stats.refused[r.reason] = (this.stats.refused[r.reason] || 0) + 1;
    this.o.log.info({ event: 'nymble_refused', reason: r.reason }, 'nymble ticket refused');
    this.answer(ctx, NYMBLE_STATUS[r.reason] ?? NYMBLE_STATUS.malformed, r.message);
  }

  private answer(ctx: ServiceContext, status: number, text: string): void {
    ctx.reply(CHANNEL_NYMBLE_ANSWER, encodeNymbleAnswer({ status, text }));
  }
}
