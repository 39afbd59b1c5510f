/**
 * The load generator's MQTT 3.1.1 framing (host/bench/mqtt-wire.ts): packets survive any split of the byte
 * stream, every length is bounded before it is trusted, and the lean client and the reflecting sink talk.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PUBLISH, PacketReader, WireClient, mqttString, parsePublish, publishPacket } from '../../host/bench/mqtt-wire';
import { startMqttSink } from '../../host/bench/mqtt-sink';

describe('bench MQTT framing', () => {
  it('reads back any sequence of PUBLISH packets, however the stream is cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ topic: fc.string({ maxLength: 60 }), payload: fc.uint8Array({ maxLength: 20_000 }) }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }),
        (msgs, cuts) => {
          const stream = Buffer.concat(msgs.map((m) => publishPacket(mqttString(m.topic), m.payload)));
          const got: { topic: string; payload: Buffer }[] = [];
          const r = new PacketReader(64 * 1024, (type, flags, body) => {
            expect(type).toBe(PUBLISH);
            const p = parsePublish(flags, body)!;
            got.push({ topic: p.topic.toString('utf8'), payload: Buffer.from(p.payload) });
          });
          let at = 0;
          for (let i = 0; at < stream.length; i++) {
            const n = cuts[i % cuts.length];
            r.push(stream.subarray(at, at + n));
            at += n;
          }
          expect(got.map((g) => g.topic)).toEqual(msgs.map((m) => m.topic));
          got.forEach((g, i) => expect(g.payload.equals(Buffer.from(msgs[i].payload))).toBe(true));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('refuses a packet over the limit and a remaining length of more than 4 bytes, before buffering a body', () => {
    const big = publishPacket(mqttString('t'), new Uint8Array(2000));
    expect(() => new PacketReader(1000, () => undefined).push(big.subarray(0, 4))).toThrow(/over the limit/);
    expect(() => new PacketReader(1 << 30, () => undefined).push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]))).toThrow(/longer than 4 bytes/);
  });

  it('never throws anything but its own errors on random bytes, and never hands out a body past the input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (junk) => {
        const r = new PacketReader(1024, (_t, flags, body) => {
          expect(body.length).toBeLessThanOrEqual(1024);
          parsePublish(flags, body); // bounds-checked: null or views inside body
        });
        try {
          r.push(Buffer.from(junk));
        } catch (e) {
          expect((e as Error).message).toMatch(/MQTT/);
        }
      }),
      { numRuns: 500 },
    );
    expect(parsePublish(0, Buffer.from([0, 9, 1]))).toBeNull();
    expect(parsePublish(2, Buffer.from([0, 1, 65, 0]))).toBeNull();
  });

  it('a lean client subscribed to its topic gets each publish reflected by the sink', async () => {
    const sink = await startMqttSink();
    const c = await WireClient.connect('127.0.0.1', sink.port, 'test-client');
    try {
      await c.subscribe('hood/v1/doug/down/00');
      const got: Buffer[] = [];
      const all = new Promise<void>((resolve) => {
        c.onPublish = (topic, payload) => {
          expect(topic.toString()).toBe('hood/v1/doug/down/00');
          got.push(Buffer.from(payload));
          if (got.length === 3) resolve();
        };
      });
      for (let i = 0; i < 3; i++) c.write(publishPacket(mqttString('hood/v1/doug/up'), new Uint8Array(512).fill(i)));
      await all;
      expect(got.map((g) => g[0])).toEqual([0, 1, 2]);
      expect(sink.reflected()).toBe(3);
    } finally {
      await c.end();
      await sink.close();
    }
  });
});
