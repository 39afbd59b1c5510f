/**
 * The MSS protocol core (docs/protocol.md §7): admits sessions and handles every uplink cell.
 * It is transport-free — cells come in through handleUp(), cells go out through the `emit` sink — so
 * the same object serves the MQTT gateway, tests and the fuzzer. Every hostile cell ends in a counted,
 * logged rejection and leaves the session table untouched.
 *
 * Paper steps: 1 beacon (beacon()), 2 JOIN with K_BD and proposed TmpMAC, 3 ACCEPT with TmpId, 8 BYE.
 */
import { randomBytes } from 'node:crypto';
import { DecodeError, wipe } from '../../shared/src/bytes';
import { base32Encode } from '../../shared/src/base32';
import { assembleBeacon, beaconSigningInput, encodeBeaconBody, type BeaconExtension } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openJoin, openSession, sealSession } from '../../shared/src/protocol/cells';
import { sealRefuse } from '../../shared/src/protocol/refuse';
import {
  BEACON_NONCE_LEN,
  BYE_ACK,
  BYE_IDLE_TIMEOUT,
  BYE_SESSION_LIMIT,
  KIND_JOIN,
  MSG_BYE,
  MSG_COVER,
  COVER_ANSWER,
  MSG_DATA,
  MSG_REKEY,
  REFUSE_BAD_REQUEST,
  REFUSE_CAPACITY,
  REFUSE_STALE_BEACON,
  REFUSE_TMPMAC_IN_USE,
  REFUSE_TICKET,
  MSG_RESUME,
  TMPID_BYTES,
  MSG_ACCEPT,
  MSG_RENEW,
  MSG_REKEYED,
  DEFAULT_CELL_SIZE,
} from '../../shared/src/protocol/constants';
import type { JoinMsg, Message, ResumeMsg, TicketRef } from '../../shared/src/protocol/messages';
import { ReplayWindow } from '../../shared/src/protocol/replay-window';
import { deriveSessionKeys, kbdFingerprint, wipeSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { downTopic } from '../../shared/src/protocol/topics';
import { formatMac, isValidTmpMac } from '../../shared/src/tmpmac';
import type { Logger } from '../common/log';
import { installNativeCrypto } from '../crypto/native';
import { JoinReplayCache } from './join-replay';
import type { MssKeys } from './keys';
import { SessionTable, flatKey, hexKey, packKeys, type Session } from './session-table';

// Every host MSS (gateway, lab, tests, benchmarks) runs the protocol's AEAD, X25519 and HKDF on node:crypto,
// with the JS contract unchanged (host/crypto/native.ts); the PDA bundle keeps the JS code.
installNativeCrypto();

export interface Outbound {
  topic: string;
  payload: Uint8Array;
}

export interface MssConfig {
  mssId: string;
  cellSize: number;
  idleTimeoutSec: number;
  maxSessionSec: number;
  maxSessions: number;
  /** Extra beacon extensions (price and mint: host/pay/setup.ts; mail domain: host/mail/service.ts). */
  extensions: BeaconExtension[];
}

export const DEFAULT_MSS_CONFIG: MssConfig = {
  mssId: 'doug',
  cellSize: DEFAULT_CELL_SIZE,
  idleTimeoutSec: 120,
  maxSessionSec: 3600,
  maxSessions: 10_000,
  extensions: [],
};

/** What a service (a DATA channel handler) may do: answer on the session, or read its TmpId. */
export interface ServiceContext {
  readonly tmpId: string;
  readonly state: Record<string, unknown>;
  reply(channel: number, payload: Uint8Array): void;
  /** Has the session settled (docs/protocol.md §7.6: paid, or its first DATA where nothing decides)? */
  settled(): boolean;
  /** What a resumed session must keep (resumeState) changed: persist it before acknowledging anything (§10). */
  changed(): void;
}

/**
 * A handler of one DATA channel of the MSS (payment, mail, echo). `MssCore.addService` plugs it in;
 * the core then hands it every DATA message on its channel in an admitted session, already
 * decrypted and replay-checked (docs/protocol.md §7.3), with a context that answers on the
 * same session. A service never sees a TmpMAC, a key or an MQTT topic, and keeps per-session state in
 * `ctx.state` or under `ctx.tmpId` (released in `onEnd`). The optional hooks let a service gate the
 * other channels (payment before mail), end sessions on its own clock, and tell admission under load
 * which sessions have settled (§7.6).
 *
 * @example
 * ```ts
 * const echo: Service = {
 *   channel: CHANNEL_ECHO,
 *   onData(ctx, payload) {
 *     ctx.reply(CHANNEL_ECHO, payload);
 *   },
 * };
 * core.addService(echo);
 *
 * // a service that gates every other channel until the session has sent something here
 * const gate: Service = {
 *   channel: 9,
 *   onData(ctx) {
 *     ctx.state.open = true;
 *   },
 *   allows: (ctx, channel) => channel === 9 || ctx.state.open === true,
 *   settled: (ctx) => ctx.state.open === true,
 * };
 * ```
 */
export interface Service {
  /** The DATA channel this service answers (one service per channel). */
  channel: number;
  /** One DATA message on `channel`, decrypted and replay-checked. */
  onData(ctx: ServiceContext, payload: Uint8Array): void;
  /** Called when a session is admitted. */
  onStart?(ctx: ServiceContext): void;
  /**
   * Called when a session ends, so the service can release what it holds for it. `why`: 'bye', 'idle_timeout',
   * 'shutdown', 'handed_off' (taken over by another MSS, docs/handoff.md), …
   */
  onEnd?(tmpId: string, why?: string): void;
  /** What a session resumed elsewhere or after a restart must keep of this service (§10; JSON, no keys). */
  resumeState?(ctx: ServiceContext): unknown;
  /** Restore what resumeState gave, in a session resumed from a ticket (after onStart, before ACCEPT). */
  resume?(ctx: ServiceContext, state: unknown): void;
  /** May DATA on `channel` be served now? (Payment gates other channels until the session is paid.) */
  allows?(ctx: ServiceContext, channel: number): boolean;
  /** Called on every tick; a BYE reason ends the session (e.g. paid time ran out). */
  check?(ctx: ServiceContext, now: number): number | undefined;
  /** Has the session met what this service asks first (payment: paid)? Unsettled sessions go first under load (§7.6). */
  settled?(ctx: ServiceContext): boolean;
}

/** What a session carries over when it resumes (docs/handoff.md): the TmpId, the session's limit, services' state. */
export interface ResumedRoute {
  tmpId: string;
  sessionExpiresAt: number;
  state: Record<string, unknown>;
}

/**
 * Where RESUME tickets are redeemed (host/mss/handoff.ts): here, or at the issuing member of the federation.
 * A refusal is a reason string (logged and counted; the PDA learns only REFUSE 5).
 */
export interface TicketDesk {
  redeem(t: TicketRef): ResumedRoute | string | Promise<ResumedRoute | string>;
  /** A live session's resumable state changed (a payment): persist it. */
  changed(tmpId: string): void;
  /** A resumed session sent its first authenticated cell under its new keys (its ticket is spent for good). */
  confirmed(tmpId: string): void;
}

export type UpResult =
  | { ok: true; what: 'join' | 'data' | 'rekey' | 'bye' | 'cover'; tmpId?: string }
  | { ok: false; reason: string };

export interface MssStats {
  accepted: number;
  refused: Record<string, number>;
  rejected: Record<string, number>;
  ended: Record<string, number>;
  cellsUp: number;
  cellsDown: number;
  /** Cover cells dropped after authentication (docs/protocol.md §3.5), and cover cells sent back. */
  coverIn: number;
  coverOut: number;
  /** Sessions resumed from a ticket (docs/handoff.md), and RESUMEs refused by reason. */
  resumed: number;
  resumeRefused: Record<string, number>;
}

const REFUSE_NAMES: Record<number, string> = {
  [REFUSE_TMPMAC_IN_USE]: 'tmpmac_in_use',
  [REFUSE_CAPACITY]: 'capacity',
  [REFUSE_STALE_BEACON]: 'stale_beacon',
  [REFUSE_BAD_REQUEST]: 'bad_request',
  [REFUSE_TICKET]: 'ticket',
};

export class MssCore {
  readonly sessions = new SessionTable();
  readonly stats: MssStats = { accepted: 0, refused: {}, rejected: {}, ended: {}, cellsUp: 0, cellsDown: 0, coverIn: 0, coverOut: 0, resumed: 0, resumeRefused: {} };
  private readonly replay = new JoinReplayCache();
  private readonly services = new Map<number, Service>();
  private signedBeacon: Uint8Array;
  private beaconSignature: Uint8Array;
  private beaconNonce: Uint8Array = new Uint8Array(BEACON_NONCE_LEN);
  /** Where RESUME tickets are redeemed; null: every RESUME is refused (REFUSE 5). */
  tickets: TicketDesk | null = null;
  /** RESUMEs waiting for the issuing MSS to answer (docs/handoff.md §3). */
  private resuming = 0;

  constructor(
    private readonly keys: MssKeys,
    readonly config: MssConfig,
    private readonly log: Logger,
    private readonly emit: (o: Outbound) => void,
    private readonly now: () => number = Date.now,
    private readonly random: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
  ) {
    this.signedBeacon = encodeBeaconBody({
      mssId: config.mssId,
      identityKey: keys.identityPublic,
      boxKey: keys.boxPublic,
      cellSize: config.cellSize,
      issuedAt: Math.floor(this.now() / 1000),
      extensions: config.extensions,
    });
    this.beaconSignature = keys.sign(beaconSigningInput(this.signedBeacon));
  }

  /** The MSS's long-term identity public key (what PDAs pin). */
  get identityKey(): Uint8Array {
    return this.keys.identityPublic;
  }

  addService(s: Service): void {
    if (this.services.has(s.channel)) throw new Error('channel ' + s.channel + ' already has a service');
    this.services.set(s.channel, s);
  }

  /** Start a new beacon epoch (fresh beacon nonce) and return the beacon to publish (retained). */
  beacon(): Uint8Array {
    this.beaconNonce = this.random(BEACON_NONCE_LEN);
    this.replay.rotate(this.beaconNonce);
    return assembleBeacon(this.signedBeacon, this.beaconSignature, this.beaconNonce);
  }

  private reject(reason: string): UpResult {
    this.stats.rejected[reason] = (this.stats.rejected[reason] || 0) + 1;
    // Debug, not warn: a flood of bad cells must not become a flood of log lines. The counts are in stats.
    this.log.debug({ event: 'cell_rejected', reason }, 'cell rejected');
    return { ok: false, reason };
  }

  private send(s: Session, m: Message): void {
    const cell = sealSession(s.keys.downKey, s.keys.downTag, s.downSeq++, DIR_DOWN, m, this.config.cellSize);
    s.cellsDown++;
    this.stats.cellsDown++;
    this.emit({ topic: downTopic(this.config.mssId, s.keys.downTag), payload: cell });
  }

  handleUp(cell: unknown): UpResult {
    this.stats.cellsUp++;
    if (!(cell instanceof Uint8Array)) return this.reject('not_bytes');
    try {
      const h = decodeCellHeader(cell, this.config.cellSize);
      return h.kind === KIND_JOIN ? this.handleJoin(cell, h.epk) : this.handleSession(cell, h.tag, h.seq);
    } catch (e) {
      if (e instanceof DecodeError) return this.reject(e.reason);
      // Anything else is a bug in our own code; count it, log it, keep serving.
      this.log.error({ event: 'cell_handler_error', err: (e as Error).message }, 'cell handler error');
      return this.reject('internal_error');
    }
  }

  private handleJoin(cell: Uint8Array, epk: Uint8Array): UpResult {
    const opened = openJoin(this.keys.boxSecret, this.keys.boxPublic, cell, this.config.cellSize);
    const join = opened.msg;
    // Keys per JOIN (salt = epk), so even a K_BD that came twice never gives the same key set (§6).
    const keys = deriveSessionKeys(join.kbd, epk);
    const kbdId = hexKey(kbdFingerprint(join.kbd));
    wipe(join.kbd);
    const drop = (reason: string): UpResult => {
      wipeSessionKeys(keys);
      wipe(opened.refuseKey);
      return this.reject(reason);
    };
    const admitted = this.replay.admit(join.beaconNonce, epk);
    // A JOIN already processed gets no answer at all: its first answer stands (§5, §7.1 step 2).
    if (admitted === 'replay') return drop('join_replay');
    if (admitted === 'full') return drop('join_rate_limited');
    const holder = this.sessions.findByKbd(kbdId);
    if (holder) {
      if (admitted === 'stale_beacon') return drop('stale_beacon');
      // Paper step 2: a K_BD already in use. The newcomer gets no answer (it retries with a new key after
      // its timeout); the holder is asked to pick a new K_BD, so the two can never share a key.
      this.send(holder, { type: MSG_RENEW });
      this.log.warn({ event: 'kbd_collision' }, 'K_BD collision: RENEW sent to holder');
      return drop('kbd_collision');
    }
    if (admitted === 'stale_beacon') return this.refuse(keys, opened.refuseKey, REFUSE_STALE_BEACON);
    if (!isValidTmpMac(join.tmpMac)) return this.refuse(keys, opened.refuseKey, REFUSE_BAD_REQUEST);
    if (this.sessions.tmpMacInUse(join.tmpMac)) return this.refuse(keys, opened.refuseKey, REFUSE_TMPMAC_IN_USE);
    if (this.sessions.size + this.resuming >= this.config.maxSessions) return this.refuse(keys, opened.refuseKey, REFUSE_CAPACITY);
    if (join.type === MSG_RESUME) return this.resumeJoin(join, keys, kbdId, opened.refuseKey);
    wipe(opened.refuseKey);

    let tmpId = base32Encode(this.random(TMPID_BYTES));
    while (this.sessions.tmpIdInUse(tmpId)) tmpId = base32Encode(this.random(TMPID_BYTES));
    tmpId = flatKey(tmpId);
    this.admit(join, keys, kbdId, tmpId, this.now() + this.config.maxSessionSec * 1000, null);
    return { ok: true, what: 'join', tmpId };
  }

  /** Create the session and send ACCEPT (§7.1 step 8); a resumed one gets its services' state back. */
  private admit(join: JoinMsg | ResumeMsg, keys: SessionKeys, kbdId: string, tmpId: string, expiresAt: number, resumed: ResumedRoute | null): Session {
    const now = this.now();
    const s: Session = {
      tmpId,
      tmpMac: flatKey(formatMac(join.tmpMac)),
      kbdId,
      keys: packKeys(keys),
      downSeq: 0,
      upWindow: new ReplayWindow(),
      createdAt: now,
      lastSeenAt: now,
      idleTimeoutMs: this.config.idleTimeoutSec * 1000,
      expiresAt,
      cellsUp: 0,
      cellsDown: 0,
      service: {},
    };
    this.sessions.add(s);
    this.stats.accepted++;
    // ACCEPT is the session's first downlink cell (seq 0, §3.2); services may answer right away in onStart.
    this.send(s, { type: MSG_ACCEPT, tmpId, idleTimeoutSec: this.config.idleTimeoutSec, maxSessionSec: Math.max(0, Math.round((expiresAt - now) / 1000)) });
    const ctx = this.ctxFor(s);
    for (const svc of this.services.values()) svc.onStart?.(ctx);
    // Before any cell of the new session is read (this is one synchronous turn): what the session had.
    if (resumed) for (const svc of this.services.values()) if (svc.resume && resumed.state[svc.channel] !== undefined) svc.resume(ctx, resumed.state[svc.channel]);
    this.log.info({ event: resumed ? 'session_resumed' : 'session_admitted', tmpId, tmpMac: s.tmpMac, sessions: this.sessions.size }, resumed ? 'session resumed' : 'session admitted');
    return s;
  }

  /**
   * RESUME (docs/handoff.md): a JOIN that passed every admission check and presents a session ticket. The
   * ticket is redeemed here or, for another member of the federation, at its issuer; then the TmpId and what
   * the services keep (paid-until) go on under the new key set and TmpMAC. A TmpId still live here (its PDA
   * lost the broker and came back) keeps its session object — pending DELIVERs and all — under the new keys.
   */
  private resumeJoin(join: ResumeMsg, keys: SessionKeys, kbdId: string, refuseKey: Uint8Array): UpResult {
    const t = join.ticket;
    const got = this.tickets ? this.tickets.redeem(t) : 'no_ticket_desk';
    if (!(got instanceof Promise)) {
      wipe(t.secret);
      return this.finishResume(join, keys, kbdId, refuseKey, got);
    }
    this.resuming++;
    got.then(
      (r) => {
        this.resuming--;
        wipe(t.secret);
        // The MSS's state moved on while the issuer answered: check again what admission checked (§7.1).
        if (typeof r !== 'string' && (this.sessions.findByKbd(kbdId) || this.sessions.tmpMacInUse(join.tmpMac))) r = 'conflict_after_redeem';
        this.finishResume(join, keys, kbdId, refuseKey, r);
      },
      (e: Error) => {
        // The issuer could not be asked (unreachable, timed out, 5xx): no answer, as for a lost cell. The PDA
        // tries again with a new K_BD after its JOIN timeout, and the ticket is still good (or, if the issuer
        // did spend it for us, it answers our repeated redeem the same way).
        this.resuming--;
        wipe(t.secret);
        wipeSessionKeys(keys);
        wipe(refuseKey);
        this.stats.resumeRefused.deferred = (this.stats.resumeRefused.deferred || 0) + 1;
        this.log.warn({ event: 'resume_deferred', err: e.message }, 'RESUME left unanswered: the ticket issuer could not be asked');
      },
    );
    return { ok: true, what: 'join' };
  }

  private finishResume(join: ResumeMsg, keys: SessionKeys, kbdId: string, refuseKey: Uint8Array, r: ResumedRoute | string): UpResult {
    if (typeof r === 'string') {
      this.log.info({ event: 'resume_refused', reason: r }, 'RESUME refused');
      this.stats.resumeRefused[r] = (this.stats.resumeRefused[r] || 0) + 1;
      return this.refuse(keys, refuseKey, REFUSE_TICKET);
    }
    wipe(refuseKey);
    const tmpId = flatKey(r.tmpId);
    const live = this.sessions.findByTmpId(tmpId);
    if (live) {
      this.sessions.rebind(live, packKeys(keys), kbdId, flatKey(formatMac(join.tmpMac)));
      live.resumedUnconfirmed = true;
      live.lastSeenAt = this.now();
      this.stats.accepted++;
      this.send(live, { type: MSG_ACCEPT, tmpId, idleTimeoutSec: this.config.idleTimeoutSec, maxSessionSec: Math.max(0, Math.round((live.expiresAt - this.now()) / 1000)) });
      this.log.info({ event: 'session_resumed', tmpId, tmpMac: live.tmpMac, live: true }, 'session resumed');
    } else this.admit(join, keys, kbdId, tmpId, r.sessionExpiresAt, r).resumedUnconfirmed = true;
    this.stats.resumed++;
    return { ok: true, what: 'join', tmpId };
  }

  /**
   * Answer a JOIN that does not become a session (§7.1): REFUSE under the JOIN's own refuse key, never under
   * the keys of its K_BD, on the newcomer's downlink topic. The cell is a function of (JOIN, reason) only.
   */
  private refuse(keys: SessionKeys, refuseKey: Uint8Array, reason: number): UpResult {
    const name = REFUSE_NAMES[reason];
    this.stats.refused[name] = (this.stats.refused[name] || 0) + 1;
    const cell = sealRefuse(refuseKey, keys.downTag, reason, this.config.cellSize);
    this.stats.cellsDown++;
    this.emit({ topic: downTopic(this.config.mssId, keys.downTag), payload: cell });
    wipe(refuseKey);
    wipeSessionKeys(keys);
    this.log.info({ event: 'join_refused', reason: name }, 'join refused');
    return { ok: false, reason: 'refused_' + name };
  }

  private handleSession(cell: Uint8Array, tag: Uint8Array, seq: number): UpResult {
    const s = this.sessions.findByUpTag(tag);
    if (!s) return this.reject('unknown_session');
    const w = s.upWindow.check(seq);
    if (w !== 'ok') return this.reject(w);
    const m = openSession(s.keys.upKey, cell, seq, DIR_UP);
    s.upWindow.accept(seq);
    if (s.resumedUnconfirmed) {
      s.resumedUnconfirmed = false;
      this.tickets?.confirmed(s.tmpId);
    }
    switch (m.type) {
      case MSG_DATA: {
        const svc = this.services.get(m.channel);
        if (!svc) return this.reject('unknown_channel');
        const ctx = this.ctxFor(s);
        for (const other of this.services.values()) if (other.allows && !other.allows(ctx, m.channel)) return this.reject('unpaid');
        s.lastSeenAt = this.now();
        s.cellsUp++;
        try {
          svc.onData(ctx, m.payload);
        } catch (e) {
          if (e instanceof DecodeError) return this.reject(e.reason);
          throw e;
        }
        return { ok: true, what: 'data', tmpId: s.tmpId };
      }
      case MSG_REKEY: {
        // New keys salted with the uplink tag they replace: a key set is replaced at most once (§6).
        const keys = deriveSessionKeys(m.kbd, s.keys.upTag);
        const kbdId = hexKey(kbdFingerprint(m.kbd));
        wipe(m.kbd);
        if (this.sessions.findByKbd(kbdId)) {
          wipeSessionKeys(keys);
          return this.reject('kbd_collision');
        }
        this.sessions.rekey(s, packKeys(keys), kbdId);
        s.lastSeenAt = this.now();
        this.send(s, { type: MSG_REKEYED });
        this.log.info({ event: 'session_rekeyed', tmpId: s.tmpId }, 'session rekeyed');
        return { ok: true, what: 'rekey', tmpId: s.tmpId };
      }
      case MSG_COVER:
        // §3.5: authenticated and replay-checked like any cell (it used its seq), then dropped. It refreshes
        // the idle timer — the PDA is there, and with cover on its keepalives ride the same Poisson clock — but
        // does not count as DATA (no service sees it, it settles nothing, §7.6). answer=1 gets one COVER back,
        // the same size as any answer, so the downlink of a cover cell looks like that of a real cell answered.
        s.lastSeenAt = this.now();
        this.stats.coverIn++;
        if (m.answer === COVER_ANSWER) {
          this.stats.coverOut++;
          this.send(s, { type: MSG_COVER, answer: 0 });
        }
        return { ok: true, what: 'cover', tmpId: s.tmpId };
      case MSG_BYE:
        this.send(s, { type: MSG_BYE, reason: BYE_ACK });
        this.end(s, 'bye');
        return { ok: true, what: 'bye', tmpId: s.tmpId };
      default:
        return this.reject('unexpected_type');
    }
  }

  private ctxFor(s: Session): ServiceContext {
    return {
      tmpId: s.tmpId,
      state: s.service,
      // Services may answer later (e.g. after asking the bank); only while the session still lives.
      reply: (channel, payload) => {
        if (this.sessions.findByTmpId(s.tmpId) === s) this.send(s, { type: MSG_DATA, channel, payload });
      },
      settled: () => this.pending(s.tmpId) === false,
      changed: () => {
        if (this.tickets && this.sessions.findByTmpId(s.tmpId) === s) this.tickets.changed(s.tmpId);
      },
    };
  }

  /** What the services of the live session `tmpId` must keep if it resumes elsewhere or after a restart. */
  resumeState(tmpId: string): Record<string, unknown> {
    const s = this.sessions.findByTmpId(tmpId);
    const out: Record<string, unknown> = {};
    if (!s) return out;
    const ctx = this.ctxFor(s);
    for (const svc of this.services.values()) {
      const v = svc.resumeState?.(ctx);
      if (v !== undefined) out[svc.channel] = v;
    }
    return out;
  }

  /** The absolute end of the live session `tmpId` (maxSessionSec after its first JOIN), or undefined. */
  sessionExpiresAt(tmpId: string): number | undefined {
    return this.sessions.findByTmpId(tmpId)?.expiresAt;
  }

  /**
   * Another MSS took the session over (docs/handoff.md): erase it here without a cell — its PDA already left,
   * and a BYE on this air at that moment would only mark the time of the move.
   */
  handOver(tmpId: string): boolean {
    const s = this.sessions.findByTmpId(tmpId);
    if (!s) return false;
    this.end(s, 'handed_off');
    return true;
  }

  private end(s: Session, why: string): void {
    const tmpId = s.tmpId;
    this.sessions.remove(s);
    this.stats.ended[why] = (this.stats.ended[why] || 0) + 1;
    for (const svc of this.services.values()) svc.onEnd?.(tmpId, why);
    this.log.info({ event: 'session_ended', tmpId, why, sessions: this.sessions.size }, 'session ended');
  }

  /** Deliver DATA to the session holding `tmpId` (replies routed by TmpId). False if there is none. */
  deliver(tmpId: string, channel: number, payload: Uint8Array): boolean {
    const s = this.sessions.findByTmpId(tmpId);
    if (!s) return false;
    this.send(s, { type: MSG_DATA, channel, payload });
    return true;
  }

  /**
   * Is the session holding `tmpId` still pending (docs/protocol.md §7.6)? Pending = not settled with a service
   * that decides (payment: not paid yet) or, when no service decides, no authenticated DATA cell since ACCEPT.
   * undefined if no session holds `tmpId`.
   */
  pending(tmpId: string): boolean | undefined {
    const s = this.sessions.findByTmpId(tmpId);
    if (!s) return undefined;
    let decided = false;
    for (const svc of this.services.values()) {
      if (!svc.settled) continue;
      decided = true;
      if (!svc.settled(this.ctxFor(s))) return true;
    }
    return decided ? false : s.cellsUp === 0;
  }

  /** End a pending session to make room under load (§7.6); the PDA is told BYE(1), as for an idle timeout. */
  evict(tmpId: string): boolean {
    const s = this.sessions.findByTmpId(tmpId);
    if (!s) return false;
    this.send(s, { type: MSG_BYE, reason: BYE_IDLE_TIMEOUT });
    this.end(s, 'evicted_pending');
    return true;
  }

  /** End sessions past their idle or absolute limit (paper step 8: the MSS times sessions out). */
  tick(): void {
    const now = this.now();
    sessions: for (const s of this.sessions.all()) {
      for (const svc of this.services.values()) {
        const reason = svc.check?.(this.ctxFor(s), now);
        if (reason !== undefined) {
          this.send(s, { type: MSG_BYE, reason });
          this.end(s, 'service_' + reason);
          continue sessions;
        }
      }
      if (now >= s.expiresAt) {
        this.send(s, { type: MSG_BYE, reason: BYE_SESSION_LIMIT });
        this.end(s, 'session_limit');
      } else if (now - s.lastSeenAt >= s.idleTimeoutMs) {
        this.send(s, { type: MSG_BYE, reason: BYE_IDLE_TIMEOUT });
        this.end(s, 'idle_timeout');
      }
    }
  }

  /** End every session (shutdown), telling each PDA. */
  endAll(reason: number): void {
    for (const s of this.sessions.all()) {
      this.send(s, { type: MSG_BYE, reason });
      this.end(s, 'shutdown');
    }
  }
}
