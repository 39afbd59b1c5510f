/**
 * MQTT 3.1.1 control packets, client side (OASIS Standard, 29 October 2014; "§" below cites it).
 *
 * Encodes what a client sends (CONNECT, PUBLISH, PUBACK, SUBSCRIBE, UNSUBSCRIBE, PINGREQ, DISCONNECT)
 * and decodes what a server may send to a client that never uses QoS 2 (CONNACK, PUBLISH QoS 0/1,
 * PUBACK, SUBACK, UNSUBACK, PINGRESP). Every decode is bounds-checked and throws DecodeError on a
 * malformed packet: per §4.8 the receiver of a protocol violation closes the network connection,
 * which the client does on any DecodeError.
 *
 * Runs on Espruino: no Map/Set/BigInt/destructuring/spread; bytes are Uint8Array.
 */
import { DecodeError, Reader, concat, utf8Decode, utf8Encode } from '../../../shared/src/bytes';

/** Control packet types, §2.2.1 Table 2.1. */
export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const PUBACK = 4;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const UNSUBSCRIBE = 10;
export const UNSUBACK = 11;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** §2.2.3: four length bytes at most, so 268,435,455 is the largest Remaining Length. */
export const MAX_REMAINING_LENGTH = 268435455;

/** §3.9.3: SUBACK return code for a refused subscription. */
export const SUBACK_FAILURE = 0x80;

export type QoS = 0 | 1;

export interface Connack {
  type: 2;
  sessionPresent: boolean;
  /** §3.2.2.3: 0 accepted, 1..5 refused (see connackReason). */
  returnCode: number;
}

export interface Publish {
  type: 3;
  topic: string;
  /** A fresh copy, owned by the receiver. */
  payload: Uint8Array;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** 0 for QoS 0 (no Packet Identifier on the wire, §2.3.1). */
  packetId: number;
}

export interface Puback {
  type: 4;
  packetId: number;
}

export interface Suback {
  type: 9;
  packetId: number;
  /** One per requested filter, each 0, 1, 2 or 0x80 (§3.9.3). */
  returnCodes: number[];
}

export interface Unsuback {
  type: 11;
  packetId: number;
}

export interface Pingresp {
  type: 13;
}

export type IncomingPacket = Connack | Publish | Puback | Suback | Unsuback | Pingresp;

// ---------------------------------------------------------------------------------------------
// Remaining Length (§2.2.3)

export interface RemainingLength {
  value: number;
  /** How many bytes the encoding took (1..4). */
  size: number;
}

// ---------------------------------------------------------------------------------------------
// Encoders (client -> server)

export interface ConnectFields {
  clientId: string;
  /** Seconds, 0..65535; 0 turns the keep-alive mechanism off (§3.1.2.10). */
  keepaliveSec: number;
  username?: string;
  /** Binary data (§3.1.3.5); a string is sent as its UTF-8 bytes. */
  password?: string | Uint8Array;
}

export interface PublishFields {
  topic: string;
  payload: Uint8Array;
  qos: QoS;
  retain?: boolean;
  /** Required (1..65535) for QoS 1, absent for QoS 0 (§2.3.1). */
  packetId?: number;
  /** Re-delivery flag; must be 0 for QoS 0 [MQTT-3.3.1-2]. */
  dup?: boolean;
}

export interface SubscribeRequest {
  topic: string;
  qos: QoS;
}

/**
 * Every codec function of this module lives in the closure of buildPackets(), created when the first
 * link opens (mqttPackets()) instead of at boot: on Espruino each function that exists costs about
 * five variables plus one per parameter (docs/crypto-speed.md, variables after boot).
 */
function buildPackets() {
  /** The variable-length encoding of §2.2.3: 7 bits per byte, low group first, bit 7 = "more". */
  function encodeRemainingLength(n: number): number[] {
    if (!(n >= 0 && n <= MAX_REMAINING_LENGTH && Math.floor(n) === n)) {
      throw new Error('mqtt: remaining length out of range');
    }
    const out: number[] = [];
    do {
      let digit = n % 128;
      n = Math.floor(n / 128);
      if (n > 0) digit |= 128;
      out.push(digit);
    } while (n > 0);
    return out;
  }

  /**
   * Decode the Remaining Length that starts at `off` and may not read at or past `end`.
   * Returns null when the bytes stop before the last length byte (a stream needs more data);
   * throws DecodeError('bad_varint') when a fourth byte still has its continuation bit, which
   * §2.2.3 makes malformed (the algorithm there raises an error after four multipliers).
   */
  function decodeRemainingLength(b: Uint8Array, off: number, end: number): RemainingLength | null {
    let value = 0;
    let mult = 1;
    for (let i = 0; i < 4; i++) {
      if (off + i >= end) return null;
      const digit = b[off + i];
      value += (digit & 127) * mult;
      if ((digit & 128) === 0) return { value: value, size: i + 1 };
      mult *= 128;
    }
    throw new DecodeError('bad_varint', 'remaining length longer than 4 bytes');
  }

  // Strings and topics (§1.5.3, §4.7)

  /**
   * UTF-8 bytes of an MQTT string, or an error reason. §1.5.3: well-formed UTF-8 only (so no lone
   * surrogates, which utf8Encode would otherwise emit as ill-formed 3-byte sequences), no U+0000
   * [MQTT-1.5.3-2], at most 65,535 bytes.
   */
  function stringBytes(s: string): Uint8Array | string {
    if (typeof s !== 'string') return 'not a string';
    if (s.indexOf('\u0000') >= 0) return 'contains U+0000';
    const b = utf8Encode(s);
    if (b.length > 65535) return 'longer than 65535 bytes';
    try {
      utf8Decode(b);
    } catch (e) {
      return 'not well-formed UTF-16 (lone surrogate)';
    }
    return b;
  }

  /** Why `topic` cannot be a PUBLISH Topic Name, or undefined if it can. */
  function checkTopicName(topic: string): string | undefined {
    const b = stringBytes(topic);
    if (typeof b === 'string') return 'topic ' + b;
    if (b.length === 0) return 'empty topic'; // [MQTT-4.7.3-1]
    // [MQTT-3.3.2-2]: wildcards are for filters only.
    if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) return 'wildcard in topic name';
    return undefined;
  }

  /** Why `filter` cannot be a Topic Filter (§4.7.1), or undefined if it can. */
  function checkTopicFilter(filter: string): string | undefined {
    const b = stringBytes(filter);
    if (typeof b === 'string') return 'topic filter ' + b;
    if (b.length === 0) return 'empty topic filter'; // [MQTT-4.7.3-1]
    const levels = filter.split('/');
    for (let i = 0; i < levels.length; i++) {
      const lv = levels[i];
      // [MQTT-4.7.1-2]: '#' alone in the last level; [MQTT-4.7.1-3]: '+' fills a whole level.
      if (lv.indexOf('#') >= 0 && (lv !== '#' || i !== levels.length - 1)) return 'misplaced # wildcard';
      if (lv.indexOf('+') >= 0 && lv !== '+') return 'misplaced + wildcard';
    }
    return undefined;
  }

  function mqttString(s: string, what: string): Uint8Array {
    const b = stringBytes(s);
    if (typeof b === 'string') throw new Error('mqtt: ' + what + ' ' + b);
    const out = new Uint8Array(2 + b.length);
    out[0] = b.length >> 8;
    out[1] = b.length & 255;
    out.set(b, 2);
    return out;
  }

  function u16(v: number): Uint8Array {
    return new Uint8Array([v >> 8, v & 255]);
  }

  function checkPacketId(id: number): void {
    // [MQTT-2.3.1-1]: a Packet Identifier is non-zero.
    if (!(id >= 1 && id <= 65535 && Math.floor(id) === id)) throw new Error('mqtt: packet id out of range');
  }

  /** Fixed header (§2.2) in front of the variable header and payload parts. */
  function frame(first: number, parts: Uint8Array[]): Uint8Array {
    let n = 0;
    for (let i = 0; i < parts.length; i++) n += parts[i].length;
    const head = [first].concat(encodeRemainingLength(n));
    const all: Uint8Array[] = [new Uint8Array(head)];
    return concat(all.concat(parts));
  }

  /**
   * CONNECT (§3.1) with Clean Session = 1, no Will. Clean Session means the broker keeps nothing
   * about this client after the connection ends (§3.1.2.4), which is what a per-session identity wants.
   */
  function encodeConnect(f: ConnectFields): Uint8Array {
    const ka = f.keepaliveSec;
    if (!(ka >= 0 && ka <= 65535 && Math.floor(ka) === ka)) throw new Error('mqtt: keepalive out of range');
    // [MQTT-3.1.2-22]: no password without a user name.
    if (f.password !== undefined && f.username === undefined) throw new Error('mqtt: password needs a username');
    let flags = 0x02; // Clean Session, §3.1.2.4; bit 0 is reserved and zero [MQTT-3.1.2-3]
    const parts: Uint8Array[] = [
      // Protocol Name "MQTT" (§3.1.2.1) and Protocol Level 4 (§3.1.2.2).
      new Uint8Array([0, 4, 0x4d, 0x51, 0x54, 0x54, 4]),
      new Uint8Array(1), // connect flags, filled below
      u16(ka),
      mqttString(f.clientId, 'client id'), // §3.1.3.1
    ];
    if (f.username !== undefined) {
      flags |= 0x80;
      parts.push(mqttString(f.username, 'username'));
    }
    if (f.password !== undefined) {
      flags |= 0x40;
      const pw = typeof f.password === 'string' ? utf8Encode(f.password) : f.password;
      if (pw.length > 65535) throw new Error('mqtt: password longer than 65535 bytes');
      parts.push(u16(pw.length), pw);
    }
    parts[1][0] = flags;
    return frame(CONNECT << 4, parts);
  }

  /** PUBLISH (§3.3). */
  function encodePublish(f: PublishFields): Uint8Array {
    const bad = checkTopicName(f.topic);
    if (bad) throw new Error('mqtt: ' + bad);
    if (f.qos !== 0 && f.qos !== 1) throw new Error('mqtt: unsupported qos');
    let first = (PUBLISH << 4) | (f.qos << 1);
    if (f.retain) first |= 0x01;
    const parts: Uint8Array[] = [mqttString(f.topic, 'topic')];
    if (f.qos === 1) {
      checkPacketId(f.packetId as number);
      parts.push(u16(f.packetId as number));
      if (f.dup) first |= 0x08;
    } else if (f.dup || f.packetId !== undefined) {
      throw new Error('mqtt: QoS 0 has no packet id and no DUP');
    }
    parts.push(f.payload);
    return frame(first, parts);
  }

  /** PUBACK (§3.4), the answer to a QoS 1 PUBLISH. */
  function encodePuback(packetId: number): Uint8Array {
    checkPacketId(packetId);
    return new Uint8Array([PUBACK << 4, 2, packetId >> 8, packetId & 255]);
  }

  /** SUBSCRIBE (§3.8); fixed-header flags are 0010 [MQTT-3.8.1-1]. */
  function encodeSubscribe(packetId: number, reqs: SubscribeRequest[]): Uint8Array {
    checkPacketId(packetId);
    if (reqs.length === 0) throw new Error('mqtt: SUBSCRIBE needs a topic filter'); // [MQTT-3.8.3-3]
    const parts: Uint8Array[] = [u16(packetId)];
    for (let i = 0; i < reqs.length; i++) {
      const bad = checkTopicFilter(reqs[i].topic);
      if (bad) throw new Error('mqtt: ' + bad);
      if (reqs[i].qos !== 0 && reqs[i].qos !== 1) throw new Error('mqtt: unsupported qos');
      parts.push(mqttString(reqs[i].topic, 'topic filter'), new Uint8Array([reqs[i].qos]));
    }
    return frame((SUBSCRIBE << 4) | 0x02, parts);
  }

  /** UNSUBSCRIBE (§3.10); fixed-header flags are 0010 [MQTT-3.10.1-1]. */
  function encodeUnsubscribe(packetId: number, filters: string[]): Uint8Array {
    checkPacketId(packetId);
    if (filters.length === 0) throw new Error('mqtt: UNSUBSCRIBE needs a topic filter'); // [MQTT-3.10.3-2]
    const parts: Uint8Array[] = [u16(packetId)];
    for (let i = 0; i < filters.length; i++) {
      const bad = checkTopicFilter(filters[i]);
      if (bad) throw new Error('mqtt: ' + bad);
      parts.push(mqttString(filters[i], 'topic filter'));
    }
    return frame((UNSUBSCRIBE << 4) | 0x02, parts);
  }

  /** PINGREQ (§3.12). */
  function encodePingreq(): Uint8Array {
    return new Uint8Array([PINGREQ << 4, 0]);
  }

  /** DISCONNECT (§3.14). */
  function encodeDisconnect(): Uint8Array {
    return new Uint8Array([DISCONNECT << 4, 0]);
  }

  /** §3.2.2.3 Table 3.1. */
  function connackReason(code: number): string {
    switch (code) {
      case 0: return 'accepted';
      case 1: return 'unacceptable protocol version';
      case 2: return 'identifier rejected';
      case 3: return 'server unavailable';
      case 4: return 'bad user name or password';
      case 5: return 'not authorized';
      default: return 'reserved return code ' + code;
    }
  }

  // Decoder (server -> client)

  function expectFlags(flags: number, want: number): void {
    // [MQTT-2.2.2-1/-2]: reserved flag bits must have the listed value, otherwise the packet is malformed.
    if (flags !== want) throw new DecodeError('bad_flags', 'fixed header flags ' + flags);
  }

  function packetIdFrom(r: Reader): number {
    const id = r.u16();
    if (id === 0) throw new DecodeError('zero_packet_id'); // [MQTT-2.3.1-1]
    return id;
  }

  /**
   * Decode one whole packet (fixed header included), as cut by MqttFramer. The Remaining Length must
   * match the frame exactly. The payload of a PUBLISH is copied, so wiping the frame afterwards is safe.
   */
  function decodePacket(frameBytes: Uint8Array): IncomingPacket {
    if (frameBytes.length < 2) throw new DecodeError('truncated', 'fixed header');
    const first = frameBytes[0];
    const type = first >> 4;
    const flags = first & 15;
    const rl = decodeRemainingLength(frameBytes, 1, frameBytes.length);
    if (rl === null) throw new DecodeError('truncated', 'remaining length');
    const start = 1 + rl.size;
    if (start + rl.value > frameBytes.length) throw new DecodeError('truncated', 'remaining length past end');
    if (start + rl.value < frameBytes.length) throw new DecodeError('trailing_bytes', 'after remaining length');
    const r = new Reader(frameBytes.subarray(start));
    switch (type) {
      case CONNACK: {
        expectFlags(flags, 0);
        const ack = r.u8();
        // §3.2.2.1: bits 7-1 of the Connect Acknowledge Flags are reserved and 0.
        if ((ack & 0xfe) !== 0) throw new DecodeError('bad_flags', 'connack flags');
        const code = r.u8();
        r.end();
        return { type: CONNACK, sessionPresent: (ack & 1) === 1, returnCode: code };
      }
      case PUBLISH: {
        const qos = (flags >> 1) & 3;
        if (qos === 3) throw new DecodeError('bad_qos'); // [MQTT-3.3.1-4]
        // A server sends at most the granted QoS [MQTT-3.8.4-6]; this client never asks for QoS 2.
        if (qos === 2) throw new DecodeError('unsupported_qos', 'QoS 2 was never granted');
        const dup = (flags & 0x08) !== 0;
        if (dup && qos === 0) throw new DecodeError('bad_flags', 'DUP on QoS 0'); // [MQTT-3.3.1-2]
        const tlen = r.u16();
        if (tlen === 0) throw new DecodeError('bad_topic', 'empty topic name'); // [MQTT-4.7.3-1]
        const topic = utf8Decode(r.bytes(tlen)); // bounds-checked, then strict UTF-8 (§1.5.3)
        if (topic.indexOf('\u0000') >= 0) throw new DecodeError('bad_topic', 'U+0000'); // [MQTT-1.5.3-2]
        if (topic.indexOf('+') >= 0 || topic.indexOf('#') >= 0) {
          throw new DecodeError('bad_topic', 'wildcard in topic name'); // [MQTT-3.3.2-2]
        }
        const packetId = qos === 1 ? packetIdFrom(r) : 0;
        const payload = r.bytes(r.remaining());
        return {
          type: PUBLISH,
          topic: topic,
          payload: payload,
          qos: qos === 1 ? 1 : 0,
          retain: (flags & 1) === 1,
          dup: dup,
          packetId: packetId,
        };
      }
      case PUBACK: {
        expectFlags(flags, 0);
        const id = packetIdFrom(r);
        r.end();
        return { type: PUBACK, packetId: id };
      }
      case SUBACK: {
        expectFlags(flags, 0);
        const id = packetIdFrom(r);
        if (r.remaining() === 0) throw new DecodeError('truncated', 'SUBACK without return codes');
        const codes: number[] = [];
        while (r.remaining() > 0) {
          const c = r.u8();
          // [MQTT-3.9.3-2]: other values are reserved and must not be used.
          if (c !== 0 && c !== 1 && c !== 2 && c !== SUBACK_FAILURE) throw new DecodeError('bad_suback_code', String(c));
          codes.push(c);
        }
        return { type: SUBACK, packetId: id, returnCodes: codes };
      }
      case UNSUBACK: {
        expectFlags(flags, 0);
        const id = packetIdFrom(r);
        r.end();
        return { type: UNSUBACK, packetId: id };
      }
      case PINGRESP: {
        expectFlags(flags, 0);
        r.end();
        return { type: PINGRESP };
      }
      case 0:
      case 15:
        throw new DecodeError('bad_type', 'reserved packet type ' + type); // §2.2.1
      default:
        // Client-to-server types, and the QoS 2 flow (PUBREC/PUBREL/PUBCOMP) this client never starts.
        throw new DecodeError('unexpected_type', 'packet type ' + type);
    }
  }

  return {
    encodeRemainingLength: encodeRemainingLength,
    decodeRemainingLength: decodeRemainingLength,
    checkTopicName: checkTopicName,
    checkTopicFilter: checkTopicFilter,
    encodeConnect: encodeConnect,
    encodePublish: encodePublish,
    encodePuback: encodePuback,
    encodeSubscribe: encodeSubscribe,
    encodeUnsubscribe: encodeUnsubscribe,
    encodePingreq: encodePingreq,
    encodeDisconnect: encodeDisconnect,
    connackReason: connackReason,
    decodePacket: decodePacket,
  };
}

let built: ReturnType<typeof buildPackets> | null = null;

/** The functions of this module, created on the first call and kept from then on. */
export function mqttPackets(): ReturnType<typeof buildPackets> {
  if (!built) built = buildPackets();
  return built;
}

// The same functions by name, for host code and tests; the firmware calls mqttPackets() and the
// bundler drops these.
export function encodeRemainingLength(n: number): number[] {
  return mqttPackets().encodeRemainingLength(n);
}
export function decodeRemainingLength(b: Uint8Array, off: number, end: number): RemainingLength | null {
  return mqttPackets().decodeRemainingLength(b, off, end);
}
export function checkTopicName(topic: string): string | undefined {
  return mqttPackets().checkTopicName(topic);
}
export function checkTopicFilter(filter: string): string | undefined {
  return mqttPackets().checkTopicFilter(filter);
}
export function encodeConnect(f: ConnectFields): Uint8Array {
  return mqttPackets().encodeConnect(f);
}
export function encodePublish(f: PublishFields): Uint8Array {
  return mqttPackets().encodePublish(f);
}
export function encodePuback(packetId: number): Uint8Array {
  return mqttPackets().encodePuback(packetId);
}
export function encodeSubscribe(packetId: number, reqs: SubscribeRequest[]): Uint8Array {
  return mqttPackets().encodeSubscribe(packetId, reqs);
}
export function encodeUnsubscribe(packetId: number, filters: string[]): Uint8Array {
  return mqttPackets().encodeUnsubscribe(packetId, filters);
}
export function encodePingreq(): Uint8Array {
  return mqttPackets().encodePingreq();
}
export function encodeDisconnect(): Uint8Array {
  return mqttPackets().encodeDisconnect();
}
export function connackReason(code: number): string {
  return mqttPackets().connackReason(code);
}
export function decodePacket(frameBytes: Uint8Array): IncomingPacket {
  return mqttPackets().decodePacket(frameBytes);
}
