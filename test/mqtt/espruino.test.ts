/**
 * The MQTT modules built the way the firmware is built (host/build/firmware.ts: bundle, ES5
 * lowering, Espruino static check) and run inside the Espruino 2v29 emulation
 * (boards/emu/espruino-vm.ts), against a real aedes broker. Catches builtins Espruino lacks
 * (RangeError, Array.from, typed-array methods, ...) that Node would hide.
 */
import net from 'node:net';
import vm from 'node:vm';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFirmware } from '../../host/build/firmware';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../../boards/emu/espruino-vm';
import { NodeNet } from './node-board';
import { testDir } from '../helpers/temp-dir';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('MQTT client inside the Espruino 2v29 emulation', () => {
  let dir: string;
  let ctx: vm.Context;
  let api: Any;
  let broker: Aedes;
  let server: net.Server;
  let port: number;
  const uncaught: unknown[] = [];

  beforeAll(async () => {
    dir = testDir('hood-mqtt-es5-');
    const out = join(dir, 'mqtt.js');
    await buildFirmware({ entry: fileURLToPath(new URL('./espruino-entry.ts', import.meta.url)), outFile: out, minify: false, budget: Infinity });
    ctx = createEspruinoContext({
      random: (n) => new Uint8Array(randomBytes(n)),
      print: () => undefined,
      onUncaught: (e) => uncaught.push(e),
    });
    runBundle(ctx, readFileSync(out, 'utf8'), 'mqtt.js');
    api = vm.runInContext('mqttTest', ctx);
    broker = await Aedes.createBroker();
    server = net.createServer(broker.handle);
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    if (ctx) disposeEspruinoContext(ctx);
    if (broker) await new Promise<void>((res) => broker.close(() => res()));
    if (server) await new Promise<void>((res) => server.close(() => res()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('connects, subscribes, publishes QoS 0 and 1 to itself, pings and ends', async () => {
    // The board clock the firmware would get, made of the context's own (Espruino-style) timers.
    const clock = vm.runInContext(
      '({ now: function () { return Date.now(); }, setTimeout: function (f, ms) { return setTimeout(f, ms); },' +
        ' clearTimeout: function (id) { clearTimeout(id); } })',
      ctx,
    );
    // 23 characters: the longest client id every server must accept [MQTT-3.1.3-5].
    const id = 'c' + randomBytes(11).toString('hex');
    const nodeNet = new NodeNet();
    const client = new api.MqttClient(nodeNet, clock, { host: '127.0.0.1', port, clientId: id, keepaliveSec: 1 });
    const msgs: { topic: string; payload: number[]; retained: boolean }[] = [];
    const closes: unknown[] = [];
    client.onMessage((t: string, p: Uint8Array, r: boolean) => msgs.push({ topic: t, payload: Array.prototype.slice.call(p), retained: r }));
    client.onClose((e: unknown) => closes.push(e));
    const call = (fn: (cb: (err?: string, x?: unknown) => void) => void): Promise<unknown> =>
      new Promise((res, rej) => fn((err, x) => (err ? rej(new Error(err)) : res(x))));
    await call((cb) => client.connect(cb));
    expect(await call((cb) => client.subscribe('hood/es5/+', cb, 1))).toBe(1);
    const payload = vm.runInContext('new Uint8Array([1, 2, 3, 250])', ctx);
    await call((cb) => client.publish('hood/es5/a', payload, { qos: 1 }, cb));
    await call((cb) => client.publish('hood/es5/b', payload, { qos: 0, retain: true }, cb));
    for (let i = 0; i < 100 && msgs.length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    expect(msgs).toEqual([
      { topic: 'hood/es5/a', payload: [1, 2, 3, 250], retained: false },
      { topic: 'hood/es5/b', payload: [1, 2, 3, 250], retained: false },
    ]);
    await new Promise((r) => setTimeout(r, 1600)); // past 1.5 x keepalive: PINGREQ kept us alive
    expect(closes).toEqual([]);
    expect(nodeNet.tap.written.some((c) => c.length === 2 && c[0] === 0xc0)).toBe(true);
    await call((cb) => client.publish('hood/es5/b', new Uint8Array(0), { retain: true }, cb));
    await new Promise<void>((res) => client.end(res));
    expect(closes).toEqual([undefined]);
    client.wipe();
    expect(uncaught).toEqual([]);
  });

  it('the framer and decoder throw only DecodeError on random input inside the emulation', () => {
    let others = 0;
    for (let round = 0; round < 300; round++) {
      const f = new api.MqttFramer(64);
      const data = new Uint8Array(randomBytes(1 + (round % 97)));
      try {
        const pkts = f.push(data);
        for (let i = 0; i < pkts.length; i++) {
          try {
            api.decodePacket(pkts[i]);
          } catch (e) {
            if ((e as Any).name !== 'DecodeError' || typeof (e as Any).reason !== 'string') others++;
          }
        }
      } catch (e) {
        if ((e as Any).name !== 'DecodeError' || typeof (e as Any).reason !== 'string') others++;
      }
      expect(f.buffered).toBeLessThanOrEqual(64);
    }
    expect(others).toBe(0);
    // A good packet split in two still decodes (exercises subarray/set/slice/fill in the VM).
    const frame = api.encodePublish({ topic: 't/ü', payload: vm.runInContext('new Uint8Array([9, 8])', ctx), qos: 1, packetId: 7 });
    const f = new api.MqttFramer(64);
    expect(f.push(frame.subarray(0, 3)).length).toBe(0);
    const out = f.push(frame.subarray(3));
    const p = api.decodePacket(out[0]);
    expect([p.topic, Array.prototype.slice.call(p.payload), p.packetId]).toEqual(['t/ü', [9, 8], 7]);
  });
});
