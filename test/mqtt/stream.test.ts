/**
 * The stream framer: arbitrary TCP chunking in, whole packets out, bounded memory, and a hard stop
 * on oversized or malformed streams.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError, concat, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { MqttFramer } from '../../firmware/src/mqtt/stream';
import { decodePacket, encodePublish } from '../../firmware/src/mqtt/packets';

function internalBuf(f: MqttFramer): Uint8Array {
  return (f as unknown as { buf: Uint8Array }).buf;
}

function feed(f: MqttFramer, chunks: Uint8Array[]): string[] {
  const out: string[] = [];
  for (const c of chunks) for (const p of f.push(c)) out.push(toHex(p));
  return out;
}

function thrown(fn: () => unknown): DecodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return e as DecodeError;
  }
  throw new Error('expected a DecodeError');
}

const samples = [
  fromHex('20020000'),
  encodePublish({ topic: 'hood/v1/m/down', payload: new Uint8Array(300).fill(0xab), qos: 1, packetId: 9 }),
  fromHex('d000'),
  fromHex('9003000101'),
  encodePublish({ topic: 't', payload: utf8Encode('x'), qos: 0 }),
];

describe('MqttFramer', () => {
  it('yields several packets from one chunk, in order', () => {
    const f = new MqttFramer(4096);
    expect(feed(f, [concat(samples)])).toEqual(samples.map(toHex));
    expect(f.buffered).toBe(0);
  });

  it('reassembles packets fed one byte at a time', () => {
    const f = new MqttFramer(4096);
    const all = concat(samples);
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < all.length; i++) chunks.push(all.subarray(i, i + 1));
    expect(feed(f, chunks)).toEqual(samples.map(toHex));
  });

  it('reassembles any split of any packet sequence', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...samples), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (pkts, cuts) => {
          const all = concat(pkts);
          const points = cuts.map((c) => c % (all.length + 1)).sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let prev = 0;
          for (const p of points) {
            chunks.push(all.subarray(prev, p));
            prev = p;
          }
          chunks.push(all.subarray(prev));
          const f = new MqttFramer(1024);
          expect(feed(f, chunks)).toEqual(pkts.map(toHex));
          expect(f.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('accepts a packet of exactly maxPacket bytes and rejects one byte more as soon as the header says so', () => {
    const exact = encodePublish({ topic: 't', payload: new Uint8Array(64 - 2 - 3), qos: 0 });
    expect(exact.length).toBe(64);
    expect(feed(new MqttFramer(64), [exact])).toEqual([toHex(exact)]);
    const f = new MqttFramer(64);
    // Only the fixed header of a 65-byte packet: rejected before its body is buffered.
    const e = thrown(() => f.push(fromHex('303f')));
    expect(e.reason).toBe('too_large');
  });

  it('rejects a huge announced length without buffering it', () => {
    const f = new MqttFramer(4096);
    expect(thrown(() => f.push(fromHex('30ffffff7f'))).reason).toBe('too_large');
    expect(f.buffered).toBe(0);
  });

  it('rejects a five-byte Remaining Length and reserved packet types', () => {
    expect(thrown(() => new MqttFramer(4096).push(fromHex('30ffffffff'))).reason).toBe('bad_varint');
    expect(thrown(() => new MqttFramer(4096).push(fromHex('00'))).reason).toBe('bad_type');
    expect(thrown(() => new MqttFramer(4096).push(fromHex('f0'))).reason).toBe('bad_type');
    // ...also when the bad packet follows good ones in the same chunk.
    const f = new MqttFramer(4096);
    expect(thrown(() => f.push(fromHex('d000f000'))).reason).toBe('bad_type');
  });

  it('stays failed after an error and holds no bytes', () => {
    const f = new MqttFramer(64);
    f.push(fromHex('3005000174'));
    expect(f.buffered).toBe(5);
    thrown(() => f.push(fromHex('ff0000')));
    expect(f.buffered).toBe(0);
    expect(internalBuf(f).every((b) => b === 0)).toBe(true);
    expect(thrown(() => f.push(fromHex('d000'))).reason).toBe('bad_type');
  });

  it('wipe() zero-fills the buffer and drops a partial packet', () => {
    const f = new MqttFramer(64);
    f.push(fromHex('300a0001746869'));
    expect(internalBuf(f).some((b) => b !== 0)).toBe(true);
    f.wipe();
    expect(f.buffered).toBe(0);
    expect(internalBuf(f).every((b) => b === 0)).toBe(true);
    expect(feed(f, [fromHex('d000')])).toEqual(['d000']);
  });

  it('leaves no stale bytes behind the buffered tail after emitting packets', () => {
    const f = new MqttFramer(64);
    f.push(fromHex('d000 3005 000174'.replace(/ /g, '')));
    const b = internalBuf(f);
    expect(f.buffered).toBe(5);
    expect(b.subarray(5).every((x) => x === 0)).toBe(true);
  });

  it('validates maxPacket', () => {
    for (const m of [0, 4, 1.5, NaN, 268435461]) expect(() => new MqttFramer(m)).toThrow(/^mqtt: /);
  });

  it('fuzz: random chunks never throw anything but DecodeError and never hold more than maxPacket', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 5, max: 300 }),
        fc.array(fc.uint8Array({ maxLength: 400 }), { maxLength: 12 }),
        (max, chunks) => {
          const f = new MqttFramer(max);
          const buf = internalBuf(f);
          for (const c of chunks) {
            try {
              for (const p of f.push(c)) {
                expect(p.length).toBeLessThanOrEqual(max);
                try {
                  decodePacket(p);
                } catch (e) {
                  expect(e).toBeInstanceOf(DecodeError);
                }
              }
            } catch (e) {
              expect(e).toBeInstanceOf(DecodeError);
              break;
            }
            expect(f.buffered).toBeLessThanOrEqual(max);
            expect(internalBuf(f)).toBe(buf); // never reallocated or grown
            expect(buf.length).toBe(max);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('fuzz: plausible headers (valid types, random lengths) behave the same', () => {
    const header = fc
      .tuple(fc.integer({ min: 1, max: 14 }), fc.integer({ min: 0, max: 15 }), fc.uint8Array({ minLength: 0, maxLength: 40 }))
      .map(([t, fl, body]) => concat([new Uint8Array([(t << 4) | fl, Math.min(body.length + (t & 3), 127)]), body]));
    fc.assert(
      fc.property(fc.array(header, { maxLength: 20 }), fc.integer({ min: 5, max: 64 }), (pkts, max) => {
        const f = new MqttFramer(max);
        try {
          for (const p of f.push(concat(pkts))) {
            try {
              decodePacket(p);
            } catch (e) {
              expect(e).toBeInstanceOf(DecodeError);
            }
          }
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
        expect(f.buffered).toBeLessThanOrEqual(max);
      }),
      { numRuns: 1000 },
    );
  });
});
