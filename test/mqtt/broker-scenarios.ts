/**
 * Scenarios every real broker must pass with the firmware MQTT client (run by aedes.test.ts and
 * mosquitto.test.ts). Each scenario uses its own topic prefix so they cannot see each other.
 */
import { randomBytes } from 'node:crypto';
import { expect, it } from 'vitest';
import mqtt from 'mqtt';
import { MqttClient } from '../../firmware/src/mqtt/client';
import type { MqttClientOptions, PublishOptions } from '../../firmware/src/mqtt/client';
import { utf8Encode } from '../../shared/src/bytes';
import { NodeClock, NodeNet, countTwoBytePackets } from './node-board';

export interface Msg {
  topic: string;
  payload: Uint8Array;
  retained: boolean;
}

/** A client plus its board stand-ins and everything it received. */
export class Harness {
  readonly net = new NodeNet();
  readonly clock = new NodeClock();
  readonly client: MqttClient;
  readonly id: string;
  readonly msgs: Msg[] = [];
  readonly closes: (string | undefined)[] = [];
  private waiters: (() => void)[] = [];

  constructor(port: number, extra?: Partial<MqttClientOptions>) {
    // 23 characters: the longest client id every server must accept [MQTT-3.1.3-5].
    this.id = 'c' + randomBytes(11).toString('hex');
    this.client = new MqttClient(this.net, this.clock, { host: '127.0.0.1', port, clientId: this.id, ...extra });
    this.client.onMessage((topic, payload, retained) => {
      this.msgs.push({ topic, payload, retained });
      this.poke();
    });
    this.client.onClose((err) => {
      this.closes.push(err);
      this.poke();
    });
  }

  private poke(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => this.client.connect((err) => (err ? reject(new Error(err)) : resolve())));
  }

  subscribe(topic: string, qos?: 0 | 1): Promise<number | undefined> {
    return new Promise((resolve, reject) =>
      this.client.subscribe(topic, (err, granted) => (err ? reject(new Error(err)) : resolve(granted)), qos),
    );
  }

  unsubscribe(topic: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.unsubscribe(topic, (err) => (err ? reject(new Error(err)) : resolve())));
  }

  publish(topic: string, payload: Uint8Array, opts?: PublishOptions): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.publish(topic, payload, opts, (err) => (err ? reject(new Error(err)) : resolve())),
    );
  }

  end(): Promise<void> {
    return new Promise((resolve) => this.client.end(resolve));
  }

  /** Wait until `cond` holds (checked on every message/close), failing after `ms`. */
  waitFor(cond: () => boolean, ms: number, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
      const check = (): void => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else this.waiters.push(check);
      };
      check();
    });
  }

  messagesOn(topic: string): Msg[] {
    return this.msgs.filter((m) => m.topic === topic);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function prefix(): string {
  return 'hood/test/' + randomBytes(6).toString('hex') + '/';
}

function connectMqttJs(port: number): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync('mqtt://127.0.0.1:' + port, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000 });
}

/** Register the common scenarios; `port()` gives the broker's port once it is up. */
export function brokerScenarios(port: () => number): void {
  it('connects, subscribes and receives its own QoS 0 publish; end() closes cleanly once', async () => {
    const h = new Harness(port(), { keepaliveSec: 30 });
    await h.connect();
    expect(h.client.isConnected()).toBe(true);
    const t = prefix() + 'q0';
    expect(await h.subscribe(t, 0)).toBe(0);
    const body = utf8Encode('hello über 世界');
    await h.publish(t, body);
    await h.waitFor(() => h.messagesOn(t).length === 1, 5000, 'QoS 0 message');
    const m = h.messagesOn(t)[0];
    expect(Array.from(m.payload)).toEqual(Array.from(body));
    expect(m.retained).toBe(false);
    await h.end();
    expect(h.closes).toEqual([undefined]);
    expect(h.client.isConnected()).toBe(false);
    // The last thing written before closing is DISCONNECT (§3.14).
    const last = h.net.tap.written[h.net.tap.written.length - 1];
    expect(Array.from(last)).toEqual([0xe0, 0x00]);
    expect(h.clock.active).toBe(0);
  });

  it('QoS 1 both ways: publish completes on PUBACK, incoming QoS 1 is acknowledged', async () => {
    const h = new Harness(port());
    await h.connect();
    const t = prefix() + 'q1';
    expect(await h.subscribe(t, 1)).toBe(1);
    const body = new Uint8Array(1000).map((_, i) => i & 255);
    await h.publish(t, body, { qos: 1 });
    // The broker sent PUBACK for ours: some received chunk holds 0x40 0x02.
    const acked = h.net.tap.received.some((c) => c.some((b, i) => b === 0x40 && c[i + 1] === 0x02));
    expect(acked).toBe(true);
    await h.waitFor(() => h.messagesOn(t).length === 1, 5000, 'QoS 1 message');
    expect(Array.from(h.messagesOn(t)[0].payload)).toEqual(Array.from(body));
    // We answered the broker's QoS 1 delivery with a PUBACK (§4.3.2).
    await h.waitFor(() => h.net.tap.written.some((c) => c[0] === 0x40 && c[1] === 0x02), 2000, 'our PUBACK');
    await h.end();
  });

  it('a retained message is delivered with retained=true on subscribe, live ones with retained=false', async () => {
    const pub = new Harness(port());
    await pub.connect();
    const t = prefix() + 'beacon';
    await pub.publish(t, utf8Encode('advert-1'), { retain: true, qos: 1 });
    const sub = new Harness(port());
    await sub.connect();
    await sub.subscribe(t, 1);
    await sub.waitFor(() => sub.messagesOn(t).length === 1, 5000, 'retained message');
    expect(sub.messagesOn(t)[0].retained).toBe(true);
    expect(new TextDecoder().decode(sub.messagesOn(t)[0].payload)).toBe('advert-1');
    await pub.publish(t, utf8Encode('live'), { qos: 1 });
    await sub.waitFor(() => sub.messagesOn(t).length === 2, 5000, 'live message');
    expect(sub.messagesOn(t)[1].retained).toBe(false);
    // Clear the retained message (§3.3.1.3: empty retained payload removes it).
    await pub.publish(t, new Uint8Array(0), { retain: true, qos: 1 });
    await pub.end();
    await sub.end();
  });

  it('interoperates with the mqtt npm client in both directions', async () => {
    const other = await connectMqttJs(port());
    try {
      const t = prefix();
      const got: { topic: string; payload: Buffer }[] = [];
      other.on('message', (topic, payload) => got.push({ topic, payload }));
      await other.subscribeAsync(t + 'from-pda', { qos: 1 });
      const h = new Harness(port());
      await h.connect();
      await h.subscribe(t + 'to-pda', 1);
      const up = randomBytes(300);
      await h.publish(t + 'from-pda', new Uint8Array(up), { qos: 1 });
      const down = randomBytes(200);
      await other.publishAsync(t + 'to-pda', down, { qos: 1 });
      await h.waitFor(() => h.messagesOn(t + 'to-pda').length === 1, 5000, 'message from mqtt.js');
      expect(Buffer.from(h.messagesOn(t + 'to-pda')[0].payload).equals(down)).toBe(true);
      for (let i = 0; i < 100 && got.length === 0; i++) await sleep(20);
      expect(got.length).toBe(1);
      expect(got[0].topic).toBe(t + 'from-pda');
      expect(got[0].payload.equals(up)).toBe(true);
      await h.end();
    } finally {
      await other.endAsync();
    }
  });

  it('unsubscribe stops delivery', async () => {
    const h = new Harness(port());
    await h.connect();
    const t = prefix();
    await h.subscribe(t + 'a', 0);
    await h.subscribe(t + 'b', 0);
    await h.unsubscribe(t + 'a');
    await h.publish(t + 'a', utf8Encode('x'), { qos: 1 });
    await h.publish(t + 'b', utf8Encode('barrier'), { qos: 1 });
    await h.waitFor(() => h.messagesOn(t + 'b').length === 1, 5000, 'barrier');
    await sleep(100);
    expect(h.messagesOn(t + 'a').length).toBe(0);
    await h.end();
  });

  it('keeps the connection alive with PINGREQ/PINGRESP beyond 1.5 x keepalive', async () => {
    const h = new Harness(port(), { keepaliveSec: 1 });
    await h.connect();
    const t = prefix() + 'ka';
    await h.subscribe(t, 0);
    await sleep(3300);
    expect(h.closes).toEqual([]);
    expect(h.client.isConnected()).toBe(true);
    expect(countTwoBytePackets(h.net.tap.written, 0xc0)).toBeGreaterThanOrEqual(2);
    expect(countTwoBytePackets(h.net.tap.received, 0xd0)).toBeGreaterThanOrEqual(2);
    await h.publish(t, utf8Encode('still here'));
    await h.waitFor(() => h.messagesOn(t).length === 1, 5000, 'message after idle');
    await h.end();
  });

  it('two clients with different random client ids are both served', async () => {
    const a = new Harness(port());
    const b = new Harness(port());
    expect(a.id).not.toBe(b.id);
    await a.connect();
    await b.connect();
    const t = prefix() + 'both';
    await a.subscribe(t, 1);
    await b.subscribe(t, 1);
    await a.publish(t, utf8Encode('to both'), { qos: 1 });
    await a.waitFor(() => a.messagesOn(t).length === 1, 5000, 'a receives');
    await b.waitFor(() => b.messagesOn(t).length === 1, 5000, 'b receives');
    // Same client id would have made the broker drop the first (§3.1.4 step 2); neither closed.
    expect(a.closes).toEqual([]);
    expect(b.closes).toEqual([]);
    await a.end();
    await b.end();
  });

  it('an incoming packet above maxPacket closes the connection with an error, once', async () => {
    const h = new Harness(port(), { maxPacket: 512 });
    await h.connect();
    const t = prefix() + 'big';
    await h.subscribe(t, 0);
    const other = await connectMqttJs(port());
    try {
      await other.publishAsync(t, Buffer.alloc(2000, 7), { qos: 0 });
    } finally {
      await other.endAsync();
    }
    await h.waitFor(() => h.closes.length > 0, 5000, 'close');
    await sleep(200);
    expect(h.closes).toEqual(['malformed packet: too_large']);
    expect(h.msgs.length).toBe(0);
    // The partial packet is not kept: the framer buffer is all zero.
    const buf = (h.client as unknown as { framer: { buf: Uint8Array } }).framer.buf;
    expect(buf.every((x) => x === 0)).toBe(true);
  });

  it('payloads handed to onMessage are independent copies; wipe() keeps them and zeroes internals', async () => {
    const h = new Harness(port(), { username: 'u' + randomBytes(4).toString('hex'), password: new Uint8Array([1, 2, 3]) });
    await h.connect();
    const t = prefix() + 'copy';
    await h.subscribe(t, 0);
    await h.publish(t, utf8Encode('first'));
    await h.publish(t, utf8Encode('second'));
    await h.waitFor(() => h.messagesOn(t).length === 2, 5000, 'two messages');
    const [m1, m2] = h.messagesOn(t);
    expect(m1.payload.buffer).not.toBe(m2.payload.buffer);
    m1.payload.fill(0); // the application wipes what it got
    expect(new TextDecoder().decode(m2.payload)).toBe('second');
    h.client.wipe();
    expect(new TextDecoder().decode(m2.payload)).toBe('second');
    const internals = h.client as unknown as { framer: { buf: Uint8Array }; connectPkt: unknown; password: unknown };
    expect(internals.framer.buf.every((x) => x === 0)).toBe(true);
    expect(internals.connectPkt).toBe(null);
    expect(internals.password).toBe(undefined);
    expect(h.client.isConnected()).toBe(false);
    await sleep(100);
    expect(h.closes).toEqual([]); // wipe() is silent
    expect(h.clock.active).toBe(0);
  });
}
