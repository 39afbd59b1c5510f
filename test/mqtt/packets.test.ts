/**
 * MQTT 3.1.1 codec: byte-exact encodings from the spec's layouts, round trips, and every malformed
 * form rejected with DecodeError (never another exception, never a crash).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import {
  MAX_REMAINING_LENGTH,
  checkTopicFilter,
  checkTopicName,
  connackReason,
  decodePacket,
  decodeRemainingLength,
  encodeConnect,
  encodeDisconnect,
  encodePingreq,
  encodePuback,
  encodePublish,
  encodeRemainingLength,
  encodeSubscribe,
  encodeUnsubscribe,
} from '../../firmware/src/mqtt/packets';
import type { Publish, Suback } from '../../firmware/src/mqtt/packets';

function rejects(bytes: Uint8Array | string, reason: string): void {
  const b = typeof bytes === 'string' ? fromHex(bytes.replace(/ /g, '')) : bytes;
  let caught: unknown;
  try {
    decodePacket(b);
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected DecodeError ' + reason).toBeInstanceOf(DecodeError);
  expect((caught as DecodeError).reason).toBe(reason);
}

function hex(b: Uint8Array): string {
  return toHex(b);
}

function dec(h: string) {
  return decodePacket(fromHex(h.replace(/ /g, '')));
}

describe('Remaining Length (§2.2.3)', () => {
  // Table 2.4 boundaries.
  const table: [number, string][] = [
    [0, '00'],
    [127, '7f'],
    [128, '8001'],
    [16383, 'ff7f'],
    [16384, '808001'],
    [2097151, 'ffff7f'],
    [2097152, '80808001'],
    [268435455, 'ffffff7f'],
  ];
  it('encodes and decodes the boundary values of Table 2.4', () => {
    for (const [n, h] of table) {
      expect(toHex(new Uint8Array(encodeRemainingLength(n)))).toBe(h);
      const b = fromHex(h);
      expect(decodeRemainingLength(b, 0, b.length)).toEqual({ value: n, size: b.length });
    }
  });

  it('round-trips any value up to 268,435,455', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_REMAINING_LENGTH }), (n) => {
        const b = new Uint8Array(encodeRemainingLength(n));
        expect(decodeRemainingLength(b, 0, b.length)).toEqual({ value: n, size: b.length });
      }),
    );
  });

  it('refuses to encode values out of range', () => {
    for (const n of [-1, 268435456, 1.5, NaN]) expect(() => encodeRemainingLength(n)).toThrow(/^mqtt: /);
  });

  it('returns null while the length is incomplete, and rejects a fifth length byte', () => {
    const b = fromHex('ffffff');
    expect(decodeRemainingLength(b, 0, 3)).toBe(null);
    expect(decodeRemainingLength(b, 0, 0)).toBe(null);
    expect(() => decodeRemainingLength(fromHex('ffffffff7f'), 0, 5)).toThrow(DecodeError);
    // Even with only the 4 continuation bytes present the verdict is final.
    expect(() => decodeRemainingLength(fromHex('80808080'), 0, 4)).toThrow(/bad_varint/);
  });
});

describe('encoders', () => {
  it('CONNECT: protocol name, level 4, clean session, keepalive, client id (§3.1)', () => {
    expect(hex(encodeConnect({ clientId: 'abc', keepaliveSec: 60 }))).toBe(
      '10' + '0f' + '00044d515454' + '04' + '02' + '003c' + '0003616263',
    );
  });

  it('CONNECT with user name and password sets flags 0xC2 and appends both (§3.1.2.8-9, §3.1.3.4-5)', () => {
    const b = encodeConnect({ clientId: 'c', keepaliveSec: 0, username: 'u', password: new Uint8Array([0, 255]) });
    expect(hex(b)).toBe('10' + '14' + '00044d515454' + '04' + 'c2' + '0000' + '000163' + '000175' + '000200ff');
    const s = encodeConnect({ clientId: 'c', keepaliveSec: 1, username: 'ü', password: 'pw' });
    expect(hex(s)).toBe('10' + '15' + '00044d515454' + '04' + 'c2' + '0001' + '000163' + '0002c3bc' + '00027077');
  });

  it('CONNECT rejects a password without user name, bad keepalive, bad strings', () => {
    expect(() => encodeConnect({ clientId: 'c', keepaliveSec: 1, password: 'x' })).toThrow(/^mqtt: /);
    expect(() => encodeConnect({ clientId: 'c', keepaliveSec: 65536 })).toThrow(/^mqtt: /);
    expect(() => encodeConnect({ clientId: 'c', keepaliveSec: -1 })).toThrow(/^mqtt: /);
    expect(() => encodeConnect({ clientId: 'a\u0000b', keepaliveSec: 1 })).toThrow(/U\+0000/);
    expect(() => encodeConnect({ clientId: 'a\ud800', keepaliveSec: 1 })).toThrow(/surrogate/);
    expect(() => encodeConnect({ clientId: 'x'.repeat(65536), keepaliveSec: 1 })).toThrow(/65535/);
  });

  it('PUBLISH QoS 0, QoS 1 with packet id, retain and DUP bits (§3.3.1)', () => {
    const p = new Uint8Array([1, 2, 3]);
    expect(hex(encodePublish({ topic: 'a/b', payload: p, qos: 0 }))).toBe('30' + '08' + '0003612f62' + '010203');
    expect(hex(encodePublish({ topic: 'a/b', payload: p, qos: 0, retain: true }))).toBe('31' + '08' + '0003612f62' + '010203');
    expect(hex(encodePublish({ topic: 'a/b', payload: p, qos: 1, packetId: 0x1234 }))).toBe(
      '32' + '0a' + '0003612f62' + '1234' + '010203',
    );
    expect(hex(encodePublish({ topic: 't', payload: new Uint8Array(0), qos: 1, packetId: 1, retain: true, dup: true }))).toBe(
      '3b' + '05' + '000174' + '0001',
    );
  });

  it('PUBLISH with a 200-byte payload uses a two-byte Remaining Length', () => {
    const b = encodePublish({ topic: 't', payload: new Uint8Array(200), qos: 0 });
    expect(hex(b.subarray(0, 3))).toBe('30' + 'cb01'); // 3 + 200 = 203 = 0x4b + 1*128
    expect(b.length).toBe(3 + 203);
  });

  it('PUBLISH rejects wildcard or empty topics, bad packet ids, packet id or DUP on QoS 0, QoS 2', () => {
    const p = new Uint8Array(0);
    expect(() => encodePublish({ topic: 'a/+', payload: p, qos: 0 })).toThrow(/wildcard/);
    expect(() => encodePublish({ topic: 'a/#', payload: p, qos: 0 })).toThrow(/wildcard/);
    expect(() => encodePublish({ topic: '', payload: p, qos: 0 })).toThrow(/empty/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 1 })).toThrow(/packet id/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 1, packetId: 0 })).toThrow(/packet id/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 1, packetId: 65536 })).toThrow(/packet id/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 0, packetId: 5 })).toThrow(/QoS 0/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 0, dup: true })).toThrow(/QoS 0/);
    expect(() => encodePublish({ topic: 't', payload: p, qos: 2 as 1, packetId: 1 })).toThrow(/qos/);
  });

  it('SUBSCRIBE and UNSUBSCRIBE carry flags 0010, the packet id and the filters (§3.8, §3.10)', () => {
    expect(hex(encodeSubscribe(10, [{ topic: 'a/+', qos: 1 }]))).toBe('82' + '08' + '000a' + '0003612f2b' + '01');
    expect(hex(encodeSubscribe(1, [{ topic: '#', qos: 0 }, { topic: 'x', qos: 1 }]))).toBe(
      '82' + '0a' + '0001' + '000123' + '00' + '000178' + '01',
    );
    expect(hex(encodeUnsubscribe(0xbeef, ['a/#']))).toBe('a2' + '07' + 'beef' + '0003612f23');
    expect(() => encodeSubscribe(1, [])).toThrow(/^mqtt: /);
    expect(() => encodeUnsubscribe(1, [])).toThrow(/^mqtt: /);
    expect(() => encodeSubscribe(0, [{ topic: 'a', qos: 0 }])).toThrow(/packet id/);
    expect(() => encodeSubscribe(1, [{ topic: 'a#', qos: 0 }])).toThrow(/#/);
    expect(() => encodeUnsubscribe(1, ['a/+b'])).toThrow(/\+/);
  });

  it('PUBACK, PINGREQ, DISCONNECT', () => {
    expect(hex(encodePuback(0x0102))).toBe('40020102');
    expect(() => encodePuback(0)).toThrow(/^mqtt: /);
    expect(hex(encodePingreq())).toBe('c000');
    expect(hex(encodeDisconnect())).toBe('e000');
  });

  it('topic filter rules (§4.7.1)', () => {
    for (const ok of ['#', '+', 'a/#', '+/b/+', '/', 'a//b', 'sport/tennis/+/#', '+/+'])
      expect(checkTopicFilter(ok), ok).toBeUndefined();
    for (const bad of ['', 'a#', 'a/#/b', '#/a', 'a+', '+a/b', 'a/b+', 'a\u0000']) expect(checkTopicFilter(bad), bad).toBeTypeOf('string');
    for (const ok of ['a', '/', 'hood/v1/x/up', 'ü/世界']) expect(checkTopicName(ok), ok).toBeUndefined();
    for (const bad of ['', '+', 'a/#', 'a\u0000', '\udc00']) expect(checkTopicName(bad), bad).toBeTypeOf('string');
  });
});

describe('decodePacket: well-formed packets', () => {
  it('CONNACK accepted, session present, refused codes', () => {
    expect(dec('20020000')).toEqual({ type: 2, sessionPresent: false, returnCode: 0 });
    expect(dec('20020100')).toEqual({ type: 2, sessionPresent: true, returnCode: 0 });
    expect(dec('20020005')).toEqual({ type: 2, sessionPresent: false, returnCode: 5 });
    expect(connackReason(5)).toBe('not authorized');
    expect(connackReason(4)).toBe('bad user name or password');
    expect(connackReason(9)).toMatch(/reserved/);
  });

  it('PUBACK, UNSUBACK, PINGRESP, SUBACK with every valid code', () => {
    expect(dec('4002ffff')).toEqual({ type: 4, packetId: 65535 });
    expect(dec('b0020007')).toEqual({ type: 11, packetId: 7 });
    expect(dec('d000')).toEqual({ type: 13 });
    expect(dec('9006000100010280')).toEqual({ type: 9, packetId: 1, returnCodes: [0, 1, 2, 0x80] });
  });

  it('PUBLISH round-trips topic, payload, QoS, retain, DUP and packet id', () => {
    const topicChar = fc.constantFrom('a', 'z', '/', 'ü', '世', '😀', ' ', '$', '-');
    fc.assert(
      fc.property(
        fc.array(topicChar, { minLength: 1, maxLength: 40 }).map((a) => a.join('')),
        fc.uint8Array({ maxLength: 300 }),
        fc.constantFrom<0 | 1>(0, 1),
        fc.boolean(),
        fc.boolean(),
        fc.integer({ min: 1, max: 65535 }),
        (topic, payload, qos, retain, dup, id) => {
          const frame = encodePublish({
            topic,
            payload,
            qos,
            retain,
            dup: qos === 1 ? dup : undefined,
            packetId: qos === 1 ? id : undefined,
          });
          const p = decodePacket(frame) as Publish;
          expect(p.type).toBe(3);
          expect(p.topic).toBe(topic);
          expect(Array.from(p.payload)).toEqual(Array.from(payload));
          expect(p.qos).toBe(qos);
          expect(p.retain).toBe(retain);
          expect(p.dup).toBe(qos === 1 ? dup : false);
          expect(p.packetId).toBe(qos === 1 ? id : 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the decoded payload is a copy: wiping the frame leaves it intact', () => {
    const frame = encodePublish({ topic: 't', payload: new Uint8Array([9, 8, 7]), qos: 0 });
    const p = decodePacket(frame) as Publish;
    frame.fill(0);
    expect(Array.from(p.payload)).toEqual([9, 8, 7]);
  });

  it('a SUBACK code list is returned in order', () => {
    const s = dec('9003abcd80') as Suback;
    expect(s.packetId).toBe(0xabcd);
    expect(s.returnCodes).toEqual([0x80]);
  });
});

describe('decodePacket: malformed packets are rejected with DecodeError', () => {
  it('bad Remaining Length: five bytes', () => {
    rejects('30 ffffffff7f', 'bad_varint');
  });

  it('truncated: no length byte, incomplete length, body shorter than announced', () => {
    rejects('20', 'truncated');
    rejects('30 80', 'truncated');
    rejects('2002 00', 'truncated'); // length past end
    rejects('3005 0003 61', 'truncated');
    rejects(new Uint8Array(0), 'truncated');
  });

  it('trailing bytes after the announced length', () => {
    rejects('2002 0000 00', 'trailing_bytes');
    rejects('d000 00', 'trailing_bytes');
  });

  it('wrong Remaining Length inside a type with fixed size', () => {
    rejects('2003 000000', 'trailing_bytes'); // CONNACK is 2 bytes
    rejects('2001 00', 'truncated');
    rejects('4003 000100', 'trailing_bytes');
    rejects('4001 01', 'truncated');
    rejects('d001 00', 'trailing_bytes');
    rejects('b003 000100', 'trailing_bytes');
  });

  it('wrong fixed-header flags (§2.2.2)', () => {
    rejects('2102 0000', 'bad_flags'); // CONNACK
    rejects('4202 0001', 'bad_flags'); // PUBACK
    rejects('9803 000100', 'bad_flags'); // SUBACK
    rejects('b102 0001', 'bad_flags'); // UNSUBACK
    rejects('d100', 'bad_flags'); // PINGRESP
    rejects('2002 0200', 'bad_flags'); // reserved CONNACK ack-flag bits
    rejects('2002 8000', 'bad_flags');
  });

  it('PUBLISH: QoS 3, QoS 2, DUP on QoS 0', () => {
    rejects('3603 000174', 'bad_qos');
    rejects('3405 000174 0001', 'unsupported_qos');
    rejects('3803 000174', 'bad_flags');
  });

  it('PUBLISH: zero-length topic is forbidden (§4.7.3)', () => {
    rejects('3002 0000', 'bad_topic');
    rejects('3204 0000 0001', 'bad_topic');
  });

  it('PUBLISH: invalid UTF-8 topics (overlong, lone byte, surrogate, truncated)', () => {
    rejects('3004 0002 c080', 'bad_utf8');
    rejects('3003 0001 ff', 'bad_utf8');
    rejects('3005 0003 eda080', 'bad_utf8');
    rejects('3004 0002 e282', 'bad_utf8');
    rejects('3003 0001 80', 'bad_utf8');
  });

  it('PUBLISH: wildcards and U+0000 in a topic name', () => {
    rejects('3003 0001 2b', 'bad_topic');
    rejects('3005 0003 612f23', 'bad_topic');
    rejects('3005 0003 610062', 'bad_topic');
  });

  it('PUBLISH: topic length past the end, missing or zero packet id on QoS 1', () => {
    rejects('3004 0005 6162', 'truncated');
    rejects('3203 000174', 'truncated');
    rejects('3204 000174 00', 'truncated');
    rejects('3205 000174 0000', 'zero_packet_id');
  });

  it('acks with packet id 0, SUBACK without codes or with a reserved code', () => {
    rejects('4002 0000', 'zero_packet_id');
    rejects('b002 0000', 'zero_packet_id');
    rejects('9003 0000 00', 'zero_packet_id');
    rejects('9002 0001', 'truncated');
    rejects('9003 0001 03', 'bad_suback_code');
    rejects('9003 0001 81', 'bad_suback_code');
  });

  it('reserved and client-to-server / QoS 2 packet types', () => {
    rejects('0000', 'bad_type');
    rejects('f000', 'bad_type');
    for (const first of ['10', '50', '62', '70', '82', 'a2', 'c0', 'e0']) rejects(first + '00', 'unexpected_type');
  });

  it('random bytes never raise anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
        try {
          decodePacket(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('mutations of valid packets never raise anything but DecodeError', () => {
    const seeds = [
      encodePublish({ topic: 'hood/v1/x', payload: utf8Encode('hi'), qos: 1, packetId: 3 }),
      fromHex('20020000'),
      fromHex('9006000100010280'),
      fromHex('4002ffff'),
    ];
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), fc.integer({ min: 0, max: 255 }), (seed, pos, val) => {
        const b = seed.slice();
        b[pos % b.length] = val;
        try {
          decodePacket(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
