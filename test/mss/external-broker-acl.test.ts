/**
 * `hood mss --broker` on Debian's mosquitto: the start-up probe refuses an open broker (naming the ACL
 * files), `--allow-open-broker` runs anyway and keeps warning, and the shipped hood.conf / hood.acl /
 * hood-dynsec.json enforce the roles of docs/protocol.md §1 against an anonymous attacker — no beacon
 * overwrite, no downlink read without naming the topic exactly, no downlink injection — while a whole
 * session still works through it.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { beaconTopic, downTopic, upTopic } from '../../shared/src/protocol/topics';
import { createLogger } from '../../host/common/log';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { probeBroker } from '../../host/mss/broker-probe';
import { renderMosquittoConfig } from '../../host/mss/mosquitto/config';
import { BUNDLE, startGateway } from '../helpers/gateway';
import { startHardenedMosquitto, startMosquitto, stopMosquitto, type HardenedMosquitto, type Running } from '../helpers/mosquitto';

function capture() {
  const lines: string[] = [];
  const dest = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', destination: dest }), lines, events: () => lines.map((l) => JSON.parse(l)) };
}

const anonymous = (url: string): Promise<MqttClient> =>
  mqtt.connectAsync(url, { clientId: 'c' + randomBytes(9).toString('hex'), reconnectPeriod: 0, connectTimeout: 5000 });

/** SUBACK return codes of one SUBSCRIBE (mqtt.js rejects a refused one; the code is on the error). */
async function suback(c: MqttClient, filter: string): Promise<number> {
  try {
    return (await c.subscribeAsync(filter, { qos: 0 }))[0].qos;
  } catch (e) {
    const g = (e as { packet?: { granted?: number[] } }).packet?.granted;
    if (g) return g[0];
    throw e;
  }
}

/** Wait until the broker has sent `c` everything it queued for it before now (UNSUBACK follows it). */
const fence = (c: MqttClient) => c.unsubscribeAsync('hood/test-fence/' + randomBytes(4).toString('hex'));

const SHIPPED = join(__dirname, '../../host/mss/mosquitto');

describe('shipped mosquitto configuration', () => {
  it('is what `hood mss mosquitto-config --mss-id doug` renders', () => {
    const f = renderMosquittoConfig({ mssId: 'doug', pluginPath: '/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so' });
    for (const name of Object.keys(f) as (keyof typeof f)[]) expect(readFileSync(join(SHIPPED, name), 'utf8')).toBe(f[name]);
  });

  it('is parametrised by the MSS id and refuses an id that is not one', () => {
    const f = renderMosquittoConfig({ mssId: 'kiosk-7' });
    expect(f['hood.acl']).toContain('topic write hood/v1/kiosk-7/up');
    expect(f['hood.acl']).not.toContain('doug');
    expect(JSON.parse(f['hood-dynsec.json']).roles[0].acls.map((a: { topic: string }) => a.topic)).toContain('hood/v1/kiosk-7/down/+');
    for (const bad of ['', 'Doug', 'a/b', 'a#', '+', 'x\ntopic readwrite #', '-x']) expect(() => renderMosquittoConfig({ mssId: bad })).toThrow(/invalid MSS id/);
  });
});

describe('an open mosquitto (anonymous clients may do anything)', () => {
  let open: Running;
  beforeAll(async () => {
    open = await startMosquitto();
  });
  afterAll(async () => {
    if (open) await stopMosquitto(open);
  });

  it('the probe sees it as open', async () => {
    const gw = await mqtt.connectAsync('mqtt://127.0.0.1:' + open.port, { reconnectPeriod: 0 });
    try {
      const r = await probeBroker({ url: 'mqtt://127.0.0.1:' + open.port, mssId: 'doug', gateway: gw });
      expect(r).toEqual({
        anonymousConnected: true,
        downlinkWildcardsGranted: ['hood/v1/doug/down/#', 'hood/v1/doug/down/+'],
        downlinkCellRead: true,
        beaconWritable: true,
      });
    } finally {
      await gw.endAsync();
    }
  });

  it('is refused at start with the ACL files named, and leaves no retained marker behind', async () => {
    const c = capture();
    const err = await startGateway({ brokerUrl: 'mqtt://127.0.0.1:' + open.port, log: c.log }).then(
      (g) => g.stop().then(() => null),
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toMatch(/hood\.conf with hood\.acl and hood-dynsec\.json/);
    expect(err!.message).toMatch(/read downlink cells it did not name/);
    expect(err!.message).toMatch(/overwrite the retained beacon/);
    expect(err!.message).toMatch(/--allow-open-broker/);
    expect(c.events().some((e) => e.event === 'mss_started')).toBe(false);
    // Nothing is retained on the beacon topic now (the marker was taken down, no beacon was published).
    const watcher = await anonymous('mqtt://127.0.0.1:' + open.port);
    const got: Buffer[] = [];
    watcher.on('message', (t, p) => t === beaconTopic('doug') && got.push(p));
    await watcher.subscribeAsync(beaconTopic('doug'), { qos: 1 });
    await fence(watcher);
    await watcher.endAsync();
    expect(got.filter((p) => p.length > 0)).toEqual([]);
  });

  it('--allow-open-broker runs anyway, warning at start and every beacon period', async () => {
    const c = capture();
    const g = await startGateway({ brokerUrl: 'mqtt://127.0.0.1:' + open.port, allowOpenBroker: true, log: c.log, beaconPeriodSec: 1 });
    try {
      const warns = () => c.events().filter((e) => e.event === 'broker_open' && e.level === 40);
      expect(warns().length).toBe(1);
      expect(warns()[0].msg).toMatch(/INSECURE/);
      await expect.poll(() => warns().length, { timeout: 5000 }).toBeGreaterThanOrEqual(3);
      // The real beacon is in place (the probe's marker was replaced).
      const watcher = await anonymous(g.gw.brokerUrl);
      const got: Buffer[] = [];
      watcher.on('message', (_t, p) => got.push(p));
      await watcher.subscribeAsync(beaconTopic('doug'), { qos: 1 });
      await expect.poll(() => got.length).toBeGreaterThan(0);
      await watcher.endAsync();
      expect(toHex(decodeBeacon(new Uint8Array(got[0])).identityKey)).toBe(toHex(g.gw.core.identityKey));
    } finally {
      await g.stop();
    }
  });
});

describe('mosquitto with the shipped hood.conf, hood.acl and hood-dynsec.json', () => {
  let mosq: HardenedMosquitto;
  let g: Awaited<ReturnType<typeof startGateway>>;
  const c = capture();
  beforeAll(async () => {
    mosq = await startHardenedMosquitto('doug');
    g = await startGateway({ brokerUrl: mosq.url, brokerUsername: mosq.gatewayUser, brokerPassword: mosq.gatewayPassword, log: c.log });
  });
  afterAll(async () => {
    await g?.stop();
    if (mosq) await stopMosquitto(mosq);
  });

  it('starts: the probe finds the roles enforced', async () => {
    expect(c.events().map((e) => e.event)).toEqual(expect.arrayContaining(['broker_checked', 'mss_started']));
    expect(c.events().some((e) => e.event === 'broker_open')).toBe(false);
    const r = await probeBroker({ url: mosq.url, mssId: 'doug', gateway: g.gw.client });
    expect(r).toEqual({ anonymousConnected: true, downlinkWildcardsGranted: [], downlinkCellRead: false, beaconWritable: false });
  });

  it('a wrong gateway password is refused by the broker', async () => {
    await expect(startGateway({ brokerUrl: mosq.url, brokerUsername: mosq.gatewayUser, brokerPassword: 'wrong' })).rejects.toThrow(/cannot connect to broker/);
  });

  it('an anonymous client cannot overwrite the retained beacon', async () => {
    const evil = await anonymous(mosq.url);
    await evil.publishAsync(beaconTopic('doug'), Buffer.from('not a beacon'), { qos: 1, retain: true });
    await evil.publishAsync(beaconTopic('doug'), Buffer.alloc(0), { qos: 1, retain: true }); // nor delete it
    await evil.endAsync();
    const watcher = await anonymous(mosq.url);
    const got: Buffer[] = [];
    watcher.on('message', (_t, p) => got.push(p));
    expect(await suback(watcher, beaconTopic('doug'))).toBe(0);
    await fence(watcher);
    await watcher.endAsync();
    expect(got.length).toBe(1);
    expect(toHex(decodeBeacon(new Uint8Array(got[0])).identityKey)).toBe(toHex(g.gw.core.identityKey));
  });

  it('wildcard subscriptions that would reach downlink topics are refused in SUBACK', async () => {
    const evil = await anonymous(mosq.url);
    try {
      for (const f of ['#', 'hood/#', 'hood/v1/#', 'hood/v1/doug/#', 'hood/v1/doug/down/#', 'hood/v1/doug/down/+', 'hood/v1/+/down/+', 'hood/+/doug/down/+', '+/+/+/+/+', '+/v1/doug/down/+', '$share/g/hood/v1/doug/down/+', '$share/g/#', 'hood/v1/doug/up'])
        expect([f, await suback(evil, f)]).toEqual([f, 0x80]);
      for (const f of ['hood/v1/+/beacon', 'hood/v1/doug/beacon', 'hood/v1/doug/down/' + toHex(randomBytes(16)), 'elsewhere/topic'])
        expect([f, await suback(evil, f)]).toEqual([f, f === 'elsewhere/topic' ? 0x80 : 0]);
    } finally {
      await evil.endAsync();
    }
  });

  it("a whole session works while an eavesdropper's wildcards get none of its downlink cells", async () => {
    const evil = await anonymous(mosq.url);
    const seen: string[] = [];
    evil.on('message', (t) => seen.push(t));
    for (const f of ['#', 'hood/v1/doug/down/#', 'hood/v1/doug/down/+', 'hood/v1/+/+/+']) await suback(evil, f);
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const j = await joinSession(pda);
      expect(g.gw.core.sessions.findByTmpId(j.tmpId)).toBeDefined();
      const since = pda.events.length;
      pda.cmd({ cmd: 'send', channel: 0, payload: '0a0b0c' });
      expect((await pda.waitFor('data', 10_000, since)).payload).toBe('0a0b0c');
      expect((await endSession(pda)).ok).toBe(true);
      await fence(evil);
      expect(seen.filter((t) => t.includes('/down/'))).toEqual([]);
      expect(seen.filter((t) => t === upTopic('doug'))).toEqual([]);
    } finally {
      pda.powerOff();
      await evil.endAsync();
    }
  });

  it('an anonymous client cannot inject downlink cells (nor publish anywhere but the uplink)', async () => {
    const tag = randomBytes(16);
    const topic = downTopic('doug', tag);
    const victim = await anonymous(mosq.url);
    const got: string[] = [];
    victim.on('message', (_t, p) => got.push(p.toString()));
    expect(await suback(victim, topic)).toBe(0);
    const evil = await anonymous(mosq.url);
    await evil.publishAsync(topic, 'injected', { qos: 1 });
    await evil.publishAsync(topic, 'injected', { qos: 1, retain: true });
    await g.gw.client.publishAsync(topic, 'from the gateway', { qos: 1 });
    await fence(victim);
    expect(got).toEqual(['from the gateway']);
    await evil.endAsync();
    // Nothing retained from the attacker either: a late subscriber gets nothing.
    const late = await anonymous(mosq.url);
    const late_: string[] = [];
    late.on('message', (_t, p) => late_.push(p.toString()));
    await suback(late, topic);
    await fence(late);
    expect(late_).toEqual([]);
    await late.endAsync();
    await victim.endAsync();
  });

  it('random subscription filters and publishes by anonymous clients never reach a downlink cell or the beacon (fast-check)', async () => {
    const levels = ['hood', 'v1', 'doug', 'down', 'beacon', 'up', '+', '#', 'x', ''];
    const filter = fc
      .array(fc.constantFrom(...levels), { minLength: 1, maxLength: 6 })
      .map((a) => {
        const i = a.indexOf('#');
        return (i >= 0 ? a.slice(0, i + 1) : a).join('/');
      })
      .filter((f) => f.length > 0);
    const evil = await anonymous(mosq.url);
    const watcher = await anonymous(mosq.url); // a PDA's exact beacon subscription, to see any overwrite
    const beacons: Buffer[] = [];
    watcher.on('message', (_t, p) => beacons.push(p));
    await suback(watcher, beaconTopic('doug'));
    await fence(watcher);
    const realBeacon = beacons.length;
    const seen: string[] = [];
    evil.on('message', (t) => seen.push(t));
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(filter, { minLength: 1, maxLength: 4 }), fc.array(filter, { maxLength: 3 }), async (subs, pubs) => {
          seen.length = 0;
          for (const f of subs) await suback(evil, f);
          for (const t of pubs.map((p) => p.replace(/[+#]/g, 'w')))
            if (t !== upTopic('doug')) await evil.publishAsync(t, 'evil', { qos: 1, retain: true });
          const cell = downTopic('doug', randomBytes(16));
          await g.gw.client.publishAsync(cell, 'secret cell', { qos: 1 });
          await fence(evil);
          await evil.unsubscribeAsync(subs);
          expect(seen.filter((t) => t === cell)).toEqual([]);
        }),
        { numRuns: 40 },
      );
      await fence(watcher);
      expect(beacons.length).toBe(realBeacon); // nothing an attacker published reached the beacon topic
    } finally {
      await evil.endAsync();
      await watcher.endAsync();
    }
  });
});
