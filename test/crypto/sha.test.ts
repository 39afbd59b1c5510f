import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { sha256 } from '../../shared/src/crypto/sha256';
import { sha512 } from '../../shared/src/crypto/sha512';
import { ascii, hex, seededBytes } from './helpers';

// FIPS 180-2 appendix / NIST CSRC examples.
const MSG448 = 'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq';
const MSG896 =
  'abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu';

describe('sha256 (FIPS 180-4)', () => {
  it('matches the "abc", 448-bit and one-million-a vectors', () => {
    expect(hex(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(hex(sha256(ascii(MSG448)))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
    expect(hex(sha256(new Uint8Array(1000000).fill(0x61)))).toBe(
      'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0',
    );
  });

  it('agrees with node:crypto on every length 0..300 and random inputs', () => {
    const rnd = seededBytes('sha256');
    for (let n = 0; n <= 300; n++) {
      const m = rnd(n);
      expect(hex(sha256(m))).toBe(createHash('sha256').update(m).digest('hex'));
    }
  });

  it('hashes a subarray view, not its whole buffer', () => {
    const big = ascii('xxabcxx');
    expect(hex(sha256(big.subarray(2, 5)))).toBe(hex(sha256(ascii('abc'))));
  });

  it('rejects non-bytes', () => {
    expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(TypeError);
  });
});

describe('sha512 (FIPS 180-4)', () => {
  it('matches the "abc", 896-bit and one-million-a vectors', () => {
    expect(hex(sha512(ascii('abc')))).toBe(
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    );
    expect(hex(sha512(ascii(MSG896)))).toBe(
      '8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909',
    );
    expect(hex(sha512(new Uint8Array(1000000).fill(0x61)))).toBe(
      'e718483d0ce769644e2e42c7bc15b4638e1f98b13b2044285632a803afa973ebde0ff244877ea60a4cb0432ce577c31beb009c5c2c49aa2e4eadb217ad8cc09b',
    );
  });

  it('agrees with node:crypto on every length 0..300 and random inputs', () => {
    const rnd = seededBytes('sha512');
    for (let n = 0; n <= 300; n++) {
      const m = rnd(n);
      expect(hex(sha512(m))).toBe(createHash('sha512').update(m).digest('hex'));
    }
  });

  it('rejects non-bytes', () => {
    expect(() => sha512([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
