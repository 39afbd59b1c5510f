import { describe, it, expect } from 'vitest';
import { createHmac, hkdfSync } from 'node:crypto';
import { hmacSha256 } from '../../shared/src/crypto/hmac';
import { hkdfSha256, hkdfExtract, hkdfExpand } from '../../shared/src/crypto/hkdf';
import { ascii, hex, unhex, seededBytes } from './helpers';

function range(from: number, to: number): Uint8Array {
  const out = new Uint8Array(to - from + 1);
  for (let i = 0; i < out.length; i++) out[i] = from + i;
  return out;
}

describe('hmacSha256 (RFC 4231 §4)', () => {
  const cases: Array<[string, Uint8Array, Uint8Array, string]> = [
    ['1', new Uint8Array(20).fill(0x0b), ascii('Hi There'), 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    ['2', ascii('Jefe'), ascii('what do ya want for nothing?'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843'],
    ['3', new Uint8Array(20).fill(0xaa), new Uint8Array(50).fill(0xdd), '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe'],
    ['4', range(1, 25), new Uint8Array(50).fill(0xcd), '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b'],
    ['6', new Uint8Array(131).fill(0xaa), ascii('Test Using Larger Than Block-Size Key - Hash Key First'),
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54'],
    ['7', new Uint8Array(131).fill(0xaa),
      ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
      '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2'],
  ];
  for (const [name, key, data, mac] of cases) {
    it('test case ' + name, () => {
      expect(hex(hmacSha256(key, data))).toBe(mac);
    });
  }
  it('test case 5 (truncated to 128 bits)', () => {
    const mac = hmacSha256(new Uint8Array(20).fill(0x0c), ascii('Test With Truncation'));
    expect(hex(mac.subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b');
  });

  it('agrees with node:crypto for random keys (0..200 bytes) and messages', () => {
    const rnd = seededBytes('hmac');
    for (let i = 0; i < 200; i++) {
      const key = rnd(i);
      const msg = rnd((i * 7) % 301);
      expect(hex(hmacSha256(key, msg))).toBe(createHmac('sha256', key).update(msg).digest('hex'));
    }
  });

  it('does not modify its inputs', () => {
    const key = ascii('Jefe');
    const msg = ascii('what do ya want for nothing?');
    hmacSha256(key, msg);
    expect(hex(key)).toBe(hex(ascii('Jefe')));
    expect(hex(msg)).toBe(hex(ascii('what do ya want for nothing?')));
  });

  it('rejects non-bytes', () => {
    expect(() => hmacSha256('k' as unknown as Uint8Array, ascii('m'))).toThrow(TypeError);
    expect(() => hmacSha256(ascii('k'), 'm' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('hkdfSha256 (RFC 5869 appendix A)', () => {
  it('test case 1', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = range(0x00, 0x0c);
    const info = range(0xf0, 0xf9);
    expect(hex(hkdfExtract(salt, ikm))).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(hkdfSha256(ikm, salt, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });

  it('test case 2 (long inputs)', () => {
    const okm = hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82);
    expect(hex(okm)).toBe(
      'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
    );
  });

  it('test case 3 (empty salt and info)', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const expected = '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8';
    expect(hex(hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42))).toBe(expected);
    expect(hex(hkdfSha256(ikm, undefined, new Uint8Array(0), 42))).toBe(expected);
  });

  it('agrees with node:crypto hkdfSync on random inputs and lengths', () => {
    const rnd = seededBytes('hkdf');
    for (let i = 0; i < 100; i++) {
      const ikm = rnd(1 + (i % 70));
      const salt = rnd(i % 3 === 0 ? 0 : 1 + ((i * 5) % 90));
      const info = rnd((i * 3) % 40);
      const len = 1 + ((i * 37) % 200);
      const ours = hkdfSha256(ikm, salt, info, len);
      const node = new Uint8Array(hkdfSync('sha256', ikm, salt, info, len));
      expect(hex(ours)).toBe(hex(node));
    }
  });

  it('allows the maximum length 255*32 and rejects more, negatives and fractions', () => {
    const ikm = ascii('ikm');
    expect(hkdfSha256(ikm, undefined, new Uint8Array(0), 8160).length).toBe(8160);
    // Espruino has no RangeError, so shared code throws plain Error with a clear message.
    expect(() => hkdfSha256(ikm, undefined, new Uint8Array(0), 8161)).toThrow(/length must be an integer/);
    expect(() => hkdfSha256(ikm, undefined, new Uint8Array(0), -1)).toThrow(/length must be an integer/);
    expect(() => hkdfSha256(ikm, undefined, new Uint8Array(0), 1.5)).toThrow(/length must be an integer/);
    expect(() => hkdfExpand(new Uint8Array(16), new Uint8Array(0), 10)).toThrow(/prk must be >= 32 bytes/);
    expect(() => hkdfSha256('x' as unknown as Uint8Array, undefined, new Uint8Array(0), 10)).toThrow(TypeError);
  });

  it('different info gives unrelated output (domain separation)', () => {
    const ikm = unhex('00112233445566778899aabbccddeeff');
    expect(hex(hkdfSha256(ikm, undefined, ascii('a'), 32))).not.toBe(hex(hkdfSha256(ikm, undefined, ascii('b'), 32)));
  });
});
