import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { diffieHellman } from 'node:crypto';
import { x25519, x25519Base, x25519Keypair, x25519Shared } from '../../shared/src/crypto/x25519';
import { hex, unhex, seededBytes } from './helpers';
import { x25519Private, x25519Public, rawPublic } from './node-keys';

describe('x25519 (RFC 7748)', () => {
  it('§5.2 test vector 1', () => {
    const k = unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
    const u = unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
    expect(hex(x25519(k, u))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
  });

  it('§5.2 test vector 2 (u with the top bit set, which must be masked)', () => {
    const k = unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d');
    const u = unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493');
    expect(hex(x25519(k, u))).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
  });

  it('§5.2 iterated ladder: 1 and 1000 iterations', () => {
    let k: Uint8Array = unhex('0900000000000000000000000000000000000000000000000000000000000000');
    let u: Uint8Array = k.slice();
    const t0 = performance.now();
    for (let i = 1; i <= 1000; i++) {
      const r = x25519(k, u);
      u = k;
      k = r;
      if (i === 1) expect(hex(k)).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
    }
    const ms = (performance.now() - t0) / 1000;
    expect(hex(k)).toBe('684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51');
    console.log('x25519 in Node: ' + ms.toFixed(3) + ' ms per call');
  });

  it('§6.1 Diffie-Hellman vector', () => {
    const aSk = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const bSk = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
    const aPk = x25519Base(aSk);
    const bPk = x25519Base(bSk);
    expect(hex(aPk)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    expect(hex(bPk)).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
    const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
    expect(hex(x25519Shared(aSk, bPk))).toBe(k);
    expect(hex(x25519Shared(bSk, aPk))).toBe(k);
  });

  it('x25519Keypair returns a copy of the secret and its public key', () => {
    const rand = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const kp = x25519Keypair(rand);
    expect(hex(kp.publicKey)).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
    rand.fill(0);
    expect(hex(kp.secretKey)).toBe('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  });

  it('agrees with node:crypto diffieHellman on 300 random key pairs, both directions', () => {
    const rnd = seededBytes('x25519');
    for (let i = 0; i < 300; i++) {
      const a = rnd(32);
      const b = rnd(32);
      const aNode = x25519Private(a);
      const bNode = x25519Private(b);
      const aPub = x25519Base(a);
      const bPub = x25519Base(b);
      expect(hex(aPub)).toBe(hex(rawPublic(aNode)));
      const nodeShared = new Uint8Array(diffieHellman({ privateKey: aNode, publicKey: x25519Public(bPub) }));
      expect(hex(x25519Shared(a, bPub))).toBe(hex(nodeShared));
      expect(hex(x25519Shared(b, aPub))).toBe(hex(nodeShared));
    }
  });

  it('agrees with node:crypto on random and non-canonical u (top bit set, u >= p)', () => {
    const rnd = seededBytes('x25519-u');
    const specials = [
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // 2^255 - 1
      'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // top bit set too
      '0200000000000000000000000000000000000000000000000000000000000000',
    ].map(unhex);
    const us: Uint8Array[] = specials.slice();
    for (let i = 0; i < 100; i++) us.push(rnd(32));
    for (const u of us) {
      const k = rnd(32);
      const ours = x25519(k, u);
      let theirs: string;
      try {
        theirs = hex(new Uint8Array(diffieHellman({ privateKey: x25519Private(k), publicKey: x25519Public(u) })));
      } catch {
        theirs = '00'.repeat(32); // OpenSSL refuses an all-zero result
      }
      expect(hex(ours)).toBe(theirs);
    }
  });

  it('equals tweetnacl scalarMult on random scalars and u (any 32 bytes: top bit, u >= p, low order)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (k, u) => {
        const want = nacl.scalarMult(new Uint8Array(k), new Uint8Array(u));
        const kIn = new Uint8Array(k);
        const uIn = new Uint8Array(u);
        expect(Buffer.from(x25519(kIn, uIn)).toString('hex')).toBe(Buffer.from(want).toString('hex'));
        // Inputs are left as given (the clamping works on a copy).
        expect(Buffer.from(kIn).equals(Buffer.from(k))).toBe(true);
        expect(Buffer.from(uIn).equals(Buffer.from(u))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('x25519Shared throws on low-order peer keys (RFC 7748 §6.1 all-zero check)', () => {
    const sk = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
    const lowOrder = [
      '0000000000000000000000000000000000000000000000000000000000000000', // 0
      '0100000000000000000000000000000000000000000000000000000000000000', // 1
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p (= 0)
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 (= 1)
    ];
    for (const h of lowOrder) {
      expect(hex(x25519(sk, unhex(h)))).toBe('00'.repeat(32));
      expect(() => x25519Shared(sk, unhex(h))).toThrow(/low-order/);
    }
  });

  it('throws clearly on wrong lengths or types and leaves inputs untouched', () => {
    const k = new Uint8Array(32).fill(7);
    expect(() => x25519(new Uint8Array(31), k)).toThrow(/scalar must be a 32-byte/);
    expect(() => x25519(k, new Uint8Array(33))).toThrow(/u must be a 32-byte/);
    expect(() => x25519Base([1, 2, 3] as unknown as Uint8Array)).toThrow(/scalar must be a 32-byte/);
    expect(() => x25519Keypair(new Uint8Array(16))).toThrow(/rand32 must be a 32-byte/);
    x25519Base(k);
    expect(hex(k)).toBe('07'.repeat(32)); // clamping works on a copy
  });
});
