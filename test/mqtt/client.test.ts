/**
 * MqttClient state machine against a scripted broker (in-memory socket, manual clock): every
 * error path — refusals, protocol violations, timeouts, dead peer, misuse — plus one dead-peer run
 * over real TCP with a broker that accepts and then goes silent.
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Clock, Net, Socket, SocketHandlers } from '../../firmware/src/board';
import { fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { MqttClient } from '../../firmware/src/mqtt/client';
import type { MqttClientOptions } from '../../firmware/src/mqtt/client';
import { encodeConnect, encodePublish } from '../../firmware/src/mqtt/packets';
import { NodeClock, NodeNet } from './node-board';

class ManualClock implements Clock {
  t = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private next = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  }
  clearTimeout(id: number): void {
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  /** Run every timer due within `ms`, in time order (bounded). */
  advance(ms: number): void {
    const end = this.t + ms;
    for (let guard = 0; guard < 10000; guard++) {
      let due: { id: number; at: number; fn: () => void } | undefined;
      for (const x of this.timers) if (x.at <= end && (!due || x.at < due.at)) due = x;
      if (!due) break;
      this.clearTimeout(due.id);
      this.t = due.at;
      due.fn();
    }
    this.t = end;
  }
  get active(): number {
    return this.timers.length;
  }
}

class FakeConn {
  written: string[] = [];
  ended = false;
  /** Whether end() makes the socket report closed at once (a well-behaved stack). */
  closeOnEnd = true;
  constructor(public handlers: SocketHandlers) {}
  socket: Socket = {
    write: (d: Uint8Array) => {
      if (this.ended) throw new Error('write after end');
      this.written.push(toHex(d));
    },
    end: () => {
      this.ended = true;
      if (this.closeOnEnd) this.handlers.onClose();
    },
  };
  send(h: string): void {
    this.handlers.onData(fromHex(h.replace(/ /g, '')));
  }
}

class FakeNet implements Net {
  conns: FakeConn[] = [];
  throwOnConnect = false;
  syncConnect = false;
  connect(_host: string, _port: number, handlers: SocketHandlers): Socket {
    if (this.throwOnConnect) throw new Error('no route');
    const c = new FakeConn(handlers);
    this.conns.push(c);
    if (this.syncConnect) handlers.onConnect();
    return c.socket;
  }
  get conn(): FakeConn {
    return this.conns[this.conns.length - 1];
  }
}

interface Rig {
  net: FakeNet;
  clock: ManualClock;
  client: MqttClient;
  conn: FakeConn;
  msgs: { topic: string; payload: string; retained: boolean }[];
  closes: (string | undefined)[];
}

function rig(extra?: Partial<MqttClientOptions>): Omit<Rig, 'conn'> {
  const n = new FakeNet();
  const clock = new ManualClock();
  const client = new MqttClient(n, clock, { host: '127.0.0.1', port: 1883, clientId: 'pda1', keepaliveSec: 10, ...extra });
  const msgs: Rig['msgs'] = [];
  const closes: Rig['closes'] = [];
  client.onMessage((topic, payload, retained) => msgs.push({ topic, payload: toHex(payload), retained }));
  client.onClose((err) => closes.push(err));
  return { net: n, clock, client, msgs, closes };
}

/** A connected client (CONNECT seen, CONNACK accepted). */
function connected(extra?: Partial<MqttClientOptions>): Rig {
  const r = rig(extra);
  const results: (string | undefined)[] = [];
  r.client.connect((err) => results.push(err));
  const conn = r.net.conn;
  conn.handlers.onConnect();
  conn.send('20020000');
  expect(results).toEqual([undefined]);
  return { ...r, conn };
}

function collect(): { cb: (err?: string, x?: number) => void; got: unknown[][] } {
  const got: unknown[][] = [];
  return { cb: (err?: string, x?: number) => got.push(x === undefined ? [err] : [err, x]), got };
}

describe('connect', () => {
  it('sends CONNECT once TCP is up and reports success on CONNACK 0', () => {
    const r = rig({ username: 'u', password: 'p' });
    const c = collect();
    r.client.connect(c.cb);
    expect(r.net.conn.written).toEqual([]);
    r.net.conn.handlers.onConnect();
    expect(r.net.conn.written).toEqual([
      toHex(encodeConnect({ clientId: 'pda1', keepaliveSec: 10, username: 'u', password: 'p' })),
    ]);
    expect(r.client.isConnected()).toBe(false);
    r.net.conn.send('20020000');
    expect(c.got).toEqual([[undefined]]);
    expect(r.client.isConnected()).toBe(true);
  });

  it('works when the board calls onConnect inside net.connect', () => {
    const r = rig();
    r.net.syncConnect = true;
    r.client.connect(() => undefined);
    expect(r.net.conn.written.length).toBe(1);
    expect(r.net.conn.written[0].slice(0, 2)).toBe('10');
  });

  const refusals: [string, string][] = [
    ['20020005', 'connection refused: not authorized'],
    ['20020002', 'connection refused: identifier rejected'],
    ['20020100', 'protocol: session present on clean session'],
    ['d000', 'protocol: expected CONNACK'],
    ['20020200', 'malformed packet: bad_flags'],
    ['3003000174', 'protocol: expected CONNACK'],
  ];
  for (const [reply, why] of refusals) {
    it('fails the connect callback, not onClose, on ' + reply, () => {
      const r = rig();
      const c = collect();
      r.client.connect(c.cb);
      r.net.conn.handlers.onConnect();
      r.net.conn.send(reply);
      expect(c.got).toEqual([[why]]);
      expect(r.net.conn.ended).toBe(true);
      expect(r.closes).toEqual([]);
      expect(r.client.isConnected()).toBe(false);
      expect(r.clock.active).toBe(0);
    });
  }

  it('times out when no CONNACK arrives', () => {
    const r = rig({ connectTimeoutMs: 5000 });
    const c = collect();
    r.client.connect(c.cb);
    r.net.conn.handlers.onConnect();
    r.clock.advance(4999);
    expect(c.got).toEqual([]);
    r.clock.advance(1);
    expect(c.got).toEqual([['connect timeout']]);
    expect(r.net.conn.ended).toBe(true);
    expect(r.clock.active).toBe(0);
  });

  it('reports a TCP failure and a throwing net.connect through the callback', () => {
    const r = rig();
    const c = collect();
    r.client.connect(c.cb);
    r.net.conn.handlers.onClose('ECONNREFUSED');
    expect(c.got).toEqual([['connection lost: ECONNREFUSED']]);
    expect(r.closes).toEqual([]);
    const r2 = rig();
    r2.net.throwOnConnect = true;
    const c2 = collect();
    r2.client.connect(c2.cb);
    expect(c2.got).toEqual([['tcp connect failed']]);
    expect(r2.clock.active).toBe(0);
  });

  it('reports misuse on a later tick, never synchronously', () => {
    const r = connected();
    const c = collect();
    r.client.connect(c.cb);
    expect(c.got).toEqual([]);
    r.clock.advance(0);
    expect(c.got).toEqual([['connect: client already used']]);
    const bad = rig({ clientId: '' });
    const c2 = collect();
    bad.client.connect(c2.cb);
    bad.clock.advance(0);
    expect(c2.got).toEqual([['connect: empty client id']]);
    expect(bad.net.conns.length).toBe(0);
    const pw = rig({ password: 'x' });
    const c3 = collect();
    pw.client.connect(c3.cb);
    pw.clock.advance(0);
    expect(c3.got).toEqual([['connect: password needs a username']]);
    const ka = rig({ keepaliveSec: 70000 });
    const c4 = collect();
    ka.client.connect(c4.cb);
    ka.clock.advance(0);
    expect(c4.got).toEqual([['connect: bad keepalive']]);
  });
});

describe('subscribe / unsubscribe', () => {
  it('sends SUBSCRIBE and reports the granted QoS', () => {
    const r = connected();
    const c = collect();
    r.client.subscribe('a/+', c.cb, 1);
    expect(r.conn.written[1]).toBe('8208' + '0001' + '0003612f2b' + '01');
    r.conn.send('9003 0001 01');
    expect(c.got).toEqual([[undefined, 1]]);
  });

  it('a refused subscription (0x80) fails only that call; the connection stays', () => {
    const r = connected();
    const c = collect();
    r.client.subscribe('x', c.cb);
    r.conn.send('9003 0001 80');
    expect(c.got).toEqual([['subscribe refused by broker']]);
    expect(r.client.isConnected()).toBe(true);
  });

  it('a granted QoS above the requested one is a protocol error', () => {
    const r = connected();
    const c = collect();
    r.client.subscribe('x', c.cb, 0);
    r.conn.send('9003 0001 01');
    expect(c.got).toEqual([['protocol: granted QoS above requested']]);
    expect(r.closes).toEqual(['protocol: granted QoS above requested']);
  });

  it('SUBACK with the wrong code count, or for an UNSUBSCRIBE id, closes the connection', () => {
    const r = connected();
    r.client.subscribe('x', () => undefined);
    r.conn.send('9004 0001 0000');
    expect(r.closes).toEqual(['protocol: SUBACK code count']);
    const r2 = connected();
    const c = collect();
    r2.client.unsubscribe('x', c.cb);
    expect(r2.conn.written[1]).toBe('a205' + '0001' + '000178');
    r2.conn.send('9003 0001 00');
    expect(r2.closes).toEqual(['protocol: unexpected ack 1']);
    expect(c.got).toEqual([['protocol: unexpected ack 1']]);
  });

  it('UNSUBACK completes an unsubscribe', () => {
    const r = connected();
    const c = collect();
    r.client.unsubscribe('x/#', c.cb);
    r.conn.send('b002 0001');
    expect(c.got).toEqual([[undefined]]);
  });

  it('rejects bad filters and QoS asynchronously', () => {
    const r = connected();
    const c = collect();
    r.client.subscribe('a/#/b', c.cb);
    r.client.subscribe('a', c.cb, 2 as 1);
    r.client.unsubscribe('', c.cb);
    expect(c.got).toEqual([]);
    r.clock.advance(0);
    expect(c.got).toEqual([
      ['subscribe: misplaced # wildcard'],
      ['subscribe: qos must be 0 or 1'],
      ['unsubscribe: empty topic filter'],
    ]);
    expect(r.conn.written.length).toBe(1); // CONNECT only
  });
});

describe('publish', () => {
  it('QoS 0 is written at once and its callback runs on a later tick', () => {
    const r = connected();
    const c = collect();
    r.client.publish('t', new Uint8Array([1, 2]), { retain: true }, c.cb);
    expect(r.conn.written[1]).toBe('3105' + '000174' + '0102');
    expect(c.got).toEqual([]);
    r.clock.advance(0);
    expect(c.got).toEqual([[undefined]]);
  });

  it('QoS 1 completes on PUBACK with the same packet id', () => {
    const r = connected();
    const c = collect();
    r.client.publish('t', new Uint8Array([7]), { qos: 1 }, c.cb);
    expect(r.conn.written[1]).toBe('3206' + '000174' + '0001' + '07');
    r.clock.advance(100);
    expect(c.got).toEqual([]);
    r.conn.send('4002 0001');
    expect(c.got).toEqual([[undefined]]);
  });

  it('a missing PUBACK closes the connection after ackTimeoutMs', () => {
    const r = connected({ ackTimeoutMs: 3000, keepaliveSec: 0 });
    const c = collect();
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb);
    r.clock.advance(3000);
    expect(c.got).toEqual([['timeout waiting for ack 1']]);
    expect(r.closes).toEqual(['timeout waiting for ack 1']);
    expect(r.clock.active).toBe(0);
  });

  it('a PUBACK for an unknown id is a protocol error', () => {
    const r = connected();
    r.conn.send('4002 0009');
    expect(r.closes).toEqual(['protocol: unexpected ack 9']);
  });

  it('rejects wildcard topics, bad QoS, missing payload and use before connect', () => {
    const r = connected();
    const c = collect();
    r.client.publish('a/+', new Uint8Array(0), undefined, c.cb);
    r.client.publish('a', new Uint8Array(0), { qos: 2 as 1 }, c.cb);
    r.client.publish('a', undefined as unknown as Uint8Array, undefined, c.cb);
    const idle = rig();
    idle.client.publish('a', new Uint8Array(0), { qos: 1 }, c.cb);
    idle.client.publish('a', new Uint8Array(0), undefined, c.cb);
    r.clock.advance(0);
    idle.clock.advance(0);
    expect(c.got).toEqual([
      ['publish: wildcard in topic name'],
      ['publish: qos must be 0 or 1'],
      ['publish: payload must be a Uint8Array'],
      ['publish: not connected'],
      ['publish: not connected'],
    ]);
  });

  it('caps operations in flight and never reuses a packet id still in use', () => {
    const r = connected({ maxInflight: 2 });
    const c = collect();
    r.client.subscribe('s', c.cb); // id 1 stays pending
    (r.client as unknown as { nextId: number }).nextId = 65535;
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb); // id 65535
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb); // over the cap
    r.clock.advance(0);
    expect(c.got).toEqual([['publish: too many operations in flight']]);
    r.conn.send('4002 ffff');
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb); // wraps, skips 1 (in use) -> 2
    expect(r.conn.written[r.conn.written.length - 1]).toBe('3205' + '000174' + '0002');
  });
});

describe('incoming messages', () => {
  it('delivers QoS 0 without ack and QoS 1 followed by PUBACK; payloads are copies', () => {
    const r = connected();
    const chunk = encodePublish({ topic: 'd', payload: new Uint8Array([5, 6]), qos: 1, packetId: 0x0102 });
    const seen: Uint8Array[] = [];
    r.client.onMessage((_t, p) => seen.push(p));
    r.conn.handlers.onData(chunk);
    chunk.fill(0); // the board reusing its receive buffer must not change what was delivered
    r.conn.send(toHex(encodePublish({ topic: 'e', payload: new Uint8Array([9]), qos: 0, retain: true })));
    expect(seen.map(toHex)).toEqual(['0506', '09']);
    expect(r.conn.written.slice(1)).toEqual(['40020102']);
  });

  it('handles several packets in one chunk and packets split across chunks', () => {
    const r = rig();
    r.client.connect(() => undefined);
    const conn = r.net.conn;
    conn.handlers.onConnect();
    const c = collect();
    const pub = toHex(encodePublish({ topic: 'x', payload: utf8Encode('hi'), qos: 0 }));
    conn.send('20020000');
    r.client.subscribe('x', c.cb);
    conn.send('9003000100' + pub.slice(0, 6));
    conn.send(pub.slice(6) + 'd000');
    expect(c.got).toEqual([[undefined, 0]]);
    expect(r.msgs).toEqual([{ topic: 'x', payload: toHex(utf8Encode('hi')), retained: false }]);
    expect(r.closes).toEqual([]);
  });

  it('a malformed packet closes the connection once with the reason; later bytes are ignored', () => {
    const r = connected();
    r.conn.send('3803 000174');
    expect(r.closes).toEqual(['malformed packet: bad_flags']);
    expect(r.conn.ended).toBe(true);
    r.conn.send('3003000174');
    r.conn.handlers.onClose('late');
    expect(r.msgs).toEqual([]);
    expect(r.closes.length).toBe(1);
  });

  it('an oversized packet closes the connection before its body arrives', () => {
    const r = connected({ maxPacket: 128 });
    r.conn.send('30ff01');
    expect(r.closes).toEqual(['malformed packet: too_large']);
  });

  it('a second CONNACK is a protocol error', () => {
    const r = connected();
    r.conn.send('20020000');
    expect(r.closes).toEqual(['protocol: unexpected CONNACK']);
  });

  it('end() called inside onMessage: no PUBACK after DISCONNECT', () => {
    const r = connected();
    r.client.onMessage(() => r.client.end());
    r.conn.send(toHex(encodePublish({ topic: 'd', payload: new Uint8Array(1), qos: 1, packetId: 3 })));
    expect(r.conn.written[r.conn.written.length - 1]).toBe('e000');
    expect(r.conn.written).not.toContain('40020003');
    expect(r.closes).toEqual([undefined]);
  });
});

describe('keep-alive (§3.1.2.10)', () => {
  it('sends PINGREQ every keep-alive period and stays up while PINGRESP comes back', () => {
    const r = connected({ keepaliveSec: 10 });
    r.clock.advance(9999);
    expect(r.conn.written.length).toBe(1);
    r.clock.advance(1);
    expect(r.conn.written.slice(1)).toEqual(['c000']);
    r.conn.send('d000');
    r.clock.advance(10000);
    expect(r.conn.written.slice(1)).toEqual(['c000', 'c000']);
    r.conn.send('d000');
    r.clock.advance(5000);
    expect(r.closes).toEqual([]);
  });

  it('closes with an error when PINGRESP does not come within pingTimeoutMs (dead peer)', () => {
    const r = connected({ keepaliveSec: 10, pingTimeoutMs: 4000 });
    r.clock.advance(10000);
    r.clock.advance(3999);
    expect(r.closes).toEqual([]);
    r.clock.advance(1);
    expect(r.closes).toEqual(['keepalive timeout: no PINGRESP']);
    expect(r.conn.ended).toBe(true);
    expect(r.clock.active).toBe(0);
  });

  it('keepaliveSec 0 sends no PINGREQ at all', () => {
    const r = connected({ keepaliveSec: 0 });
    r.clock.advance(3600 * 1000);
    expect(r.conn.written.length).toBe(1);
    expect(r.clock.active).toBe(0);
  });
});

describe('closing', () => {
  it('end() sends DISCONNECT, fails pending operations, fires onClose(undefined) and the end callback once', () => {
    const r = connected();
    const c = collect();
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb);
    let ended = 0;
    r.client.end(() => ended++);
    r.client.end(() => ended++);
    expect(r.conn.written[r.conn.written.length - 1]).toBe('e000');
    expect(c.got).toEqual([['connection closed']]);
    expect(r.closes).toEqual([undefined]);
    r.clock.advance(0);
    expect(ended).toBe(2);
    expect(r.clock.active).toBe(0);
  });

  it('end() finishes after closeTimeoutMs even if the socket never reports closed', () => {
    const r = connected({ closeTimeoutMs: 1500 });
    r.conn.closeOnEnd = false;
    let ended = 0;
    r.client.end(() => ended++);
    expect(ended).toBe(0);
    r.clock.advance(1500);
    expect(ended).toBe(1);
    expect(r.closes).toEqual([undefined]);
    r.conn.handlers.onClose();
    expect(r.closes).toEqual([undefined]);
  });

  it('end() before connect, or during connect, calls back; onClose does not fire', () => {
    const r = rig();
    let ended = 0;
    r.client.end(() => ended++);
    r.clock.advance(0);
    expect(ended).toBe(1);
    const r2 = rig();
    const c = collect();
    r2.client.connect(c.cb);
    r2.client.end(() => ended++);
    expect(c.got).toEqual([['connect aborted by end()']]);
    expect(ended).toBe(2);
    expect(r2.closes).toEqual([]);
  });

  it('the broker closing the socket fires onClose once with an error and fails what was pending', () => {
    const r = connected();
    const c = collect();
    r.client.publish('t', new Uint8Array(0), { qos: 1 }, c.cb);
    r.conn.handlers.onClose();
    r.conn.handlers.onClose('again');
    expect(r.closes).toEqual(['connection closed by broker']);
    expect(c.got).toEqual([['connection closed by broker']]);
    expect(r.clock.active).toBe(0);
    const r2 = connected();
    r2.conn.handlers.onClose('ECONNRESET');
    expect(r2.closes).toEqual(['connection lost: ECONNRESET']);
  });

  it('wipe() zeroes the buffers, drops handlers, ends the socket silently', () => {
    const pw = new Uint8Array([1, 2, 3, 4]);
    const r = connected({ username: 'u', password: pw });
    r.conn.send('3010 0001 74'); // a partial PUBLISH sits in the framer
    const inner = r.client as unknown as { framer: { buf: Uint8Array }; connectPkt: Uint8Array | null; password: unknown };
    expect(inner.framer.buf.some((b) => b !== 0)).toBe(true);
    const connectPkt = inner.connectPkt as Uint8Array;
    r.client.wipe();
    expect(inner.framer.buf.every((b) => b === 0)).toBe(true);
    expect(connectPkt.every((b) => b === 0)).toBe(true);
    expect(inner.password).toBe(undefined);
    expect(Array.from(pw)).toEqual([1, 2, 3, 4]); // the caller's array is the caller's
    expect(r.conn.ended).toBe(true);
    expect(r.closes).toEqual([]);
    expect(r.clock.active).toBe(0);
    r.conn.send('000174');
    expect(r.msgs).toEqual([]);
    expect(r.client.isConnected()).toBe(false);
  });
});

describe('dead peer over real TCP', () => {
  it('a broker that accepts and then stays silent is detected by keep-alive', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => {
      sockets.push(s);
      s.once('data', () => s.write(Buffer.from('20020000', 'hex'))); // CONNACK, then silence
    });
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const clock = new NodeClock();
      const client = new MqttClient(new NodeNet(), clock, {
        host: '127.0.0.1',
        port,
        clientId: 'silent-test',
        keepaliveSec: 1,
        pingTimeoutMs: 500,
      });
      const closes: (string | undefined)[] = [];
      const t0 = Date.now();
      await new Promise<void>((res, rej) => client.connect((e) => (e ? rej(new Error(e)) : res())));
      await new Promise<void>((res) => client.onClose((e) => (closes.push(e), res())));
      const took = Date.now() - t0;
      await new Promise((res) => setTimeout(res, 100));
      expect(closes).toEqual(['keepalive timeout: no PINGRESP']);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(4000);
      expect(clock.active).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((res) => server.close(() => res()));
    }
  });
});
