/**
 * Just enough MQTT 3.1.1 (OASIS MQTT 3.1.1 §2, §3) for the load generator of `hood bench mss` and its sink:
 * CONNECT/CONNACK, SUBSCRIBE/SUBACK at QoS 0, PUBLISH at QoS 0, PINGREQ/PINGRESP, DISCONNECT. A benchmark's
 * generator must cost far less than what it measures; a general client library spends more per publish than
 * the relay baseline does. Every length read from the wire is bounded before it is used.
 */
import { Socket, connect } from 'node:net';

export const CONNECT = 1;
export const CONNACK = 2;
export const PUBLISH = 3;
export const SUBSCRIBE = 8;
export const SUBACK = 9;
export const PINGREQ = 12;
export const PINGRESP = 13;
export const DISCONNECT = 14;

/** Remaining Length (§2.2.3): 1..4 bytes, 7 bits each, low group first. */
function lengthBytes(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return out;
}

function packet(first: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([first, ...lengthBytes(body.length)]), body]);
}

/** A UTF-8 string with its 2-byte length prefix (§1.5.3). */
export function mqttString(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 0xffff) throw new Error('MQTT string too long');
  const out = Buffer.alloc(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** CONNECT (§3.1), clean session, no will, optional user name and password. keepaliveSec 0 disables keep-alive. */
export function connectPacket(clientId: string, keepaliveSec: number, username?: string, password?: string): Buffer {
  let flags = 0x02;
  const parts = [mqttString('MQTT'), Buffer.from([4, 0, (keepaliveSec >> 8) & 255, keepaliveSec & 255]), mqttString(clientId)];
  if (username !== undefined) {
    flags |= 0x80;
    parts.push(mqttString(username));
  }
  if (password !== undefined) {
    flags |= 0x40;
    parts.push(mqttString(password));
  }
  parts[1][1] = flags;
  return packet(CONNECT << 4, Buffer.concat(parts));
}

export const CONNACK_OK = Buffer.from([CONNACK << 4, 2, 0, 0]);
export const PINGRESP_PACKET = Buffer.from([PINGRESP << 4, 0]);

/** SUBSCRIBE (§3.8) to one topic at QoS 0; the fixed header's flags must be 0b0010. */
export function subscribePacket(id: number, topic: string): Buffer {
  return packet((SUBSCRIBE << 4) | 2, Buffer.concat([Buffer.from([(id >> 8) & 255, id & 255]), mqttString(topic), Buffer.from([0])]));
}

export function subackPacket(id: number, granted: number): Buffer {
  return Buffer.from([SUBACK << 4, 3, (id >> 8) & 255, id & 255, granted]);
}

/** PUBLISH at QoS 0 (§3.3) to a topic already encoded with mqttString(). */
export function publishPacket(topic: Buffer, payload: Uint8Array): Buffer {
  const rem = topic.length + payload.length;
  const len = lengthBytes(rem);
  const out = Buffer.allocUnsafe(1 + len.length + rem);
  out[0] = PUBLISH << 4;
  for (let i = 0; i < len.length; i++) out[1 + i] = len[i];
  topic.copy(out, 1 + len.length);
  out.set(payload, 1 + len.length + topic.length);
  return out;
}

/** Topic and payload of a PUBLISH body (§3.3.2); QoS 1 and 2 carry a packet id after the topic. */
export function parsePublish(flags: number, body: Buffer): { topic: Buffer; payload: Buffer } | null {
  if (body.length < 2) return null;
  const tl = body.readUInt16BE(0);
  let at = 2 + tl;
  if ((flags & 6) !== 0) at += 2;
  if (at > body.length) return null;
  return { topic: body.subarray(2, 2 + tl), payload: body.subarray(at) };
}

const EMPTY = Buffer.alloc(0);

/** Splits a byte stream into MQTT packets; a packet above maxPacket bytes or a malformed length is an error. */
export class PacketReader {
  private buf: Buffer = EMPTY;

  constructor(
    private readonly maxPacket: number,
    private readonly onPacket: (type: number, flags: number, body: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    const b = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    let at = 0;
    for (;;) {
      if (b.length - at < 2) break;
      let rem = 0;
      let mul = 1;
      let i = at + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < b.length; k++, i++) {
        rem += (b[i] & 127) * mul;
        mul *= 128;
        if ((b[i] & 128) === 0) {
          complete = true;
          i++;
          break;
        }
        if (k === 3) throw new Error('MQTT remaining length longer than 4 bytes');
      }
      if (!complete) break;
      if (rem > this.maxPacket) throw new Error('MQTT packet of ' + rem + ' bytes over the limit');
      if (b.length - i < rem) break;
      const first = b[at];
      this.onPacket(first >> 4, first & 15, b.subarray(i, i + rem));
      at = i + rem;
    }
    // Keep only the unparsed tail (a copy, so the socket's chunk can be collected).
    this.buf = at >= b.length ? EMPTY : Buffer.from(b.subarray(at));
  }
}

/** One MQTT connection as a PDA holds it: connect, subscribe, publish at QoS 0, and every PUBLISH it receives. */
export class WireClient {
  onPublish: (topic: Buffer, payload: Buffer) => void = () => undefined;
  private waiting: { type: number; resolve: (body: Buffer) => void; reject: (e: Error) => void } | null = null;
  private nextId = 1;

  private constructor(private readonly sock: Socket) {
    const reader = new PacketReader(64 * 1024, (type, flags, body) => {
      if (type === PUBLISH) {
        const p = parsePublish(flags, body);
        if (p) this.onPublish(p.topic, p.payload);
      } else if (this.waiting && this.waiting.type === type) {
        const w = this.waiting;
        this.waiting = null;
        w.resolve(body);
      }
    });
    sock.on('data', (d: Buffer) => {
      try {
        reader.push(d);
      } catch (e) {
        sock.destroy(e as Error);
      }
    });
    sock.on('close', () => this.waiting?.reject(new Error('connection closed')));
    sock.on('error', () => undefined);
  }

  private expect(type: number, timeoutMs: number): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no answer to MQTT packet type ' + type)), timeoutMs);
      this.waiting = {
        type,
        resolve: (b) => {
          clearTimeout(t);
          resolve(b);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      };
    });
  }

  static async connect(host: string, port: number, clientId: string, timeoutMs = 10_000, username?: string, password?: string): Promise<WireClient> {
    const sock = connect({ host, port, noDelay: true });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    const c = new WireClient(sock);
    const ack = c.expect(CONNACK, timeoutMs);
    sock.write(connectPacket(clientId, 0, username, password));
    const body = await ack;
    if (body.length !== 2 || body[1] !== 0) {
      sock.destroy();
      throw new Error('CONNACK refused: ' + (body[1] ?? 'malformed'));
    }
    return c;
  }

  async subscribe(topic: string, timeoutMs = 10_000): Promise<void> {
    const id = this.nextId++;
    const ack = this.expect(SUBACK, timeoutMs);
    this.sock.write(subscribePacket(id, topic));
    const body = await ack;
    if (body.length !== 3 || body.readUInt16BE(0) !== id || body[2] === 0x80) throw new Error('SUBACK refused for ' + topic);
  }

  /** Publish an already-framed PUBLISH packet (publishPacket()). */
  write(framed: Buffer): void {
    this.sock.write(framed);
  }

  end(): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.sock.destroyed) return resolve();
      this.sock.once('close', () => resolve());
      this.sock.end(Buffer.from([DISCONNECT << 4, 0]));
      setTimeout(() => this.sock.destroy(), 1000).unref();
    });
  }
}
