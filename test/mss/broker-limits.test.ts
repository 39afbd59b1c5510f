/**
 * The embedded broker's caps (docs/protocol.md §7.6), each driven with bad input against real aedes:
 * connections, packet size, publish rate, JOIN rate, subscriptions, retained messages, wills, strikes.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import type { BrokerLimits } from '../../host/mss/broker-limits';
import { MssGateway } from '../../host/mss/gateway';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { KIND_JOIN, KIND_SESSION } from '../../shared/src/protocol/constants';
import { testDir } from '../helpers/temp-dir';

const started: { gw: MssGateway; dir: string }[] = [];
const clients: MqttClient[] = [];

async function gateway(limits: Partial<BrokerLimits> = {}) {
  const dir = testDir('hood-test-limits-');
  const gw = await MssGateway.start({ dataDir: dir, log: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, brokerLimits: limits, tickMs: 200 });
  started.push({ gw, dir });
  return gw;
}

async function connect(gw: MssGateway, o: mqtt.IClientOptions = {}): Promise<MqttClient> {
  const c = await mqtt.connectAsync(gw.brokerUrl, { clientId: 'x' + Math.random().toString(16).slice(2, 12), reconnectPeriod: 0, connectTimeout: 3000, ...o });
  c.on('error', () => undefined);
  clients.push(c);
  return c;
}

const closed = (c: MqttClient) => new Promise<void>((resolve) => (c.connected ? c.once('close', () => resolve()) : resolve()));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cell = (kind: number, size = 512) => {
  const b = Buffer.alloc(size, 0xa5);
  b[0] = 1;
  b[1] = kind;
  return b;
};

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => undefined)));
  for (const { gw, dir } of started.splice(0)) {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('embedded broker caps', () => {
  it('caps connections in total, and frees the slot when a client leaves', async () => {
    const gw = await gateway({ maxConnections: 3 });
    const a = await connect(gw);
    await connect(gw);
    await connect(gw);
    await expect(connect(gw)).rejects.toThrow(/unavailable|closed|refused/i);
    expect(gw.embedded!.stats.rejected.connections).toBeGreaterThanOrEqual(1);
    await a.endAsync();
    await expect.poll(() => gw.embedded!.stats.connections).toBe(2);
    await connect(gw);
    expect(gw.embedded!.stats.connections).toBe(3);
  });

  it('closes a connection that announces an oversize packet, of any size above the cap', async () => {
    const gw = await gateway({ maxPacketBytes: 1024 });
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1025, max: 200_000 }), async (size) => {
        const c = await connect(gw);
        const gone = closed(c);
        c.publish('other/app', Buffer.alloc(size), { qos: 0 });
        await gone;
      }),
      { numRuns: 8 },
    );
    expect(gw.embedded!.stats.rejected.packet_size).toBe(8);
    // Up to the cap is fine.
    const ok = await connect(gw);
    await ok.publishAsync('other/app', Buffer.alloc(900));
    await sleep(100);
    expect(ok.connected).toBe(true);
  });

  it('drops publishes beyond the rate and stops reading the connection meanwhile', async () => {
    const gw = await gateway({ publishPerSec: 5, publishBurst: 10, publishStart: 10 });
    const sub = await connect(gw);
    let got = 0;
    sub.on('message', () => got++);
    await sub.subscribeAsync('other/rate');
    const c = await connect(gw);
    for (let i = 0; i < 60; i++) c.publish('other/rate', Buffer.from([i]), { qos: 0 });
    await sleep(600);
    expect(got).toBeGreaterThanOrEqual(10);
    expect(got).toBeLessThanOrEqual(14);
    expect(gw.embedded!.stats.rejected.publish_rate).toBeGreaterThanOrEqual(1);
  });

  it('lets a connection have only its JOIN allowance through to the MSS', async () => {
    const gw = await gateway({ joinPerSec: 0.001, joinBurst: 2, joinStart: 2, strikeBurst: 100 });
    const c = await connect(gw);
    for (let i = 0; i < 8; i++) c.publish('hood/v1/doug/up', cell(KIND_JOIN), { qos: 0 });
    await expect.poll(() => gw.embedded!.stats.rejected.join_rate || 0).toBe(6);
    await sleep(200);
    expect(gw.admission.joins.stats.queued).toBe(2);
    expect(gw.core.stats.rejected.bad_seal).toBe(2);
    // SESSION cells are not JOINs: they pass.
    const before = gw.core.stats.cellsUp;
    await c.publishAsync('hood/v1/doug/up', cell(KIND_SESSION));
    await expect.poll(() => gw.core.stats.cellsUp).toBe(before + 1);
  });

  it('caps subscriptions per client; an unsubscribe frees one', async () => {
    const gw = await gateway({ maxSubscriptions: 3, strikeBurst: 100 });
    const c = await connect(gw);
    for (let i = 0; i < 3; i++) await c.subscribeAsync('hood/v1/doug/down/' + String(i).repeat(32));
    await expect(c.subscribeAsync('hood/v1/doug/down/' + '9'.repeat(32))).rejects.toThrow(/Subscribe error/);
    expect(gw.embedded!.stats.rejected.subscriptions).toBe(1);
    // Subscribing again to one it has is no new subscription.
    await c.subscribeAsync('hood/v1/doug/down/' + '0'.repeat(32));
    await c.unsubscribeAsync('hood/v1/doug/down/' + '0'.repeat(32));
    await c.subscribeAsync('hood/v1/doug/down/' + '9'.repeat(32));
  });

  it('keeps no retained message on a foreign topic, from anyone, nor a will', async () => {
    const gw = await gateway();
    const emb = gw.embedded!;
    const anon = await connect(gw, { will: { topic: 'other/will', payload: Buffer.from('w'), qos: 0, retain: true } });
    anon.publish('other/retained', Buffer.from('a'), { qos: 0, retain: true });
    const asGateway = await connect(gw, { username: emb.gatewayUsername, password: emb.gatewayPassword });
    asGateway.publish('other/retained2', Buffer.from('g'), { qos: 0, retain: true });
    await sleep(200);
    anon.stream.destroy(); // an unclean end would publish the will
    await sleep(200);
    const late = await connect(gw);
    const got: string[] = [];
    late.on('message', (t) => got.push(t));
    await late.subscribeAsync(['other/retained', 'other/retained2', 'other/will']);
    await sleep(300);
    expect(got).toEqual([]);
    expect(emb.stats.rejected.retain).toBe(1);
    expect(emb.stats.rejected.retain_foreign).toBe(1);
    expect(emb.stats.rejected.will).toBe(1);
    // The gateway's own retained beacon is still served.
    const b = await connect(gw);
    const beacon = new Promise<Buffer>((r) => b.on('message', (_t, p) => r(p)));
    await b.subscribeAsync('hood/v1/doug/beacon');
    expect(decodeBeacon(new Uint8Array(await beacon)).mssId).toBe('doug');
  });

  it('disconnects a persistent abuser once its strikes run out', async () => {
    const gw = await gateway({ strikeBurst: 5, strikesPerSec: 0.001 });
    const c = await connect(gw);
    const gone = closed(c);
    for (let i = 0; i < 20; i++) c.publish('hood/v1/doug/up', Buffer.alloc(100), { qos: 0 });
    await gone;
    expect(gw.embedded!.stats.rejected.cell_size).toBeGreaterThanOrEqual(6);
    expect(gw.embedded!.stats.disconnected.cell_size).toBe(1);
  });

  it('random abuse from many clients: no foreign retained message, no wrong-size cell reaches the MSS, the beacon stands', async () => {
    const gw = await gateway({ strikeBurst: 8, publishPerSec: 20, publishBurst: 20, publishStart: 20, maxSubscriptions: 4 });
    const topics = ['hood/v1/doug/up', 'hood/v1/doug/beacon', 'hood/v1/doug/down/' + 'ab'.repeat(16), 'other/x', '$SYS/x', 'hood/v1/other/up'];
    const op = fc.oneof(
      fc.record({ k: fc.constant('pub' as const), topic: fc.constantFrom(...topics), size: fc.constantFrom(0, 1, 100, 511, 512, 513, 2000), kind: fc.integer({ min: 0, max: 3 }), retain: fc.boolean() }),
      fc.record({ k: fc.constant('sub' as const), topic: fc.constantFrom('#', 'hood/#', 'hood/v1/+/beacon', 'hood/v1/doug/down/+', 'other/x', 'a/b', 'c/d', 'e/f', '$SYS/#') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const c = await connect(gw);
        for (const o of ops) {
          if (!c.connected) break;
          if (o.k === 'pub') {
            const p = Buffer.alloc(o.size, 7);
            if (o.size > 1) p[0] = 1;
            if (o.size > 1) p[1] = o.kind;
            c.publish(o.topic, p, { qos: 0, retain: o.retain });
          } else c.subscribeAsync(o.topic).catch(() => undefined);
        }
        await sleep(30);
        await c.endAsync(true);
      }),
      { numRuns: 25 },
    );
    await sleep(300);
    const late = await connect(gw);
    const got: { t: string; p: Buffer }[] = [];
    late.on('message', (t, p) => got.push({ t, p }));
    await late.subscribeAsync(['other/x', 'hood/v1/doug/beacon']);
    await sleep(300);
    expect(got.map((g) => g.t)).toEqual(['hood/v1/doug/beacon']);
    expect(decodeBeacon(new Uint8Array(got[0].p)).mssId).toBe('doug');
    expect(gw.core.stats.rejected.truncated).toBeUndefined();
    expect(gw.core.stats.rejected.oversized).toBeUndefined();
    expect(gw.embedded!.stats.rejected.forbidden_topic).toBeGreaterThan(0);
  });
});
