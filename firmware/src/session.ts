/**
 * Bob's anonymous session: ONE explicit state machine (docs/protocol.md §8.1).
 *
 *   off --start--> starting --MQTT up--> listening --beacon ok--> joining --ACCEPT--> in_session
 *                      ^                       ^                        |
 *                      |                       +------------------------+  timeout (no answer): new K_BD
 *                      +------------------------------------------------+  REFUSE(TmpMAC in use / stale
 *                                                                           beacon): new TmpMAC
 *   end, BYE or failure in any of these -> closing -> wiped (start again: wiped --start--> starting)
 *
 *   in_session --handoff / link lost / MSS restarted, with a ticket--> moving --> starting --> … --> joining
 *   (RESUME with the ticket) --ACCEPT, same TmpId--> in_session. Paper §6.3: the TmpId, the apps' state and the
 *   paid time go on; TmpMAC, client id, K_BD and keys are new, so the air shows no identifier in common.
 *
 * The radio and broker connection come and go through ONE seam (link.ts): the session holds the radio
 * (RadioOwner) from `start` until it is wiped, so the home link cannot load the burned-in address in
 * between, and callbacks of a link the session has ended do nothing.
 *
 * Paper §5: before ANY traffic the TmpMAC is loaded into the unicast address register; the burned-in
 * address is never used in anonymous mode (a board that cannot write the register is refused).
 * Paper step 8: at the end every secret (K_BD, derived keys, TmpId, TmpMAC, buffers) is overwritten,
 * not just dropped, and nothing of the session is restored or stored.
 *
 * Runs on Espruino: callbacks, no Map/Set/async; all secrets are Uint8Arrays registered in `secrets`.
 */
import { equalBytes, isAllZero, toHex, utf8Encode, wipe } from '../../shared/src/bytes';
import { beaconExtension, checkPin, decodeBeacon, verifyBeaconSignature, type Beacon } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession, sessionCapacity } from '../../shared/src/protocol/cells';
import {
  BYE_NORMAL,
  BYE_SHUTDOWN,
  CHANNEL_ECHO,
  JOIN_NONCE_LEN,
  KBD_LEN,
  KIND_SESSION,
  MSG_ACCEPT,
  MSG_BYE,
  MSG_COVER,
  MSG_DATA,
  MSG_JOIN,
  MSG_REKEY,
  MSG_REKEYED,
  MSG_RENEW,
  MSG_RESUME,
  CHANNEL_TICKET,
  REFUSE_STALE_BEACON,
  REFUSE_TEXTS,
  REFUSE_TMPMAC_IN_USE,
  REFUSE_TICKET,
} from '../../shared/src/protocol/constants';
import { maxDataPayload, type Message, type TicketRef } from '../../shared/src/protocol/messages';
import { TICKET_ISSUED, decodeTicketPayload, encodeTicketRequest } from '../../shared/src/protocol/ticket';
import { openRefuse } from '../../shared/src/protocol/refuse';
import { ReplayWindow } from '../../shared/src/protocol/replay-window';
import { deriveSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { ANY_BEACON_TOPIC, beaconTopic, downTopic, mssIdFromBeaconTopic, upTopic } from '../../shared/src/protocol/topics';
import { formatMac, newTmpMac } from '../../shared/src/tmpmac';
import type { Board } from './board';
import { hasPins, pinBytes, type PdaConfig } from './config';
import { federationOf } from './federation-pin';
import type { EventSink } from './events';
import { joinKeys } from './precompute';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { claimRadio, radioLinkClass, radioOwner, type RadioLink } from './link';
import { coverClockClass, type CoverClock } from './cover';

/** What the session tells the rest of the firmware (apps): DATA that arrived, start and end. */
export interface SessionHooks {
  /** Return true if an app consumed the DATA; otherwise it is reported as a `data` event. */
  onData(channel: number, payload: Uint8Array): boolean;
  onJoined(): void;
  /** The session went on at another MSS, or at the same one after a restart (same TmpId; apps keep their state). */
  onResumed?(): void;
  onWiped(): void;
}
import type { MqttClient } from './mqtt/client';

export type State = 'off' | 'starting' | 'listening' | 'joining' | 'in_session' | 'moving' | 'closing' | 'wiped';

/** The only transitions the machine makes; anything else is a bug and is refused. */
const TRANSITIONS: { [from: string]: State[] } = {
  off: ['starting'],
  starting: ['listening', 'closing', 'wiped'],
  listening: ['joining', 'starting', 'closing', 'wiped'],
  joining: ['starting', 'listening', 'in_session', 'closing', 'wiped'],
  in_session: ['moving', 'closing', 'wiped'],
  moving: ['starting', 'closing', 'wiped'],
  closing: ['wiped'],
  wiped: ['starting'],
};

export interface SessionLimits {
  maxAttempts: number;
  joinTimeoutMs: number;
  byeTimeoutMs: number;
}

const DEFAULT_LIMITS: SessionLimits = { maxAttempts: 4, joinTimeoutMs: 15000, byeTimeoutMs: 3000 };
/** Attempts to come back with a ticket (a restarting MSS or broker may take a while), and the longest pause between them. */
const RESUME_ATTEMPTS = 12;
const RESUME_MAX_PAUSE_MS = 8000;
/** How long the PDA waits for the ticket it asked for before a hand-off. */
const TICKET_WAIT_MS = 4000;
const TICKET_TRIES = 3;

interface HeldTicket {
  ref: TicketRef;
  /** Board clock (ms) after which the issuer refuses it. */
  expiresAt: number;
}

interface Keyset {
  kbd: Uint8Array;
  keys: SessionKeys;
  topic: string;
  window: ReplayWindow;
  /** Key of a REFUSE to this keyset's JOIN (docs/protocol.md §3.3); null after the answer or for REKEY. */
  refuseKey: Uint8Array | null;
}

export class PdaSession {
  state: State = 'off';
  /** Every secret buffer of the current session, so wipe() can overwrite all of them. */
  secrets: Uint8Array[] = [];
  rejected: { [reason: string]: number } = {};

  private board: Board;
  private cfg: PdaConfig;
  private emit: EventSink;
  private limits: SessionLimits;
  private hooks: SessionHooks | null;
  private mqtt: MqttClient | null = null;
  /** The radio link of the current attempt; `closingLink` while it is being torn down. */
  private link: RadioLink | null = null;
  private closingLink: RadioLink | null = null;
  private attempt = 0;
  private startedAt = 0;
  private timer = -1;
  private keepalive = -1;
  private tmpMac: Uint8Array | null = null;
  private tmpIdBytes: Uint8Array | null = null;
  private beacon: Beacon | null = null;
  private verifiedSigned: Uint8Array | null = null;
  /** The pinned federation that vouched for `verifiedSigned`'s MSS ('' if it was pinned itself or none did). */
  private verifiedFederation = '';
  private cur: Keyset | null = null;
  private pending: Keyset | null = null;
  private upSeq = 0;
  private lastUpAt = 0;
  private idleTimeoutSec = 0;
  /** The Poisson clock every uplink cell of the session leaves on, when cover is configured (cover.ts). */
  private cover: CoverClock | null = null;
  /** The latest session ticket from the MSS (docs/handoff.md); its buffers are secrets of the session. */
  private ticket: HeldTicket | null = null;
  /** While moving: the ticket presented in the RESUME, and the MSS to resume at. */
  private resumeWith: HeldTicket | null = null;
  private target = '';
  /** A hand-off asked for: the MSS to move to once the fresh ticket arrives, and its broker if not ours. */
  private handoffTo = '';
  private handoffBroker: { host: string; port: number } | null = null;
  /** The broker this session uses when not the configured one (after a hand-off to an MSS on another network). */
  private broker: { host: string; port: number } | null = null;

  constructor(board: Board, cfg: PdaConfig, emit: EventSink, limits?: Partial<SessionLimits>, hooks?: SessionHooks) {
    this.hooks = hooks || null;
    this.board = board;
    this.cfg = cfg;
    this.emit = emit;
    this.limits = { maxAttempts: DEFAULT_LIMITS.maxAttempts, joinTimeoutMs: DEFAULT_LIMITS.joinTimeoutMs, byeTimeoutMs: DEFAULT_LIMITS.byeTimeoutMs };
    if (limits) {
      const ks = Object.keys(limits);
      for (let i = 0; i < ks.length; i++) (this.limits as any)[ks[i]] = (limits as any)[ks[i]];
    }
  }

  private go(to: State): void {
    const ok = TRANSITIONS[this.state];
    if (ok.indexOf(to) < 0) throw new Error('bad transition ' + this.state + ' -> ' + to);
    this.state = to;
    this.emit({ ev: 'state', state: to });
  }

  private secret(b: Uint8Array): Uint8Array {
    this.secrets.push(b);
    return b;
  }

  private count(reason: string): void {
    this.rejected[reason] = (this.rejected[reason] || 0) + 1;
    this.emit({ ev: 'rejected', reason: reason });
  }

  /** Begin an anonymous session (paper §2.4 anonymous mode). */
  start(): void {
    if (this.state !== 'off' && this.state !== 'wiped') throw new Error('session already running (' + this.state + ')');
    if (!this.board.radio.canSetMac()) {
      // Fail closed: without a writable address register the burned-in MAC would go on the air.
      this.emit({ ev: 'error', code: 'no_mac_write', msg: 'anonymous mode refused: this board cannot write its MAC address register' });
      return;
    }
    // Held until the wipe is complete (wipeAll), so the home identity cannot touch the radio meanwhile.
    if (!claimRadio(this.board, 'anonymous', this.emit)) return;
    this.attempt = 0;
    this.startedAt = this.board.clock.now();
    this.secrets = [];
    this.go('starting');
    this.newAttempt();
  }

  /** One attempt: a new TmpMAC, hostname and client id, brought up through a new radio link (link.ts). */
  private newAttempt(): void {
    // An `end` (or failure) that arrived while the previous attempt was torn down wins.
    if (this.state === 'closing' || this.state === 'wiped' || this.state === 'off') return;
    if (this.state !== 'starting') this.go('starting');
    this.attempt++;
    if (this.attempt > this.maxAttempts()) return this.fail('join failed after ' + this.maxAttempts() + ' attempts');
    if (this.resumeWith && this.resumeWith.expiresAt <= this.board.clock.now()) return this.fail('session ticket expired before the session could go on');
    const self = this;
    const mac = this.secret(newTmpMac(this.board.random));
    this.tmpMac = mac;
    const clientId = 'c' + toHex(this.board.random(9));
    const Link = radioLinkClass();
    const b = this.broker;
    const linkCfg: PdaConfig = b ? { brokerHost: b.host, brokerPort: b.port, mssId: this.cfg.mssId, pins: this.cfg.pins, fedPins: this.cfg.fedPins, cover: this.cfg.cover } : this.cfg;
    const l = new Link(this.board, linkCfg, { mac: mac, hostname: 'h' + toHex(this.board.random(6)), clientId: clientId, maxPacket: 8192, scrubMac: true }, {
      onUp: function (m) {
        if (self.link !== l || self.state !== 'starting') return;
        self.mqtt = m;
        self.emit({ ev: 'connected', tmpMac: formatMac(mac), clientId: clientId, attempt: self.attempt });
        self.go('listening');
        const want = self.target || self.cfg.mssId;
        const t = want ? beaconTopic(want) : ANY_BEACON_TOPIC;
        m.subscribe(t, function (e) {
          if (e && self.link === l) self.fail('subscribe beacon: ' + e);
        });
        // Coming back to an MSS that is restarting: its beacon may take a while; look again on a new attempt.
        if (self.resumeWith)
          self.setTimer(self.limits.joinTimeoutMs, function () {
            if (self.link === l && self.state === 'listening') self.retryResume('no beacon');
          });
      },
      onMessage: function (topic, payload) {
        if (self.link === l) self.onMessage(topic, payload);
      },
      onFail: function (msg) {
        if (self.link !== l) return;
        // Coming back with a ticket: the broker or the MSS may still be restarting. Try again, with pauses.
        if (self.resumeWith && (self.state === 'starting' || self.state === 'listening' || self.state === 'joining')) return self.retryResume(msg);
        if (self.state === 'in_session' && self.canResume()) return self.move('', 'link_lost');
        self.fail(msg);
      },
    });
    this.link = l;
    l.open();
  }

  private maxAttempts(): number {
    return this.resumeWith ? RESUME_ATTEMPTS : this.limits.maxAttempts;
  }

  /** A ticket that the MSS will still take (a margin for the way there). */
  private canResume(): boolean {
    return !!this.ticket && this.ticket.expiresAt - this.board.clock.now() > 2000;
  }

  private retryResume(msg: string): void {
    const self = this;
    this.emit({ ev: 'resume_retry', attempt: this.attempt, msg: msg });
    const pause = Math.min(RESUME_MAX_PAUSE_MS, 500 * Math.pow(2, this.attempt));
    this.teardownTransport(function () {
      if (self.state === 'closing' || self.state === 'wiped') return;
      if (self.state !== 'starting') self.go('starting');
      self.wipeTransport();
      self.setTimer(pause, function () {
        self.newAttempt();
      });
    });
  }

  private onMessage(topic: string, payload: Uint8Array): void {
    try {
      if (this.state === 'listening' && mssIdFromBeaconTopic(topic)) return this.onBeacon(topic, payload);
      if (this.state === 'in_session' && mssIdFromBeaconTopic(topic)) return this.onBeaconInSession(topic, payload);
      if (this.cur && topic === this.cur.topic) return this.onDown(this.cur, payload);
      if (this.pending && topic === this.pending.topic) return this.onDown(this.pending, payload);
    } catch (e) {
      this.count((e as any).reason || 'error');
    }
  }

  private onBeacon(topic: string, payload: Uint8Array): void {
    if (payload.length === 0) return; // beacon withdrawn
    const b = decodeBeacon(payload);
    if (b.mssId !== mssIdFromBeaconTopic(topic)) return this.count('beacon_topic_mismatch');
    if (this.target && b.mssId !== this.target) return this.count('other_mss');
    const pin = checkPin(pinBytes(this.cfg), b);
    if (pin === 'mismatch') {
      this.emit({ ev: 'error', code: 'pin_mismatch', msg: 'beacon of ' + b.mssId + ' has an identity key other than the pinned one; refused' });
      return this.count('pin_mismatch');
    }
    // Verify only when the signed part changed (Ed25519 on Espruino costs seconds); the membership certificate
    // of a pinned federation (docs/federation.md) is checked in the same step, for an MSS with no pin of its own.
    let federation = '';
    if (!this.verifiedSigned || !equalBytes(this.verifiedSigned, b.signed)) {
      if (pin === 'unpinned' && hasPins(this.cfg)) {
        federation = federationOf(this.cfg, b);
        if (!federation) return this.count('unpinned_mss');
      }
      if (!verifyBeaconSignature(b)) return this.count('bad_beacon_signature');
      this.verifiedSigned = b.signed;
      this.verifiedFederation = federation;
    } else federation = this.verifiedFederation;
    if (pin === 'unpinned' && hasPins(this.cfg) && !federation) return this.count('unpinned_mss');
    this.beacon = b;
    this.emit({ ev: 'beacon', mssId: b.mssId, identityKey: toHex(b.identityKey), pinned: pin === 'pinned', federation: federation, cellSize: b.cellSize });
    this.join();
  }

  /**
   * In session, the beacon of our MSS with a signed part we have not seen: the MSS restarted (its beacon's
   * issuedAt is its start) and forgot our keys. With a ticket, come back under a new TmpMAC and K_BD.
   */
  private onBeaconInSession(topic: string, payload: Uint8Array): void {
    if (payload.length === 0 || !this.beacon || mssIdFromBeaconTopic(topic) !== this.beacon.mssId) return;
    const b = decodeBeacon(payload);
    if (b.mssId !== this.beacon.mssId || !equalBytes(b.identityKey, this.beacon.identityKey)) return this.count('beacon_changed_key');
    if (this.verifiedSigned && equalBytes(this.verifiedSigned, b.signed)) return;
    if (!verifyBeaconSignature(b)) return this.count('bad_beacon_signature');
    this.verifiedSigned = b.signed;
    if (this.canResume()) this.move('', 'mss_restarted');
  }

  /** The key set of a fresh K_BD; `context` is the JOIN's epk or the upTag of the keys a REKEY replaces (§6). */
  private newKeyset(kbd: Uint8Array, context: Uint8Array): Keyset {
    const keys = deriveSessionKeys(kbd, context);
    this.secret(keys.upKey);
    this.secret(keys.downKey);
    this.secret(keys.upTag);
    this.secret(keys.downTag);
    return { kbd: kbd, keys: keys, topic: downTopic(this.beacon!.mssId, keys.downTag), window: new ReplayWindow(), refuseKey: null };
  }

  /** Paper step 2: JOIN = {K_BD, proposed TmpMAC, nonce} sealed to the MSS key from the beacon. */
  private join(): void {
    const self = this;
    const b = this.beacon!;
    this.dropKeyset(this.cur);
    // The key set is salted with this JOIN's ephemeral public key, so epk is needed before the downlink
    // topic can be subscribed (precomputed while idle where possible: precompute.ts).
    const kbd = this.secret(this.board.random(KBD_LEN));
    const eph = joinKeys(this.board).take();
    const esk = this.secret(eph.secret);
    const epk = eph.publicKey ? eph.publicKey : x25519Base(esk);
    const ks = this.newKeyset(kbd, epk);
    this.cur = ks;
    this.upSeq = 0;
    this.go('joining');
    this.mqtt!.subscribe(ks.topic, function (err) {
      if (err) return self.fail('subscribe downlink: ' + err);
      if (self.cur !== ks || self.state !== 'joining') return;
      const nonce = self.secret(self.board.random(JOIN_NONCE_LEN));
      const r = self.resumeWith;
      const sealed = r
        ? sealJoin(b.boxKey, { type: MSG_RESUME, kbd: ks.kbd, tmpMac: self.tmpMac!, joinNonce: nonce, beaconNonce: b.beaconNonce, ticket: r.ref }, b.cellSize, esk, epk)
        : sealJoin(b.boxKey, { type: MSG_JOIN, kbd: ks.kbd, tmpMac: self.tmpMac!, joinNonce: nonce, beaconNonce: b.beaconNonce }, b.cellSize, esk, epk);
      ks.refuseKey = self.secret(sealed.refuseKey);
      self.mqtt!.publish(upTopic(b.mssId), sealed.cell);
      self.setTimer(self.limits.joinTimeoutMs, function () {
        // No answer: lost, or our K_BD collided (the MSS does not answer the newcomer). New K_BD.
        self.emit({ ev: 'join_timeout', attempt: self.attempt });
        self.attempt++;
        if (self.attempt > self.maxAttempts()) return self.fail('no answer to JOIN');
        self.go('listening');
        self.join();
      });
    });
  }

  private onDown(ks: Keyset, cell: Uint8Array): void {
    const h = decodeCellHeader(cell, this.beacon!.cellSize);
    if (h.kind !== KIND_SESSION) return this.count('bad_kind');
    if (!equalBytes(h.tag, ks.keys.downTag)) return this.count('bad_tag');
    // While joining, a cell with seq ≠ 0 can only be a REFUSE: sealed under the JOIN's refuse key with
    // nonce = reason, never under the session keys (docs/protocol.md §7.1).
    if (this.state === 'joining' && ks === this.cur && ks.refuseKey && h.seq !== 0) {
      const reason = openRefuse(ks.refuseKey, cell, h.seq);
      return this.refused(reason);
    }
    const w = ks.window.check(h.seq);
    if (w !== 'ok') return this.count(w);
    const m = openSession(ks.keys.downKey, cell, h.seq, DIR_DOWN);
    ks.window.accept(h.seq);
    this.dispatch(ks, m);
  }

  private dispatch(ks: Keyset, m: Message): void {
    // A cover cell from the MSS (§3.5) authenticated and used its seq; nothing else to do.
    if (m.type === MSG_COVER) return;
    if (this.state === 'joining' && ks === this.cur) {
      if (m.type === MSG_ACCEPT && this.resumeWith) return this.resumed(ks, m.tmpId, m.idleTimeoutSec);
      if (m.type === MSG_ACCEPT) {
        this.clearTimer();
        if (ks.refuseKey) wipe(ks.refuseKey);
        ks.refuseKey = null;
        this.tmpIdBytes = this.secret(utf8Encode(m.tmpId));
        this.idleTimeoutSec = m.idleTimeoutSec;
        this.go('in_session');
        this.lastUpAt = this.board.clock.now();
        this.scheduleKeepalive();
        this.startCover();
        this.emit({
          ev: 'joined',
          tmpId: m.tmpId,
          tmpMac: formatMac(this.tmpMac!),
          joinMs: this.board.clock.now() - this.startedAt,
          attempts: this.attempt,
          idleTimeoutSec: m.idleTimeoutSec,
          maxSessionSec: m.maxSessionSec,
        });
        if (this.hooks) this.hooks.onJoined();
        return;
      }
      return this.count('unexpected_type');
    }
    if (this.state === 'in_session') {
      if (ks === this.pending && m.type === MSG_REKEYED) {
        const old = this.cur;
        this.cur = ks;
        this.pending = null;
        this.upSeq = 0;
        this.dropKeyset(old);
        this.emit({ ev: 'rekeyed' });
        return;
      }
      if (ks !== this.cur) return this.count('unexpected_type');
      if (m.type === MSG_DATA && m.channel === CHANNEL_TICKET) return this.onTicket(m.payload);
      if (m.type === MSG_DATA) {
        if (!this.hooks || !this.hooks.onData(m.channel, m.payload)) this.emit({ ev: 'data', channel: m.channel, payload: toHex(m.payload) });
        return;
      }
      if (m.type === MSG_RENEW) return this.renew();
      if (m.type === MSG_BYE) {
        this.emit({ ev: 'bye', reason: m.reason });
        // The MSS shuts down (BYE 4) but keeps our route: come back with the ticket once it is up again.
        if (m.reason === BYE_SHUTDOWN && this.canResume()) return this.move('', 'mss_shutdown');
        return this.close(false);
      }
      return this.count('unexpected_type');
    }
    if (this.state === 'closing' && m.type === MSG_BYE) {
      this.clearTimer();
      return this.finish();
    }
    this.count('unexpected_type');
  }

  /** A ticket from the MSS (channel 0x40): keep the latest; a hand-off waiting for it goes now. */
  private onTicket(payload: Uint8Array): void {
    const t = decodeTicketPayload(payload);
    if (t.op !== TICKET_ISSUED) return this.count('bad_ticket');
    const i = t.issued;
    if (this.beacon && i.ticket.issuer !== this.beacon.mssId) return this.count('bad_ticket');
    if (this.ticket) {
      wipe(this.ticket.ref.id);
      wipe(this.ticket.ref.secret);
    }
    this.ticket = { ref: { issuer: i.ticket.issuer, id: this.secret(i.ticket.id), secret: this.secret(i.ticket.secret) }, expiresAt: this.board.clock.now() + i.validSec * 1000 };
    wipe(payload);
    this.emit({ ev: 'ticket', issuer: i.ticket.issuer, validSec: i.validSec });
    if (this.handoffTo) {
      const to = this.handoffTo;
      this.handoffTo = '';
      if (this.handoffBroker) this.broker = this.handoffBroker;
      this.handoffBroker = null;
      this.move(to, 'handoff');
    }
  }

  /**
   * Hand the session off to MSS `mssId` (paper §6.3): ask for a fresh ticket, then leave this MSS and resume
   * there with it under a new TmpMAC, client id and K_BD.
   */
  handoff(mssId: string, broker?: { host: string; port: number }): void {
    if (this.state !== 'in_session') throw new Error('no session');
    if (this.handoffTo) throw new Error('hand-off already under way');
    const self = this;
    this.handoffTo = mssId;
    this.handoffBroker = broker || null;
    let tries = 0;
    const ask = function () {
      if (self.handoffTo !== mssId || self.state !== 'in_session') return;
      // A request or its answer lost on the air: ask again, a few times.
      if (tries++ >= TICKET_TRIES) {
        self.handoffTo = '';
        return self.emit({ ev: 'error', code: 'handoff_failed', msg: 'no ticket from the MSS' });
      }
      self.sendMsg({ type: MSG_DATA, channel: CHANNEL_TICKET, payload: encodeTicketRequest() });
      self.board.clock.setTimeout(ask, TICKET_WAIT_MS);
    };
    ask();
  }

  /**
   * Leave the current MSS and come back at `to` ('' = the same one) with the ticket: everything of the air is
   * erased (keys, TmpMAC, client id); the TmpId, the ticket and the apps' state stay.
   */
  private move(to: string, why: string): void {
    const self = this;
    const t = this.ticket!;
    this.ticket = null;
    this.resumeWith = t;
    const from = this.beacon ? this.beacon.mssId : '';
    this.target = to || from;
    this.go('moving');
    this.emit({ ev: 'moving', from: from, to: this.target, why: why });
    this.teardownTransport(function () {
      if (self.state !== 'moving') return;
      self.wipeTransport();
      self.attempt = 0;
      self.startedAt = self.board.clock.now();
      self.go('starting');
      self.newAttempt();
    });
  }

  /** ACCEPT to our RESUME: the same TmpId goes on here. */
  private resumed(ks: Keyset, tmpId: string, idleTimeoutSec: number): void {
    this.clearTimer();
    if (ks.refuseKey) wipe(ks.refuseKey);
    ks.refuseKey = null;
    const mine = this.tmpIdBytes;
    if (!mine || !equalBytes(mine, utf8Encode(tmpId))) return this.fail('MSS resumed another TmpId');
    const r = this.resumeWith!;
    wipe(r.ref.id);
    wipe(r.ref.secret);
    this.resumeWith = null;
    this.target = '';
    this.idleTimeoutSec = idleTimeoutSec;
    this.go('in_session');
    this.lastUpAt = this.board.clock.now();
    this.scheduleKeepalive();
    this.startCover();
    // The first cell under the new keys tells the MSS its ACCEPT arrived (until then a lost ACCEPT may be retried
    // with the same ticket, docs/handoff.md §3); a fresh session's first cell (its PAY) comes as soon.
    this.sendMsg({ type: MSG_DATA, channel: CHANNEL_ECHO, payload: new Uint8Array(0) });
    this.emit({ ev: 'resumed', tmpId: tmpId, mssId: this.beacon!.mssId, tmpMac: formatMac(this.tmpMac!), ms: this.board.clock.now() - this.startedAt, attempts: this.attempt });
    if (this.hooks && this.hooks.onResumed) this.hooks.onResumed();
  }

  /** The MSS refused our JOIN (paper step 3): start over where a new attempt can succeed, else give up. */
  private refused(reason: number): void {
    const self = this;
    this.clearTimer();
    const text = REFUSE_TEXTS[reason];
    this.emit({ ev: 'refused', reason: reason, text: text });
    if (reason === REFUSE_TICKET) return this.fail('session ticket refused: the session cannot go on');
    if (reason === REFUSE_TMPMAC_IN_USE || reason === REFUSE_STALE_BEACON) {
      // Start over: new TmpMAC (so the radio re-associates), new client id, new K_BD.
      return this.teardownTransport(function () {
        if (self.resumeWith) self.wipeTransport();
        else self.wipeSecrets();
        self.newAttempt();
      });
    }
    this.fail('refused by MSS: ' + text);
  }

  /** Paper step 2, K_BD collision: the MSS asked us to pick a new K_BD. */
  private renew(): void {
    if (this.pending) return;
    const self = this;
    const ks = this.newKeyset(this.secret(this.board.random(KBD_LEN)), this.cur!.keys.upTag);
    this.pending = ks;
    this.mqtt!.subscribe(ks.topic, function (err) {
      if (err) return self.fail('subscribe downlink: ' + err);
      self.sendMsg({ type: MSG_REKEY, kbd: ks.kbd });
    });
  }

  /** Every uplink message of a session: on the cover clock when cover is on, at once otherwise. */
  private sendMsg(m: Message): void {
    if (this.cover) return this.cover.enqueue(m);
    this.sealAndPublish(m);
  }

  /** Seal `m` as the next uplink cell (next seq: one key, one nonce, §3.4) and publish it. */
  private sealAndPublish(m: Message): void {
    const ks = this.cur!;
    const cell = sealSession(ks.keys.upKey, ks.keys.upTag, this.upSeq++, DIR_UP, m, this.beacon!.cellSize);
    this.lastUpAt = this.board.clock.now();
    this.mqtt!.publish(upTopic(this.beacon!.mssId), cell);
  }

  /** Send DATA on a channel of the live session (apps: payment, mail). */
  send(channel: number, payload: Uint8Array): void {
    if (this.state !== 'in_session') throw new Error('no session');
    if (payload.length > maxDataPayload(sessionCapacity(this.beacon!.cellSize))) throw new Error('payload too large for one cell');
    this.sendMsg({ type: MSG_DATA, channel: channel, payload: payload });
  }

  /** Cover cells (docs/protocol.md §3.5) from ACCEPT to the BYE; never in home mode (home.ts sends no cells). */
  private startCover(): void {
    if (!this.cfg.cover) return;
    const self = this;
    const Cover = coverClockClass();
    this.cover = new Cover(this.board.clock, this.board.random, this.cfg.cover, function (m) {
      if (self.mqtt && self.cur) self.sealAndPublish(m);
    });
    this.cover.start();
  }

  private scheduleKeepalive(): void {
    const self = this;
    const every = Math.max(1000, (this.idleTimeoutSec * 1000) / 3);
    this.keepalive = this.board.clock.setTimeout(function () {
      self.keepalive = -1;
      if (self.state !== 'in_session') return;
      // With cover on, the clock's own cells keep the session alive (§3.5); an echo would only wait in its queue.
      if (!self.cover && self.board.clock.now() - self.lastUpAt >= every) self.sendMsg({ type: MSG_DATA, channel: CHANNEL_ECHO, payload: new Uint8Array(0) });
      self.scheduleKeepalive();
    }, every);
  }

  /** End the session (paper step 8): BYE, wait for the MSS's BYE, then erase everything. */
  end(): void {
    if (this.state === 'in_session') return this.close(true);
    if (this.state === 'moving') return this.close(false);
    if (this.state === 'off' || this.state === 'wiped' || this.state === 'closing') return;
    this.close(false);
  }

  private close(sayBye: boolean): void {
    const self = this;
    this.clearTimer();
    this.go('closing');
    if (sayBye && this.mqtt && this.cover) {
      // The BYE leaves on the clock after what waits, so the end of a session does not show a burst either.
      const c = this.cover;
      // Bounded: what waits gets three mean gaps a cell, then the session ends without waiting longer.
      this.setTimer(this.limits.byeTimeoutMs + ((c.queued() + 1) * 3 * 60000) / this.cfg.cover!.ratePerMin, function () {
        self.finish();
      });
      c.drain({ type: MSG_BYE, reason: BYE_NORMAL }, function () {
        if (self.cover !== c || self.state !== 'closing') return;
        self.setTimer(self.limits.byeTimeoutMs, function () {
          self.finish();
        });
      });
    } else if (sayBye && this.mqtt) {
      this.sendMsg({ type: MSG_BYE, reason: BYE_NORMAL });
      this.setTimer(this.limits.byeTimeoutMs, function () {
        self.finish();
      });
    } else this.finish();
  }

  private finish(): void {
    const self = this;
    this.teardownTransport(function () {
      self.wipeAll();
    });
  }

  private fail(msg: string): void {
    this.emit({ ev: 'error', code: 'session_failed', msg: msg });
    const self = this;
    this.teardownTransport(function () {
      self.wipeAll();
    });
  }

  /** MQTT end, wipe, radio down, TmpMAC scrubbed (link.ts); `done` once all of it is finished. */
  private teardownTransport(done: () => void): void {
    const self = this;
    this.clearTimer();
    if (this.keepalive >= 0) this.board.clock.clearTimeout(this.keepalive);
    this.keepalive = -1;
    if (this.cover) this.cover.stop();
    this.cover = null;
    this.mqtt = null;
    const l = this.link || this.closingLink;
    this.link = null;
    if (!l) return done();
    // A second teardown (end during a failure, failure during an end) waits for the same one.
    this.closingLink = l;
    l.close(function () {
      if (self.closingLink === l) self.closingLink = null;
      done();
    });
  }

  private dropKeyset(ks: Keyset | null): void {
    if (!ks) return;
    if (this.mqtt) this.mqtt.unsubscribe(ks.topic, function () {});
    wipe(ks.kbd);
    wipe(ks.keys.upKey);
    wipe(ks.keys.downKey);
    wipe(ks.keys.upTag);
    wipe(ks.keys.downTag);
    if (ks.refuseKey) wipe(ks.refuseKey);
    ks.refuseKey = null;
    ks.window.reset();
  }

  private wipeSecrets(): void {
    for (let i = 0; i < this.secrets.length; i++) wipe(this.secrets[i]);
    this.cur = null;
    this.pending = null;
    this.tmpMac = null;
    this.tmpIdBytes = null;
    this.upSeq = 0;
    this.ticket = null;
    this.resumeWith = null;
    this.target = '';
    this.handoffTo = '';
    this.handoffBroker = null;
    this.broker = null;
  }

  /** Erase what belongs to the air of one attempt (keys, TmpMAC); the TmpId, ticket and apps' buffers stay. */
  private wipeTransport(): void {
    this.dropKeyset(this.cur);
    this.dropKeyset(this.pending);
    if (this.tmpMac) wipe(this.tmpMac);
    this.cur = null;
    this.pending = null;
    this.tmpMac = null;
    this.upSeq = 0;
  }

  /** True if every secret this session held is now all zero. */
  secretsErased(): boolean {
    for (let i = 0; i < this.secrets.length; i++) if (!isAllZero(this.secrets[i])) return false;
    return true;
  }

  private wipeAll(): void {
    if (this.state === 'wiped') return;
    this.wipeSecrets();
    // A key pair made during this session never serves the next one; the next session's is made now, while idle.
    joinKeys(this.board).discard();
    joinKeys(this.board).prepare();
    this.beacon = null;
    this.idleTimeoutSec = 0;
    const ok = this.secretsErased() && this.cur === null && this.tmpMac === null && this.tmpIdBytes === null && this.mqtt === null && this.link === null;
    const n = this.secrets.length;
    this.secrets = [];
    this.state = 'wiped';
    // The radio is down and its register scrubbed (teardownTransport ran first): free it.
    radioOwner(this.board).release('anonymous');
    this.emit({ ev: 'state', state: 'wiped' });
    this.emit({ ev: 'wiped', ok: ok, buffers: n });
    if (this.hooks) this.hooks.onWiped();
  }

  /** TmpId of the live session, '' otherwise. */
  tmpId(): string {
    if (!this.tmpIdBytes || this.state !== 'in_session') return '';
    let s = '';
    for (let i = 0; i < this.tmpIdBytes.length; i++) s += String.fromCharCode(this.tmpIdBytes[i]);
    return s;
  }

  /** An extension of the current MSS's beacon, or null. */
  beaconExtension(type: number): Uint8Array | null {
    return this.beacon ? beaconExtension(this.beacon, type) : null;
  }

  /** The MSS whose verified beacon this session joined, as `<mssId>/<identity key hex>`; '' before that. */
  mss(): string {
    return this.beacon ? this.beacon.mssId + '/' + toHex(this.beacon.identityKey) : '';
  }

  /** Register a buffer an app holds for this session, so the wipe overwrites it too. */
  holdSecret(b: Uint8Array): Uint8Array {
    return this.secret(b);
  }

  private setTimer(ms: number, fn: () => void): void {
    this.clearTimer();
    const self = this;
    this.timer = this.board.clock.setTimeout(function () {
      self.timer = -1;
      fn();
    }, ms);
  }

  private clearTimer(): void {
    if (this.timer >= 0) this.board.clock.clearTimeout(this.timer);
    this.timer = -1;
  }
}

