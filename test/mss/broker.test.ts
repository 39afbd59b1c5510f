/** The embedded broker enforces the roles of the air (docs/protocol.md §1). */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { startGateway } from '../helpers/gateway';

let g: Awaited<ReturnType<typeof startGateway>>;
beforeAll(async () => {
  g = await startGateway();
});
afterAll(async () => {
  await g.stop();
});

const connect = () => mqtt.connectAsync(g.gw.brokerUrl, { clientId: 'x' + Math.random().toString(16).slice(2), reconnectPeriod: 0 });

describe('embedded broker', () => {
  it('serves the signed retained beacon to anyone', async () => {
    const c = await connect();
    const got = new Promise<Buffer>((resolve) => c.on('message', (_t, p) => resolve(p)));
    await c.subscribeAsync('hood/v1/+/beacon');
    const b = decodeBeacon(new Uint8Array(await got));
    expect(b.mssId).toBe('doug');
    await c.endAsync();
  });

  it('does not let a client overwrite the beacon or publish downlink cells', async () => {
    const c = await connect();
    // A rejected publish makes the broker drop the client (MQTT 3.1.1 has no negative PUBACK).
    c.publish('hood/v1/doug/beacon', Buffer.from('fake'), { retain: true, qos: 0 });
    c.publish('hood/v1/doug/down/' + 'ab'.repeat(16), Buffer.alloc(512), { qos: 0 });
    await new Promise((r) => setTimeout(r, 300));
    c.end(true);
    const d = await connect();
    const got = new Promise<Buffer>((resolve) => d.on('message', (_t, p) => resolve(p)));
    await d.subscribeAsync('hood/v1/doug/beacon');
    const bytes = new Uint8Array(await got);
    expect(decodeBeacon(bytes).mssId).toBe('doug');
    await d.endAsync();
  });

  it('refuses wildcard subscriptions that would catch every session\'s downlink', async () => {
    const c = await connect();
    for (const t of ['hood/v1/doug/down/#', 'hood/#', '#', 'hood/v1/+/down/+', 'hood/v1/doug/+']) {
      // SUBACK return code 0x80 (failure), which mqtt.js reports as an error
      await expect(c.subscribeAsync(t), t).rejects.toThrow(/Subscribe error/);
    }
    expect((await c.subscribeAsync('hood/v1/doug/down/' + 'ab'.repeat(16)))[0].qos).toBe(0);
    await c.endAsync();
  });

  it('accepts uplink cells of the cell size only', async () => {
    const c = await connect();
    const before = g.gw.core.stats.cellsUp;
    await c.publishAsync('hood/v1/doug/up', Buffer.alloc(512));
    await expect.poll(() => g.gw.core.stats.cellsUp).toBe(before + 1);
    expect(g.gw.core.stats.rejected.bad_version).toBeGreaterThanOrEqual(1);
    c.publish('hood/v1/doug/up', Buffer.alloc(100));
    await new Promise((r) => setTimeout(r, 300));
    expect(g.gw.core.stats.cellsUp).toBe(before + 1);
    c.end(true);
  });
});
