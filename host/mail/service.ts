/**
 * The MSS mail service (paper steps 5–7, §6.2; docs/mail.md). It plugs into MssCore as services for
 * the mail DATA channels and runs two SMTP endpoints:
 *  - outbound: each reassembled SEND becomes a mail from `<TmpId>@<domain>` to the given address,
 *    sent with nodemailer to the configured smarthost (default: an in-process receiver storing to
 *    <dataDir>/mail/maildir). The body is the ASCII-armored age file exactly as the PDA made it.
 *  - inbound: replies to `<TmpId>@<domain>` go as DELIVER fragments to the live session holding that
 *    TmpId, or into its drop box once the session has ended.
 * The MSS only ever handles age ciphertext whose keys it does not have (Alice's key, Bob's K_BA).
 * With `mix` set, both directions pass an exponential mix (host/mix/, docs/anonymity.md; paper §6.1):
 * a message is acknowledged once stored in the mix's queue and leaves after its own random delay.
 */
import type { ExchangeBackend } from '../exchange/dropbox-backend';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import { DecodeError, toHex, utf8Encode } from '../../shared/src/bytes';
import { armor } from '../../shared/src/age/armor';
import {
  CH_MAIL_CTRL_DOWN,
  CH_MAIL_CTRL_UP,
  CH_MAIL_DELIVER,
  CH_MAIL_SEND,
  DELIVER_RETRY_MS,
  DELIVER_TRIES,
  KIND_ACK,
  KIND_BOX,
  MSG_ID_LEN,
  OP_BOX,
  OP_FRAGMENT,
  OP_PICKUP,
  OP_SEND,
  SRC_LIVE,
  ST_BAD_REQUEST,
  ST_BUSY,
  ST_LIMIT,
  ST_OK,
  ST_REPLAYED,
  ST_SMTP_FAILED,
  ST_TOO_LARGE,
} from '../../shared/src/mail/constants';
import { Reassembler, fragment, type ByteBudget } from '../../shared/src/mail/fragment';
import { decodeControl, decodeSend, encodeDeliver, encodeStatus } from '../../shared/src/mail/payloads';
import { EXT_MAIL_DOMAIN } from '../../shared/src/protocol/constants';
import type { BeaconExtension } from '../../shared/src/protocol/beacon';
import type { Logger } from '../common/log';
import type { MssCore, Service, ServiceContext } from '../mss/core';
import { DropBox } from './dropbox';
import { startInbound, type InboundServer, type RouteResult } from './inbound';
import { startLocalSmarthost, type LocalSmarthost } from './local-smarthost';
import { SmtpError } from './smtp-error';
import { ExpMix, MixFullError, PermanentDeliveryError, type MixClock } from '../mix/exp-mix';
import { MixStore } from '../mix/mix-store';
import type { MixStatsSnapshot } from '../mix/mix-stats';
import { decodeMixedMail, encodeMixedMail } from '../mix/mail-payload';

export interface Smarthost {
  host: string;
  port: number;
  /** Implicit TLS (port 465 style). */
  secure?: boolean;
  /** Require STARTTLS (a real smarthost on a non-loopback network). */
  requireTls?: boolean;
  user?: string;
  pass?: string;
}

export interface MailOptions {
  /** Mail domain of this MSS: From `<TmpId>@domain`; inbound mail accepted only for it. */
  domain: string;
  dataDir: string;
  log: Logger;
  /** Outbound relay; default: an in-process receiver storing to <dataDir>/mail/maildir. */
  smarthost?: Smarthost;
  /** Inbound SMTP listener (default 127.0.0.1:0); false: no inbound server. */
  inbound?: { host: string; port: number } | false;
  /** Largest SEND (address + age file) a PDA may send. */
  maxSendBytes: number;
  /** Largest age file delivered to a PDA (the reference PDA accepts 16384 bytes including 2 header bytes). */
  maxReplyBytes: number;
  /** SMTP SIZE limit for inbound mail. */
  maxSmtpBytes: number;
  maxSendsPerSession: number;
  maxPickupsPerSession: number;
  /** Sum of partially reassembled messages over all sessions. */
  reassemblyBudgetBytes: number;
  dropBoxRetentionSec: number;
  dropBoxMaxEntries: number;
  maxDropBoxes: number;
  /**
   * Exponential mix on mail out and replies in (docs/anonymity.md), queue in <dataDir>/mail/mix.sqlite;
   * absent or meanDelaySec 0: every message is passed on at once.
   */
  mix?: { meanDelaySec: number; maxQueued: number; clock?: MixClock; retryDelaySec?: number };
}

export const DEFAULT_MAIL_OPTIONS = {
  maxSendBytes: 16384,
  maxReplyBytes: 16000,
  maxSmtpBytes: 65536,
  maxSendsPerSession: 20,
  maxPickupsPerSession: 8,
  reassemblyBudgetBytes: 8 * 1024 * 1024,
  dropBoxRetentionSec: 24 * 3600,
  dropBoxMaxEntries: 8,
  maxDropBoxes: 10000,
};

interface Unacked {
  id: string;
  frags: Uint8Array[];
  sends: number;
  due: number;
  /** Told once: true when the PDA acknowledged it, false when it was given up (tries, overflow, session end). */
  done?: (acked: boolean) => void;
}

/** DELIVERs tracked per session (sent or waiting); beyond this the oldest is dropped. */
const MAX_UNACKED = 16;
/** Unacknowledged DELIVERs out at once: what the PDA reassembles at a time (firmware mail app, maxPending). */
const DELIVERS_IN_FLIGHT = 2;

const inFlight = (list: Unacked[]): number => list.filter((u) => u.sends > 0).length;

/**
 * A DELIVER's msgId: a function of the TmpId and the reply, so the same reply sent again — after the MSS
 * lost its unacknowledged DELIVER (a restart, an ended session) and its sender or the drop box handed it
 * over once more — carries the id the PDA remembers and is shown once (docs/mail.md §4). Age files carry a
 * fresh file key each, so two different replies never share one.
 */
function deliverId(tmpId: string, age: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('hood-mail deliver id\0' + tmpId + '\0').update(age).digest().subarray(0, MSG_ID_LEN));
}

interface SessionMailState {
  rx: Reassembler;
  sends: number;
  pickups: number;
}

const STATUS_OF: Record<string, number> = {
  replayed_message: ST_REPLAYED,
  too_large: ST_TOO_LARGE,
  busy: ST_BUSY,
  too_many_pending: ST_BUSY,
};

export interface MailStats {
  sent: number;
  /** Accepted into the mix (both directions), waiting or released. */
  mixed: number;
  /** Released from the mix but undeliverable (session and drop box gone, smarthost refused for good). */
  mixDropped: number;
  sendFailed: number;
  delivered: number;
  stored: number;
  /** Replies handed to the MSS their TmpId moved to (docs/handoff.md §4). */
  forwarded: number;
  pickedUp: number;
  /** DELIVERs the PDA acknowledged, and DELIVERs sent again for want of an ACK (docs/mail.md §3, acknowledged DELIVER). */
  acked: number;
  resent: number;
  rejected: Record<string, number>;
}

/**
 * Where a TmpId without a live session here may still be (docs/handoff.md): its session may come back here
 * (the MSS restarted; a ticket is out), or it moved to another MSS of the federation, which takes replies for it.
 */
export interface MailRoutes {
  resumable(tmpId: string): boolean;
  movedTo(tmpId: string): string | null;
  /** Hand a reply to the MSS `to` now serving `tmpId`: 'delivered' there, or 'gone' (no session there now). */
  forward(to: string, tmpId: string, age: Uint8Array): Promise<'delivered' | 'gone'>;
}

export class MailService {
  readonly stats: MailStats = { sent: 0, mixed: 0, mixDropped: 0, sendFailed: 0, delivered: 0, stored: 0, forwarded: 0, pickedUp: 0, acked: 0, resent: 0, rejected: {} };
  readonly dropBox: DropBox;
  /** The exchange servers the drop box is split over (docs/exchange.md), if any. */
  exchange: ExchangeBackend | null = null;
  readonly services: Service[];
  private core: MssCore | null = null;
  private transport!: Transporter;
  private local: LocalSmarthost | null = null;
  private inboundServer: InboundServer | null = null;
  private held = 0;
  /** Per-session state by TmpId, so a session's partial messages are released when it ends. */
  private readonly live = new Map<string, SessionMailState>();
  /** DELIVERs sent and not yet acknowledged, per TmpId (bounded; dropped when the session ends). */
  private readonly unacked = new Map<string, Unacked[]>();
  private sweeper: NodeJS.Timeout | null = null;
  private readonly budget: ByteBudget;
  private mixStore: MixStore | null = null;
  private mixOut: ExpMix | null = null;
  private mixIn: ExpMix | null = null;
  private routes: MailRoutes | null = null;

  private constructor(readonly opts: MailOptions) {
    this.dropBox = new DropBox(
      join(opts.dataDir, 'mail', 'dropbox'),
      {
        retentionSec: opts.dropBoxRetentionSec,
        maxEntriesPerBox: opts.dropBoxMaxEntries,
        maxRegistrations: opts.maxDropBoxes,
        maxEntryBytes: opts.maxReplyBytes,
      },
      opts.log,
      Date.now,
      join(opts.dataDir, 'mail', 'boxes.sqlite'),
    );
    this.budget = {
      take: (n) => {
        if (this.held + n > opts.reassemblyBudgetBytes) this.expireAll();
        if (this.held + n > opts.reassemblyBudgetBytes) return false;
        this.held += n;
        return true;
      },
      give: (n) => {
        this.held -= n;
      },
    };
    this.services = [
      {
        channel: CH_MAIL_SEND,
        onData: (ctx, p) => this.onSend(ctx, p),
        onEnd: (t) => this.onEnd(t),
        // Every tick: resend what the PDA has not acknowledged (docs/mail.md §3, acknowledged DELIVER). Never ends a session.
        check: (ctx, now) => {
          this.resend(ctx, now);
          return undefined;
        },
      },
      { channel: CH_MAIL_CTRL_UP, onData: (ctx, p) => this.onControl(ctx, p) },
    ];
  }

  static async start(o: Partial<MailOptions> & Pick<MailOptions, 'domain' | 'dataDir' | 'log'>): Promise<MailService> {
    const opts: MailOptions = { ...DEFAULT_MAIL_OPTIONS, ...o } as MailOptions;
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(opts.domain)) throw new Error('invalid mail domain: ' + opts.domain);
    const m = new MailService(opts);
    let relay = opts.smarthost;
    if (!relay) {
      m.local = await startLocalSmarthost({ maildir: m.localMaildir, maxBytes: 4 * opts.maxSendBytes + 65536, log: opts.log });
      relay = { host: m.local.host, port: m.local.port };
    }
    if (opts.mix && opts.mix.meanDelaySec > 0) m.startMix(opts.mix);
    m.transport = nodemailer.createTransport({
      host: relay.host,
      port: relay.port,
      secure: !!relay.secure,
      requireTLS: !!relay.requireTls,
      ignoreTLS: !relay.secure && !relay.requireTls && !!m.local,
      auth: relay.user ? { user: relay.user, pass: relay.pass || '' } : undefined,
      // EHLO with the mail domain, never this machine's host name.
      name: opts.domain,
      disableFileAccess: true,
      disableUrlAccess: true,
      connectionTimeout: 10_000,
      socketTimeout: 20_000,
    });
    if (opts.inbound !== false) {
      const l = opts.inbound || { host: '127.0.0.1', port: 0 };
      m.inboundServer = await startInbound({
        domain: opts.domain,
        host: l.host,
        port: l.port,
        maxSmtpBytes: opts.maxSmtpBytes,
        maxAgeBytes: opts.maxReplyBytes,
        log: opts.log,
        count: (w) => m.count(w),
        router: { known: (t) => m.known(t), route: (t, age) => m.route(t, age) },
      });
    }
    m.sweeper = setInterval(() => {
      m.expireAll();
      m.dropBox.sweep();
    }, 10_000);
    m.sweeper.unref();
    return m;
  }

  private startMix(mix: NonNullable<MailOptions['mix']>): void {
    this.mixStore = MixStore.open(join(this.opts.dataDir, 'mail', 'mix.sqlite'));
    const common = {
      meanDelaySec: mix.meanDelaySec,
      maxQueued: mix.maxQueued,
      clock: mix.clock,
      retryDelaySec: mix.retryDelaySec,
      log: this.opts.log,
      onDrop: (err: unknown) => {
        this.stats.mixDropped++;
        // Only our own reason texts: a smarthost's error text may quote the recipient.
        this.opts.log.warn({ event: 'mix_dropped', reason: err instanceof PermanentDeliveryError ? err.message : 'retries exhausted' }, 'a mixed message could not be delivered');
      },
    };
    this.mixOut = new ExpMix({ ...common, lane: 'out', queue: this.mixStore.lane('out'), deliver: (p) => this.releaseOut(p) });
    this.mixIn = new ExpMix({ ...common, lane: 'in', queue: this.mixStore.lane('in'), deliver: (p) => this.releaseIn(p) });
  }

  /** Start releasing what the mix holds (after attach: replies need the core). */
  private startMixTimers(): void {
    this.mixOut?.start();
    this.mixIn?.start();
  }

  /** The mix's running statistics per direction (null: no mix). */
  mixStats(): { out: MixStatsSnapshot; in: MixStatsSnapshot } | null {
    return this.mixOut && this.mixIn ? { out: this.mixOut.stats(), in: this.mixIn.stats() } : null;
  }

  /** Where the embedded default stores outbound mail. */
  get localMaildir(): string {
    return join(this.opts.dataDir, 'mail', 'maildir');
  }

  get inboundAddress(): { host: string; port: number } | null {
    return this.inboundServer ? { host: this.inboundServer.host, port: this.inboundServer.port } : null;
  }

  /** Bytes held in partial reassemblies over all sessions. */
  get heldBytes(): number {
    return this.held;
  }

  /** Beacon extension 3 (docs/protocol.md §2): the mail domain, so a PDA can show its address. */
  beaconExtensions(): BeaconExtension[] {
    return [{ type: EXT_MAIL_DOMAIN, value: utf8Encode(this.opts.domain) }];
  }

  /** Follow TmpIds that resume here or moved to another MSS (docs/handoff.md). */
  setRoutes(r: MailRoutes): void {
    this.routes = r;
  }

  /**
   * A member of the federation forwards a reply to a TmpId that moved here (docs/handoff.md §4): delivered to
   * the live session as any reply, or 'gone' (the issuer keeps it in its own drop box).
   */
  async deliverForPeer(tmpId: string, age: Uint8Array): Promise<'delivered' | 'gone'> {
    if (age.length > this.opts.maxReplyBytes) return 'gone';
    const core = this.core;
    if (!core || !core.sessions.findByTmpId(tmpId)) return 'gone';
    let settle: (acked: boolean) => void = () => undefined;
    const acked = new Promise<boolean>((r) => (settle = r));
    if (!this.sendDeliver(tmpId, (p) => core.deliver(tmpId, CH_MAIL_DELIVER, p), SRC_LIVE, age, settle)) return 'gone';
    this.stats.delivered++;
    // As for a reply that came here directly: 'delivered' only once the PDA acknowledged it. Not
    // acknowledged and the session gone: the issuer keeps it in its drop box; still there: ask again later.
    if (await acked) return 'delivered';
    if (!core.sessions.findByTmpId(tmpId)) return 'gone';
    throw new Error('the PDA did not acknowledge the reply');
  }

  /** Connect to the core whose sessions this service serves (after MssGateway.start). */
  attach(core: MssCore): void {
    this.core = core;
    this.startMixTimers();
  }

  private count(reason: string): void {
    this.stats.rejected[reason] = (this.stats.rejected[reason] || 0) + 1;
  }

  private state(ctx: ServiceContext): SessionMailState {
    let s = ctx.state.mail as SessionMailState | undefined;
    if (!s) {
      s = { rx: new Reassembler({ maxMessageBytes: this.opts.maxSendBytes, maxPending: 2 }, this.budget), sends: 0, pickups: 0 };
      ctx.state.mail = s;
      this.live.set(ctx.tmpId, s);
    }
    return s;
  }

  /** Drop partial messages past their deadline in every session. */
  private expireAll(): void {
    const now = Date.now();
    for (const s of this.live.values()) s.rx.expire(now);
  }

  private status(ctx: ServiceContext, op: number, msgId: Uint8Array, code: number, count: number, text: string): void {
    ctx.reply(CH_MAIL_CTRL_DOWN, encodeStatus({ op, msgId, code, count, text }));
  }

  private onSend(ctx: ServiceContext, payload: Uint8Array): void {
    const s = this.state(ctx);
    const msgId = payload.length >= MSG_ID_LEN ? payload.slice(0, MSG_ID_LEN) : new Uint8Array(MSG_ID_LEN);
    let message: Uint8Array;
    try {
      const r = s.rx.add(payload, Date.now());
      if (!r.done) return;
      message = r.message;
    } catch (e) {
      const reason = e instanceof DecodeError ? e.reason : 'internal_error';
      this.count(reason);
      this.opts.log.warn({ event: 'mail_fragment_rejected', reason }, 'mail fragment rejected');
      this.status(ctx, OP_FRAGMENT, msgId, STATUS_OF[reason] ?? ST_BAD_REQUEST, 0, (e as Error).message);
      return;
    }
    let send;
    try {
      send = decodeSend(message);
    } catch (e) {
      const reason = e instanceof DecodeError ? e.reason : 'internal_error';
      this.count(reason);
      this.status(ctx, OP_SEND, msgId, ST_BAD_REQUEST, 0, (e as Error).message);
      return;
    }
    if (s.sends >= this.opts.maxSendsPerSession) {
      this.count('send_limit');
      this.status(ctx, OP_SEND, msgId, ST_LIMIT, 0, 'too many messages in this session');
      return;
    }
    const tmpId = ctx.tmpId;
    if (this.mixOut) {
      try {
        this.mixOut.accept(encodeMixedMail({ tmpId, to: send.to, age: send.age }));
      } catch (e) {
        const full = e instanceof MixFullError;
        this.count(full ? 'mix_full' : 'mix_error');
        if (!full) this.opts.log.error({ event: 'mix_store_failed', err: (e as Error).message }, 'mix queue write failed');
        this.status(ctx, OP_SEND, msgId, ST_BUSY, 0, full ? 'mix queue full, try again later' : 'mix queue unavailable');
        return;
      }
      // Stored (synchronous SQLite commit) before the PDA hears OK; no identifier in the log.
      s.sends++;
      this.stats.mixed++;
      this.status(ctx, OP_SEND, msgId, ST_OK, 0, 'queued');
      return;
    }
    s.sends++;
    this.sendOut(tmpId, send.to, send.age).then(
      () => {
        this.stats.sent++;
        this.opts.log.info({ event: 'mail_sent', tmpId, msgId: toHex(msgId), bytes: send.age.length }, 'mail sent');
        this.status(ctx, OP_SEND, msgId, ST_OK, 0, 'sent');
      },
      (err: Error & { responseCode?: number }) => {
        this.stats.sendFailed++;
        this.opts.log.warn({ event: 'mail_send_failed', tmpId, code: err.responseCode, err: err.message }, 'mail send failed');
        this.status(ctx, OP_SEND, msgId, ST_SMTP_FAILED, 0, 'smarthost refused: ' + (err.responseCode || 'no answer'));
      },
    );
  }

  /** One mail from `<TmpId>@domain` to the smarthost. */
  private sendOut(tmpId: string, to: string, age: Uint8Array): Promise<unknown> {
    return this.transport.sendMail({
      envelope: { from: `${tmpId}@${this.opts.domain}`, to: [to] },
      from: `${tmpId}@${this.opts.domain}`,
      to,
      subject: 'age-encrypted message',
      text:
        // Short ASCII lines only, so the mail goes out as 7bit and the armor stays byte-for-byte
        // copyable into `age -d` (a longer line would make nodemailer use quoted-printable).
        'This message is encrypted with age (https://age-encryption.org/v1).\n' +
        'Decrypt it with your age identity. To reply, encrypt your answer to\n' +
        'the Reply-Recipient key inside and send it to this address\n' +
        '(`hood recipient reply` does both).\n\n' +
        armor(age),
      headers: { 'X-Hood-Mail': 'v1' },
    });
  }

  /** The outbound mix releases a mail: a 5xx is final, anything else is retried by the mix. */
  private async releaseOut(payload: Uint8Array): Promise<void> {
    let m;
    try {
      m = decodeMixedMail(payload);
    } catch (e) {
      throw new PermanentDeliveryError((e as Error).message);
    }
    try {
      await this.sendOut(m.tmpId, m.to, m.age);
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      this.stats.sendFailed++;
      // Logged without TmpId or recipient: the time of this line is the time the mail left.
      this.opts.log.warn({ event: 'mail_send_failed', code }, 'mixed mail send failed');
      if (code && code >= 500) throw new PermanentDeliveryError('smarthost refused: ' + code);
      throw new Error('smarthost: ' + (code || 'no answer'));
    }
    this.stats.sent++;
  }

  /** The inbound mix releases a reply: to the live session or its drop box; gone for good: dropped. */
  private releaseIn(payload: Uint8Array): void | Promise<void> {
    let m;
    try {
      m = decodeMixedMail(payload);
    } catch (e) {
      throw new PermanentDeliveryError((e as Error).message);
    }
    try {
      const r = this.routeNow(m.tmpId, m.age);
      if (r instanceof Promise)
        return r.then(
          () => undefined,
          (e) => {
            throw e instanceof SmtpError && e.responseCode >= 500 ? new PermanentDeliveryError('no live session or drop box') : e;
          },
        );
    } catch (e) {
      // Its session is coming back, or its MSS did not answer yet: retry (451).
      // A full drop box may empty at Bob's pickup: retry. No session and no box any more: drop.
      if (e instanceof SmtpError && (e.responseCode === 452 || e.responseCode === 451)) throw new Error(e.message);
      throw new PermanentDeliveryError(e instanceof SmtpError ? 'no live session or drop box' : e instanceof DecodeError ? 'reply refused: ' + e.reason : 'undeliverable');
    }
  }

  private onControl(ctx: ServiceContext, payload: Uint8Array): void {
    const s = this.state(ctx);
    const zero = new Uint8Array(MSG_ID_LEN);
    let c;
    try {
      c = decodeControl(payload);
    } catch (e) {
      const reason = e instanceof DecodeError ? e.reason : 'internal_error';
      this.count(reason);
      this.status(ctx, OP_BOX, zero, ST_BAD_REQUEST, 0, (e as Error).message);
      return;
    }
    if (c.kind === KIND_BOX) {
      const ok = this.dropBox.register(ctx.tmpId, c.boxId, c.boxKey);
      c.boxKey.fill(0);
      if (!ok) this.count('box_limit');
      this.status(ctx, OP_BOX, zero, ok ? ST_OK : ST_LIMIT, 0, ok ? 'drop box ready' : 'drop box capacity reached');
      return;
    }
    if (c.kind === KIND_ACK) {
      this.acknowledged(ctx.tmpId, c.msgId);
      return;
    }
    const ref = new Uint8Array(MSG_ID_LEN);
    ref[0] = c.slot;
    if (s.pickups >= this.opts.maxPickupsPerSession) {
      this.count('pickup_limit');
      this.status(ctx, OP_PICKUP, ref, ST_LIMIT, 0, 'too many pickups in this session');
      return;
    }
    s.pickups++;
    const answer = (got: { ages: Uint8Array[]; complete: boolean; commit(): void } | null): void => {
      if (!got) return; // the session ended meanwhile: nothing was taken
      const ages = got.ages;
      // The entries are deleted (and the servers' shares released) only once the PDA acknowledged every one
      // (docs/mail.md §4): one lost with the session or the MSS stays for the next PICKUP, where the same
      // msgId lets the PDA show it once.
      let waiting = ages.length;
      let lost = false;
      const done = (acked: boolean): void => {
        lost = lost || !acked;
        if (--waiting === 0 && !lost) got.commit();
      };
      if (waiting === 0) got.commit();
      for (const age of ages) if (!this.sendDeliver(ctx.tmpId, (p) => ctx.reply(CH_MAIL_DELIVER, p), c.slot, age, done)) done(false);
      this.stats.pickedUp += ages.length;
      // Not OK when the exchange round failed: the PDA keeps its ticket and asks again later.
      if (got.complete) this.status(ctx, OP_PICKUP, ref, ST_OK, ages.length, ages.length + ' message(s)');
      else this.status(ctx, OP_PICKUP, ref, ST_BUSY, ages.length, ages.length + ' message(s); exchange servers unreachable, pick up again later');
    };
    if (!this.dropBox.hasBackend) {
      answer(this.dropBox.collectLocal(c.secret));
      c.secret.fill(0);
      return;
    }
    // With exchange servers (docs/exchange.md §6) the round is asynchronous; it takes nothing if the
    // session is gone by the time it returns.
    const secret = c.secret;
    this.dropBox
      .collect(secret, () => !!this.core && !!this.core.sessions.findByTmpId(ctx.tmpId))
      .then(answer, (e: Error) => this.opts.log.error({ event: 'pickup_error', err: e.message }, 'pickup failed'))
      .finally(() => secret.fill(0));
  }

  private onEnd(tmpId: string): void {
    const pending = this.unacked.get(tmpId);
    this.unacked.delete(tmpId);
    // What the PDA did not acknowledge goes where a reply to an ended session goes (after this turn, once
    // the session is out of the table): the drop box, the MSS the TmpId moved to, or back to its sender.
    if (pending) setImmediate(() => pending.forEach((u) => u.done?.(false)));
    const s = this.live.get(tmpId);
    if (s) s.rx.clear();
    this.live.delete(tmpId);
    this.dropBox.sessionEnded(tmpId);
  }

  private fragmentRoom(): number {
    return (this.core ? this.core.config.cellSize : 512) - 44;
  }

  /**
   * DELIVER, kept until the PDA acknowledges it (ACK with the msgId, docs/mail.md §3, acknowledged DELIVER) and resent on
   * the session's ticks meanwhile: a cell lost on the air costs a resend, not the reply. The same
   * fragments (same msgId) go again, so the PDA, which remembers completed ids, shows it once. At most
   * DELIVERS_IN_FLIGHT are unacknowledged at a time (the PDA reassembles two at once); later ones wait
   * here and go out as ACKs come in. False if the session could not take the first send.
   */
  private sendDeliver(tmpId: string, out: (payload: Uint8Array) => void | boolean, source: number, age: Uint8Array, done?: (acked: boolean) => void): boolean {
    const msgId = deliverId(tmpId, age);
    const frags = fragment(msgId, encodeDeliver({ source, age }), this.fragmentRoom());
    const list = this.unacked.get(tmpId) || [];
    const u: Unacked = { id: toHex(msgId), frags, sends: 0, due: 0, done };
    if (inFlight(list) < DELIVERS_IN_FLIGHT) {
      // The session may be gone: then nothing is kept for its TmpId.
      for (const f of frags) if (out(f) === false) return false;
      u.sends = 1;
      u.due = Date.now() + DELIVER_RETRY_MS;
    }
    this.unacked.set(tmpId, list);
    if (list.length >= MAX_UNACKED) {
      list.shift()!.done?.(false);
      this.count('deliver_untracked');
    }
    list.push(u);
    return true;
  }

  private acknowledged(tmpId: string, msgId: Uint8Array): void {
    const list = this.unacked.get(tmpId);
    const id = toHex(msgId);
    const i = list ? list.findIndex((u) => u.id === id && u.sends > 0) : -1;
    if (i < 0) return; // a repeated ACK, or one for a DELIVER given up on
    const [u] = list!.splice(i, 1);
    this.stats.acked++;
    u.done?.(true);
  }

  /** Every tick: resend what is due, give up after DELIVER_TRIES sends, start waiting ones as room frees. */
  private resend(ctx: ServiceContext, now: number): void {
    const list = this.unacked.get(ctx.tmpId);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const u = list[i];
      if (u.sends === 0 || u.due > now) continue;
      if (u.sends >= DELIVER_TRIES) {
        list.splice(i--, 1);
        u.done?.(false);
        this.count('deliver_unacked');
        this.opts.log.warn({ event: 'deliver_unacked', sends: u.sends }, 'a DELIVER was never acknowledged; given up');
        continue;
      }
      for (const f of u.frags) ctx.reply(CH_MAIL_DELIVER, f);
      u.sends++;
      u.due = now + DELIVER_RETRY_MS;
      this.stats.resent++;
    }
    for (const u of list) {
      if (u.sends > 0) continue;
      if (inFlight(list) >= DELIVERS_IN_FLIGHT) break;
      for (const f of u.frags) ctx.reply(CH_MAIL_DELIVER, f);
      u.sends = 1;
      u.due = now + DELIVER_RETRY_MS;
    }
  }

  /** Inbound router: a live session, or a drop box, for this TmpId? */
  private known(tmpId: string): boolean {
    if (!this.core) return false;
    if (this.core.sessions.findByTmpId(tmpId) || this.dropBox.accepts(tmpId)) return true;
    return !!this.routes && (this.routes.resumable(tmpId) || this.routes.movedTo(tmpId) !== null);
  }

  private route(tmpId: string, age: Uint8Array): RouteResult | Promise<RouteResult> {
    if (age.length > this.opts.maxReplyBytes) throw new DecodeError('too_large', 'reply of ' + age.length + ' bytes');
    if (this.mixIn) {
      try {
        this.mixIn.accept(encodeMixedMail({ tmpId, to: '', age }));
      } catch (e) {
        if (e instanceof MixFullError) throw new SmtpError(452, '4.3.1 mix queue full, try again later');
        throw e;
      }
      // Stored before the 250 goes back to the sending server.
      this.stats.mixed++;
      return 'queued';
    }
    return this.routeNow(tmpId, age);
  }

  private routeNow(tmpId: string, age: Uint8Array): RouteResult | Promise<RouteResult> {
    const core = this.core;
    if (core && core.sessions.findByTmpId(tmpId)) {
      // Answered (250, or taken out of the mix store) only once the PDA acknowledged it: a DELIVER lost
      // with the MSS itself (kill -9) is then still with its sender or in the mix, and comes again.
      let settle: (acked: boolean) => void = () => undefined;
      const acked = new Promise<boolean>((r) => (settle = r));
      if (this.sendDeliver(tmpId, (p) => core.deliver(tmpId, CH_MAIL_DELIVER, p), SRC_LIVE, age, settle)) {
        this.stats.delivered++;
        return acked.then((ok) => (ok ? 'delivered' : this.notAcknowledged(tmpId, age)));
      }
    }
    const to = this.routes?.movedTo(tmpId);
    if (to) {
      // The TmpId went on at another MSS (docs/handoff.md §4): the reply follows it while it lives there; once
      // it ended there too, the reply waits in the drop box the PDA registered here.
      return this.routes!.forward(to, tmpId, age).then(
        (r) => (r === 'delivered' ? (this.stats.forwarded++, 'forwarded' as const) : this.storeLocally(tmpId, age)),
        (e: Error) => {
          this.opts.log.warn({ event: 'forward_failed', to, err: e.message }, 'forwarding a reply failed');
          throw new SmtpError(451, '4.4.1 the next MSS did not answer; try again later');
        },
      );
    }
    // Its MSS restarted and the PDA holds a ticket: the session is coming back, and the sender's retry
    // reaches it live (rather than the drop box, which the PDA empties only in a later session).
    if (this.routes?.resumable(tmpId)) throw new SmtpError(451, '4.4.1 the session is coming back; try again later');
    return this.storeLocally(tmpId, age);
  }

  /**
   * A live DELIVER the PDA never acknowledged: its session ended (routed again: drop box, the next MSS, or
   * refused), or it is still there and silent (its drop box if it has one, else the sender tries later).
   */
  private notAcknowledged(tmpId: string, age: Uint8Array): RouteResult | Promise<RouteResult> {
    if (!this.core?.sessions.findByTmpId(tmpId)) return this.routeNow(tmpId, age);
    if (this.dropBox.accepts(tmpId)) return this.storeLocally(tmpId, age);
    throw new SmtpError(451, '4.4.1 the PDA did not acknowledge the reply; try again later');
  }

  private storeLocally(tmpId: string, age: Uint8Array): 'stored' {
    const r = this.dropBox.store(tmpId, age);
    if (r === 'stored') {
      this.stats.stored++;
      return 'stored';
    }
    if (r === 'box_full') throw new SmtpError(452, '4.2.2 drop box full');
    if (r === 'too_large') throw new DecodeError('too_large', 'reply too large for the drop box');
    throw new SmtpError(550, '5.1.1 unknown or expired TmpId');
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await this.mixOut?.stop();
    await this.mixIn?.stop();
    this.mixStore?.close();
    this.transport?.close();
    if (this.inboundServer) await this.inboundServer.close();
    if (this.local) await this.local.close();
    for (const st of this.live.values()) st.rx.clear();
    this.live.clear();
    this.dropBox.close();
  }
}
