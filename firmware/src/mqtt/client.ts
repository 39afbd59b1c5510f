/**
 * A small MQTT 3.1.1 client for the PDA (OASIS Standard 2014; "§" cites it), over the board's TCP
 * socket (firmware/src/board.ts). One instance serves one connection: Clean Session = 1 and a
 * per-session random client id mean nothing survives a session (§3.1.2.4), so there is no
 * reconnect and no retransmission; a new session makes a new client.
 *
 * Supported: CONNECT with optional user name/password, SUBSCRIBE/UNSUBSCRIBE (one filter each,
 * QoS 0 or 1 requested), PUBLISH QoS 0/1 with retain, incoming PUBLISH QoS 0/1 (PUBACK sent),
 * keep-alive with PINGREQ and a dead-peer timeout, DISCONNECT.
 *
 * Callbacks: API misuse (bad topic, not connected, ...) is reported through the callback on a later
 * tick, never synchronously and never by throwing. Any protocol violation by the broker closes the
 * connection (§4.8). User callbacks must not throw.
 *
 * Runs on Espruino: callbacks only, no Map/Set/async/destructuring/spread/optional chaining.
 */
import type { Clock, Net, Socket } from '../board';
import { DecodeError, copyBytes, wipe as wipeBytes } from '../../../shared/src/bytes';
import { mqttFramerClass, type MqttFramer } from './stream';
import { CONNACK, PINGRESP, PUBACK, PUBLISH, SUBACK, SUBACK_FAILURE, UNSUBACK, mqttPackets } from './packets';
import type { IncomingPacket, QoS } from './packets';

export interface MqttClientOptions {
  host: string;
  port: number;
  /**
   * 1..23 characters of [0-9a-zA-Z], which every server must accept (MQTT 3.1.1 [MQTT-3.1.3-5]). An
   * anonymous session passes a fresh random one so the id links nothing across sessions.
   */
  clientId: string;
  /** §3.1.2.10; default 60, 0 turns keep-alive (and dead-peer detection) off. */
  keepaliveSec?: number;
  /** Largest incoming packet accepted, fixed header included; default 4096. */
  maxPacket?: number;
  username?: string;
  /** Sent as binary data (§3.1.3.5); a Uint8Array is copied and the copy wiped by wipe(). */
  password?: string | Uint8Array;
  /** TCP connect + CONNACK must finish within this; default 10000 ms. */
  connectTimeoutMs?: number;
  /** SUBACK/UNSUBACK/PUBACK must arrive within this, else the connection is closed; default 10000 ms. */
  ackTimeoutMs?: number;
  /** PINGRESP must arrive within this after a PINGREQ; default min(keepalive, 10000 ms). */
  pingTimeoutMs?: number;
  /** How long end() waits for the socket to report closed; default 2000 ms. */
  closeTimeoutMs?: number;
  /** Outstanding SUBSCRIBE/UNSUBSCRIBE/QoS 1 PUBLISH at most; default 16. */
  maxInflight?: number;
}

export interface PublishOptions {
  retain?: boolean;
  qos?: QoS;
}

export type MessageHandler = (topic: string, payload: Uint8Array, retained: boolean) => void;

const IDLE = 0;
const CONNECTING = 1;
const CONNECTED = 2;
const CLOSING = 3;
const CLOSED = 4;

const KIND_PUB = 1;
const KIND_SUB = 2;
const KIND_UNSUB = 3;

interface Pending {
  id: number;
  kind: number;
  /** Requested QoS of a SUBSCRIBE (the broker may grant less, never more, §3.9.3). */
  qos: number;
  cb: ((err?: string, granted?: number) => void) | undefined;
  timer: number | undefined;
}

/**
 * The client class and the packet codec it uses are made when the first link opens (mqttClientClass(),
 * called by link.ts), not at boot: on Espruino every function that exists costs variables
 * (docs/crypto-speed.md, variables after boot).
 */
function buildClient() {
  const P = mqttPackets();
  const checkTopicFilter = P.checkTopicFilter;
  const checkTopicName = P.checkTopicName;
  const connackReason = P.connackReason;
  const decodePacket = P.decodePacket;
  const encodeConnect = P.encodeConnect;
  const encodeDisconnect = P.encodeDisconnect;
  const encodePingreq = P.encodePingreq;
  const encodePuback = P.encodePuback;
  const encodePublish = P.encodePublish;
  const encodeSubscribe = P.encodeSubscribe;
  const encodeUnsubscribe = P.encodeUnsubscribe;
  const Framer = mqttFramerClass();

  function opt(v: number | undefined, dflt: number): number {
    return v === undefined ? dflt : v;
  }

  class MqttClient {
    private net: Net;
    private clock: Clock;
    private host: string;
    private port: number;
    private clientId: string;
    private username: string | undefined;
    private password: string | Uint8Array | undefined;
    private keepaliveMs: number;
    private connectTimeoutMs: number;
    private ackTimeoutMs: number;
    private pingTimeoutMs: number;
    private closeTimeoutMs: number;
    private maxInflight: number;
    private framer: MqttFramer;

    private state = IDLE;
    private everConnected = false;
    private sock: Socket | null = null;
    private tcpUp = false;
    private connectSent = false;
    private connectPkt: Uint8Array | null = null;
    private connectCb: ((err?: string) => void) | undefined;
    private closeErr: string | undefined;
    private endCbs: (() => void)[] = [];
    private pending: Pending[] = [];
    private nextId = 1;
    private msgFn: MessageHandler | undefined;
    private closeFn: ((err?: string) => void) | undefined;

    private connTimer: number | undefined;
    private kaTimer: number | undefined;
    private pingTimer: number | undefined;
    private endTimer: number | undefined;

    constructor(net: Net, clock: Clock, opts: MqttClientOptions) {
      this.net = net;
      this.clock = clock;
      this.host = opts.host;
      this.port = opts.port;
      this.clientId = opts.clientId;
      this.username = opts.username;
      this.password = typeof opts.password === 'string' || opts.password === undefined ? opts.password : copyBytes(opts.password);
      this.keepaliveMs = opt(opts.keepaliveSec, 60) * 1000;
      this.connectTimeoutMs = opt(opts.connectTimeoutMs, 10000);
      this.ackTimeoutMs = opt(opts.ackTimeoutMs, 10000);
      this.pingTimeoutMs = opt(opts.pingTimeoutMs, Math.min(this.keepaliveMs, 10000));
      this.closeTimeoutMs = opt(opts.closeTimeoutMs, 2000);
      this.maxInflight = opt(opts.maxInflight, 16);
      // Throws Error for a nonsensical maxPacket: a programming error, not a runtime condition.
      this.framer = new Framer(opt(opts.maxPacket, 4096));
    }

    /** True between a successful CONNACK and the start of closing. */
    isConnected(): boolean {
      return this.state === CONNECTED;
    }

    /** Handler for every incoming application message; the payload is a fresh copy the handler owns. */
    onMessage(fn: MessageHandler): void {
      this.msgFn = fn;
    }

    /**
     * Fires exactly once when a connection that was accepted (connect cb without error) ends:
     * `err` is undefined after end(), set otherwise (broker closed, keep-alive timeout, protocol error).
     * A connect attempt that fails reports only through the connect callback.
     */
    onClose(fn: (err?: string) => void): void {
      this.closeFn = fn;
    }

    /** Open TCP, send CONNECT and wait for CONNACK (§3.1, §3.2). cb() on acceptance, cb(err) otherwise. */
    connect(cb: (err?: string) => void): void {
      if (this.state !== IDLE) return this.later(cb, 'connect: client already used');
      let bad: string | undefined;
      if (typeof this.clientId !== 'string' || this.clientId.length === 0) bad = 'connect: empty client id';
      else if (!(this.keepaliveMs >= 0 && this.keepaliveMs <= 65535000 && this.keepaliveMs % 1000 === 0)) bad = 'connect: bad keepalive';
      else if (this.password !== undefined && this.username === undefined) bad = 'connect: password needs a username';
      if (!bad) {
        try {
          // Encode now so that bad strings are reported here, before any traffic.
          this.connectPkt = encodeConnect({
            clientId: this.clientId,
            keepaliveSec: this.keepaliveMs / 1000,
            username: this.username,
            password: this.password,
          });
        } catch (e) {
          bad = 'connect: ' + (e as Error).message;
        }
      }
      if (bad) return this.later(cb, bad);
      this.state = CONNECTING;
      this.connectCb = cb;
      this.connTimer = this.clock.setTimeout(() => {
        this.connTimer = undefined;
        this.shutdown('connect timeout', false);
      }, this.connectTimeoutMs);
      let sock: Socket;
      try {
        sock = this.net.connect(this.host, this.port, {
          onConnect: () => this.onTcpConnect(),
          onData: (d: Uint8Array) => this.onData(d),
          onClose: (err?: string) => this.onSocketClose(err),
        });
      } catch (e) {
        this.shutdown('tcp connect failed', false);
        return;
      }
      // onConnect/onClose may already have run inside net.connect on some boards.
      if (this.state === CONNECTING) {
        this.sock = sock;
        if (this.tcpUp) this.sendConnect();
      } else if (this.state === CLOSING) {
        this.sock = sock;
        this.endSocket();
      }
    }

    /**
     * SUBSCRIBE to one topic filter (§3.8) with requested QoS 0 (default) or 1.
     * cb(undefined, grantedQos) on success, cb(err) if refused (SUBACK 0x80) or the connection ends.
     */
    subscribe(topic: string, cb: (err?: string, grantedQos?: number) => void, qos?: QoS): void {
      const q = qos === undefined ? 0 : qos;
      if (q !== 0 && q !== 1) return this.later(cb, 'subscribe: qos must be 0 or 1');
      const bad = checkTopicFilter(topic);
      if (bad) return this.later(cb, 'subscribe: ' + bad);
      const id = this.admit(cb, 'subscribe');
      if (id === 0) return;
      this.track(id, KIND_SUB, q, cb);
      this.send(encodeSubscribe(id, [{ topic: topic, qos: q }]));
    }

    /** UNSUBSCRIBE one topic filter (§3.10); cb() on UNSUBACK. */
    unsubscribe(topic: string, cb: (err?: string) => void): void {
      const bad = checkTopicFilter(topic);
      if (bad) return this.later(cb, 'unsubscribe: ' + bad);
      const id = this.admit(cb, 'unsubscribe');
      if (id === 0) return;
      this.track(id, KIND_UNSUB, 0, cb);
      this.send(encodeUnsubscribe(id, [topic]));
    }

    /**
     * PUBLISH (§3.3). QoS 0 (default): cb() once handed to the socket. QoS 1: cb() on PUBACK (§4.3.2).
     * The payload is not modified and not kept after the packet is encoded.
     */
    publish(topic: string, payload: Uint8Array, opts?: PublishOptions, cb?: (err?: string) => void): void {
      const qos = opts && opts.qos !== undefined ? opts.qos : 0;
      const retain = !!(opts && opts.retain);
      if (qos !== 0 && qos !== 1) return this.later(cb, 'publish: qos must be 0 or 1');
      const bad = checkTopicName(topic);
      if (bad) return this.later(cb, 'publish: ' + bad);
      if (!payload || typeof payload.length !== 'number' || typeof payload.subarray !== 'function') {
        return this.later(cb, 'publish: payload must be a Uint8Array');
      }
      if (qos === 0) {
        if (this.state !== CONNECTED) return this.later(cb, 'publish: not connected');
        this.send(encodePublish({ topic: topic, payload: payload, qos: 0, retain: retain }));
        this.later(cb, undefined);
        return;
      }
      const id = this.admit(cb, 'publish');
      if (id === 0) return;
      this.track(id, KIND_PUB, 1, cb);
      this.send(encodePublish({ topic: topic, payload: payload, qos: 1, retain: retain, packetId: id }));
    }

    /**
     * Send DISCONNECT (§3.14) and close the socket. Outstanding operations fail with
     * 'connection closed'; wait for their callbacks first if they matter. cb() once closed.
     */
    end(cb?: () => void): void {
      if (this.state === IDLE || this.state === CLOSED) {
        this.state = CLOSED;
        if (cb) this.clock.setTimeout(cb, 0);
        return;
      }
      if (cb) this.endCbs.push(cb);
      if (this.state === CONNECTING) this.shutdown('connect aborted by end()', false);
      else if (this.state === CONNECTED) this.shutdown(undefined, true);
    }

    /**
     * Erase: close at once if still open (no DISCONNECT, no further callbacks), zero-fill the
     * receive buffer, the CONNECT packet (it holds the credentials) and the password copy, and drop
     * every handler and reference. The client is unusable afterwards.
     */
    wipe(): void {
      const sock = this.sock;
      this.state = CLOSED;
      this.clearTimers();
      this.clearTimer(this.endTimer);
      this.endTimer = undefined;
      for (let i = 0; i < this.pending.length; i++) this.clearTimer(this.pending[i].timer);
      this.pending = [];
      this.sock = null;
      if (sock) {
        try {
          sock.end();
        } catch (e) {
          // already closed: nothing left to erase there
        }
      }
      this.framer.wipe();
      wipeBytes(this.connectPkt);
      this.connectPkt = null;
      if (this.password !== undefined && typeof this.password !== 'string') wipeBytes(this.password);
      this.password = undefined;
      this.username = undefined;
      this.clientId = '';
      this.host = '';
      this.msgFn = undefined;
      this.closeFn = undefined;
      this.connectCb = undefined;
      this.endCbs = [];
    }

    // -------------------------------------------------------------------------------------------
    // Socket events

    private onTcpConnect(): void {
      if (this.state !== CONNECTING) return;
      this.tcpUp = true;
      if (this.sock) this.sendConnect();
    }

    private sendConnect(): void {
      if (this.connectSent || !this.connectPkt) return;
      this.connectSent = true;
      // §3.1.4: the client may send further packets before CONNACK, but this one sends none.
      this.send(this.connectPkt);
    }

    private onData(chunk: Uint8Array): void {
      if (this.state !== CONNECTING && this.state !== CONNECTED) return;
      let frames: Uint8Array[];
      try {
        frames = this.framer.push(chunk);
      } catch (e) {
        this.shutdown(this.describe(e), false);
        return;
      }
      for (let i = 0; i < frames.length; i++) {
        if (this.state === CONNECTING || this.state === CONNECTED) {
          let pkt: IncomingPacket | undefined;
          try {
            pkt = decodePacket(frames[i]);
          } catch (e) {
            this.shutdown(this.describe(e), false);
          }
          if (pkt) this.handle(pkt);
        }
        wipeBytes(frames[i]);
      }
    }

    private onSocketClose(err?: string): void {
      if (this.state === CLOSED) return;
      this.sock = null;
      if (this.state !== CLOSING) {
        // Not asked for: the broker or the network went away.
        this.shutdown(err ? 'connection lost: ' + err : 'connection closed by broker', false);
      }
      this.finish();
    }

    // -------------------------------------------------------------------------------------------
    // Incoming packets

    private handle(pkt: IncomingPacket): void {
      if (this.state === CONNECTING) {
        // [MQTT-3.2.0-1]: the first packet from the server is CONNACK.
        if (pkt.type !== CONNACK) return this.shutdown('protocol: expected CONNACK', false);
        if (pkt.returnCode !== 0) {
          return this.shutdown('connection refused: ' + connackReason(pkt.returnCode), false);
        }
        // [MQTT-3.2.2-1]: with Clean Session = 1 the server must report no session present.
        if (pkt.sessionPresent) return this.shutdown('protocol: session present on clean session', false);
        this.clearTimer(this.connTimer);
        this.connTimer = undefined;
        this.state = CONNECTED;
        this.everConnected = true;
        this.armKeepalive();
        const cb = this.connectCb;
        this.connectCb = undefined;
        if (cb) cb();
        return;
      }
      switch (pkt.type) {
        case PUBLISH: {
          const fn = this.msgFn;
          if (fn) fn(pkt.topic, pkt.payload, pkt.retain);
          // §4.3.2: acknowledge a QoS 1 message once it is handed over.
          if (pkt.qos === 1 && this.state === CONNECTED) this.send(encodePuback(pkt.packetId));
          return;
        }
        case PUBACK:
          return this.settle(pkt.packetId, KIND_PUB, undefined, 0);
        case SUBACK: {
          // One filter per SUBSCRIBE, so exactly one return code [MQTT-3.8.4-5].
          if (pkt.returnCodes.length !== 1) return this.shutdown('protocol: SUBACK code count', false);
          const code = pkt.returnCodes[0];
          if (code === SUBACK_FAILURE) return this.settle(pkt.packetId, KIND_SUB, 'subscribe refused by broker', 0);
          return this.settle(pkt.packetId, KIND_SUB, undefined, code);
        }
        case UNSUBACK:
          return this.settle(pkt.packetId, KIND_UNSUB, undefined, 0);
        case PINGRESP:
          this.clearTimer(this.pingTimer);
          this.pingTimer = undefined;
          return;
        default:
          return this.shutdown('protocol: unexpected CONNACK', false);
      }
    }

    /** Complete the operation waiting on `id`; an ack nobody waits for is a protocol error. */
    private settle(id: number, kind: number, err: string | undefined, granted: number): void {
      let idx = -1;
      for (let i = 0; i < this.pending.length; i++) if (this.pending[i].id === id) idx = i;
      if (idx < 0 || this.pending[idx].kind !== kind) return this.shutdown('protocol: unexpected ack ' + id, false);
      const p = this.pending[idx];
      // §3.9.3: the granted QoS may be lower than requested, never higher.
      if (kind === KIND_SUB && !err && granted > p.qos) return this.shutdown('protocol: granted QoS above requested', false);
      this.pending.splice(idx, 1);
      this.clearTimer(p.timer);
      if (p.cb) p.cb(err, kind === KIND_SUB && !err ? granted : undefined);
    }

    // -------------------------------------------------------------------------------------------
    // Outgoing

    private send(pkt: Uint8Array): void {
      const s = this.sock;
      if (!s) return;
      try {
        s.write(pkt);
      } catch (e) {
        this.shutdown('socket write failed', false);
      }
    }

    /** Checks shared by operations that need a Packet Identifier; returns 0 after reporting an error. */
    private admit(cb: ((err?: string) => void) | undefined, what: string): number {
      if (this.state !== CONNECTED) {
        this.later(cb, what + ': not connected');
        return 0;
      }
      if (this.pending.length >= this.maxInflight) {
        this.later(cb, what + ': too many operations in flight');
        return 0;
      }
      // [MQTT-2.3.1-2]: a new packet takes an identifier not in use. The in-flight cap (< 65535)
      // guarantees a free one within 65535 steps.
      for (let n = 0; n < 65535; n++) {
        const id = this.nextId;
        this.nextId = id === 65535 ? 1 : id + 1;
        let used = false;
        for (let i = 0; i < this.pending.length; i++) if (this.pending[i].id === id) used = true;
        if (!used) return id;
      }
      this.later(cb, what + ': no packet id free');
      return 0;
    }

    private track(id: number, kind: number, qos: number, cb: ((err?: string, granted?: number) => void) | undefined): void {
      const p: Pending = { id: id, kind: kind, qos: qos, cb: cb, timer: undefined };
      // With Clean Session there is no retransmission (§4.4), so a lost ack means a broken session.
      p.timer = this.clock.setTimeout(() => {
        p.timer = undefined;
        this.shutdown('timeout waiting for ack ' + id, false);
      }, this.ackTimeoutMs);
      this.pending.push(p);
    }

    // -------------------------------------------------------------------------------------------
    // Keep-alive (§3.1.2.10, §3.12, §3.13)

    /**
     * A PINGREQ every keep-alive period while connected, whatever else is sent: this satisfies the
     * "at most Keep Alive between packets" rule and also notices a dead broker while the PDA only
     * publishes QoS 0. No PINGRESP within pingTimeoutMs closes the connection (§3.1.2.10: "SHOULD
     * close the Network Connection").
     */
    private armKeepalive(): void {
      if (this.keepaliveMs <= 0 || this.state !== CONNECTED) return;
      this.kaTimer = this.clock.setTimeout(() => {
        this.kaTimer = undefined;
        if (this.state !== CONNECTED) return;
        if (this.pingTimer === undefined) {
          this.pingTimer = this.clock.setTimeout(() => {
            this.pingTimer = undefined;
            this.shutdown('keepalive timeout: no PINGRESP', false);
          }, this.pingTimeoutMs);
        }
        this.send(encodePingreq());
        this.armKeepalive();
      }, this.keepaliveMs);
    }

    // -------------------------------------------------------------------------------------------
    // Closing

    /**
     * Begin closing (first reason wins): stop timers, fail what is outstanding, optionally send
     * DISCONNECT, end the socket. finish() runs when the socket reports closed (or after closeTimeoutMs).
     */
    private shutdown(err: string | undefined, disconnect: boolean): void {
      if (this.state === CLOSING || this.state === CLOSED) return;
      this.state = CLOSING;
      this.closeErr = err;
      this.clearTimers();
      if (disconnect) this.send(encodeDisconnect());
      const pend = this.pending;
      this.pending = [];
      const ccb = this.connectCb;
      this.connectCb = undefined;
      if (this.sock) this.endSocket();
      // Callbacks last, when the state is already consistent (they may call back into the client).
      const why = err || 'connection closed';
      for (let i = 0; i < pend.length; i++) {
        this.clearTimer(pend[i].timer);
        const cb = pend[i].cb;
        if (cb) cb(why);
      }
      if (ccb) ccb(why);
    }

    private endSocket(): void {
      const s = this.sock;
      if (!s) return;
      this.endTimer = this.clock.setTimeout(() => {
        this.endTimer = undefined;
        this.sock = null;
        this.finish();
      }, this.closeTimeoutMs);
      try {
        s.end();
      } catch (e) {
        this.sock = null;
        this.finish();
      }
    }

    private finish(): void {
      if (this.state === CLOSED) return;
      this.state = CLOSED;
      this.clearTimer(this.endTimer);
      this.endTimer = undefined;
      this.framer.wipe();
      const closeFn = this.everConnected ? this.closeFn : undefined;
      const ends = this.endCbs;
      this.endCbs = [];
      if (closeFn) closeFn(this.closeErr);
      for (let i = 0; i < ends.length; i++) ends[i]();
    }

    private clearTimers(): void {
      this.clearTimer(this.connTimer);
      this.clearTimer(this.kaTimer);
      this.clearTimer(this.pingTimer);
      this.connTimer = undefined;
      this.kaTimer = undefined;
      this.pingTimer = undefined;
    }

    private clearTimer(id: number | undefined): void {
      if (id !== undefined) this.clock.clearTimeout(id);
    }

    /** Report an error (or success) on a later tick, so callbacks never run inside the call. */
    private later(cb: ((err?: string) => void) | undefined, err: string | undefined): void {
      if (cb) this.clock.setTimeout(() => cb(err), 0);
    }

    private describe(e: unknown): string {
      // Duck-typed: Error subclasses lose their prototype chain in some ES5 transpilations.
      const reason = e ? (e as DecodeError).reason : undefined;
      if (typeof reason === 'string') return 'malformed packet: ' + reason;
      return 'internal error';
    }
  }
  return MqttClient;
}

let built: ReturnType<typeof buildClient> | null = null;

/** The class, created on the first call and kept from then on. */
export function mqttClientClass(): ReturnType<typeof buildClient> {
  if (!built) built = buildClient();
  return built;
}

export type MqttClient = InstanceType<ReturnType<typeof buildClient>>;

/** `new MqttClient(...)` for host code and tests; the firmware constructs through mqttClientClass() and the bundler drops this. */
export const MqttClient = function (net: Net, clock: Clock, opts: MqttClientOptions) {
  const C = mqttClientClass();
  return new C(net, clock, opts);
} as unknown as new (net: Net, clock: Clock, opts: MqttClientOptions) => MqttClient;
