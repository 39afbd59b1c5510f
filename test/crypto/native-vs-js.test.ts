/**
 * The node:crypto provider (host/crypto/native.ts) against the JS primitives the PDA runs: the RFC vectors
 * through both, long random sequences that must give byte-identical outputs, the same null for every
 * tampered AEAD input (RFC 8439 §2.8), the same exception for every low-order X25519 peer key
 * (RFC 7748 §6.1) and for every argument the JS code refuses.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { installNativeCrypto, nativeCrypto } from '../../host/crypto/native';
import { open as jsOpen, seal as jsSeal } from '../../shared/src/crypto/chacha20poly1305';
import { hkdfSha256 as jsHkdf } from '../../shared/src/crypto/hkdf';
import * as index from '../../shared/src/crypto/index';
import { provider, setCryptoProvider } from '../../shared/src/crypto/provider';
import { x25519Base, x25519Shared as jsShared } from '../../shared/src/crypto/x25519';
import { ascii, hex, unhex } from './helpers';

const js = { seal: jsSeal, open: jsOpen, x25519Shared: jsShared, hkdfSha256: jsHkdf };
const nat = nativeCrypto;
const RUNS = 300;

/** What a call did: its output, or the class and message of what it threw. */
function outcome(f: () => Uint8Array | null): string {
  try {
    const r = f();
    if (r === null) return 'null';
    if (Object.getPrototypeOf(r) !== Uint8Array.prototype) return 'not a plain Uint8Array';
    return 'ok ' + hex(r);
  } catch (e) {
    return 'throws ' + (e as Error).constructor.name + ': ' + (e as Error).message;
  }
}

// RFC 8439 §2.8.2
const K1 = unhex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const N1 = unhex('070000004041424344454647');
const A1 = unhex('50515253c0c1c2c3c4c5c6c7');
const P1 = ascii("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
const CT1 =
  'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116' +
  '1ae10b594f09e26a7e902ecbd0600691';

/** u of the points of small order on Curve25519 and non-canonical encodings of them (RFC 7748 §6.1: all-zero result). */
const LOW_ORDER = [
  '0000000000000000000000000000000000000000000000000000000000000000', // 0
  '0100000000000000000000000000000000000000000000000000000000000000', // 1
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800', // order 8
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157', // order 8
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p - 1
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p (= 0)
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // p + 1 (= 1)
].map(unhex);

const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });

describe('RFC vectors through both implementations', () => {
  for (const [name, p] of [
    ['js', js],
    ['native', nat],
  ] as const) {
    it(name + ': RFC 8439 §2.8.2 AEAD', () => {
      expect(hex(p.seal(K1, N1, P1, A1))).toBe(CT1);
      expect(hex(p.open(K1, N1, unhex(CT1), A1)!)).toBe(hex(P1));
    });

    it(name + ': RFC 7748 §5.2 X25519 vectors (through x25519Shared, results are non-zero)', () => {
      expect(
        hex(p.x25519Shared(unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'), unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))),
      ).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
      // u with the top bit set, which must be masked (§5)
      expect(
        hex(p.x25519Shared(unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'), unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'))),
      ).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
    });

    it(name + ': RFC 7748 §6.1 Diffie-Hellman, both directions', () => {
      const aSk = unhex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
      const bSk = unhex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
      const aPk = unhex('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a');
      const bPk = unhex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
      const k = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';
      expect(hex(p.x25519Shared(aSk, bPk))).toBe(k);
      expect(hex(p.x25519Shared(bSk, aPk))).toBe(k);
    });

    it(name + ': RFC 5869 appendix A test cases 1-3', () => {
      const range = (a: number, b: number) => Uint8Array.from({ length: b - a + 1 }, (_, i) => a + i);
      const ikm = new Uint8Array(22).fill(0x0b);
      expect(hex(p.hkdfSha256(ikm, range(0x00, 0x0c), range(0xf0, 0xf9), 42))).toBe(
        '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      );
      expect(hex(p.hkdfSha256(range(0x00, 0x4f), range(0x60, 0xaf), range(0xb0, 0xff), 82))).toBe(
        'b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87',
      );
      const tc3 = '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8';
      expect(hex(p.hkdfSha256(ikm, new Uint8Array(0), new Uint8Array(0), 42))).toBe(tc3);
      expect(hex(p.hkdfSha256(ikm, undefined, new Uint8Array(0), 42))).toBe(tc3);
    });
  }
});

describe('native = JS on random inputs (fast-check)', () => {
  it('seal: identical ciphertext and tag; each opens the other', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, 600), fc.option(bytes(0, 80), { nil: undefined }), (k, n, pt, aad) => {
        const a = js.seal(k, n, pt, aad);
        const b = nat.seal(k, n, pt, aad);
        expect(outcome(() => b)).toBe(outcome(() => a));
        expect(outcome(() => nat.open(k, n, a, aad))).toBe('ok ' + hex(pt));
        expect(outcome(() => js.open(k, n, b, aad))).toBe('ok ' + hex(pt));
      }),
      { numRuns: RUNS },
    );
  });

  it('open: any tampered ciphertext, tag, aad, key or nonce, or a truncated input, is null in both', () => {
    const tamper = fc.oneof(
      fc.record({ what: fc.constant('sealed' as const), bit: fc.nat() }),
      fc.record({ what: fc.constant('aad' as const), bit: fc.nat() }),
      fc.record({ what: fc.constant('key' as const), bit: fc.nat() }),
      fc.record({ what: fc.constant('nonce' as const), bit: fc.nat() }),
      fc.record({ what: fc.constant('truncate' as const), bit: fc.nat() }),
    );
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, 300), bytes(1, 40), tamper, (k, n, pt, aad, t) => {
        const sealed = js.seal(k, n, pt, aad);
        const flip = (b: Uint8Array) => {
          const c = new Uint8Array(b);
          const i = t.bit % (c.length * 8);
          c[i >> 3] ^= 1 << (i & 7);
          return c;
        };
        let s = sealed,
          a = aad,
          kk = k,
          nn = n;
        if (t.what === 'sealed') s = flip(sealed);
        else if (t.what === 'aad') a = flip(aad);
        else if (t.what === 'key') kk = flip(k);
        else if (t.what === 'nonce') nn = flip(n);
        else s = sealed.subarray(0, t.bit % sealed.length);
        expect(outcome(() => js.open(kk, nn, s, a))).toBe('null');
        expect(outcome(() => nat.open(kk, nn, s, a))).toBe('null');
      }),
      { numRuns: RUNS },
    );
  });

  it('open of random bytes (any length, forged tags) agrees: null in both', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(12, 12), bytes(0, 200), fc.option(bytes(0, 40), { nil: undefined }), (k, n, junk, aad) => {
        expect(outcome(() => nat.open(k, n, junk, aad))).toBe(outcome(() => js.open(k, n, junk, aad)));
      }),
      { numRuns: RUNS },
    );
  });

  it('x25519Shared: same secret for random scalars and points (incl. top bit set and u >= p)', () => {
    const p = unhex('edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
    const point = fc.oneof(
      bytes(32, 32),
      fc.integer({ min: 0, max: 18 }).map((d) => {
        // p + d, and p + d with the top bit set: non-canonical encodings, reduced mod p (§5)
        const u = new Uint8Array(p);
        u[0] += d;
        return u;
      }),
      bytes(32, 32).map((u) => {
        u[31] |= 0x80;
        return u;
      }),
    );
    fc.assert(
      fc.property(bytes(32, 32), point, (sk, u) => {
        expect(outcome(() => nat.x25519Shared(sk, u))).toBe(outcome(() => js.x25519Shared(sk, u)));
      }),
      { numRuns: RUNS },
    );
  });

  it('x25519Shared: both sides of a random exchange agree, native with JS', () => {
    fc.assert(
      fc.property(bytes(32, 32), bytes(32, 32), (a, b) => {
        const s = hex(nat.x25519Shared(a, x25519Base(b)));
        expect(hex(js.x25519Shared(b, x25519Base(a)))).toBe(s);
      }),
      { numRuns: 100 },
    );
  });

  it('x25519Shared: every low-order point (and its top-bit twin) is refused the same way, for any scalar', () => {
    const lowOrder = fc.integer({ min: 0, max: LOW_ORDER.length - 1 }).chain((i) =>
      fc.boolean().map((top) => {
        const u = new Uint8Array(LOW_ORDER[i]);
        if (top) u[31] |= 0x80;
        return u;
      }),
    );
    fc.assert(
      fc.property(bytes(32, 32), lowOrder, (sk, u) => {
        const want = outcome(() => js.x25519Shared(sk, u));
        expect(want).toBe('throws Error: x25519: low-order peer public key (all-zero shared secret)');
        expect(outcome(() => nat.x25519Shared(sk, u))).toBe(want);
      }),
      { numRuns: RUNS },
    );
  });

  it('hkdfSha256: same output for random ikm, salt (or none), info (past node:crypto’s 1024-byte limit too) and length', () => {
    fc.assert(
      fc.property(
        bytes(0, 80),
        fc.option(bytes(0, 80), { nil: undefined }),
        fc.oneof(bytes(0, 60), bytes(1020, 1100)),
        fc.integer({ min: 0, max: 300 }),
        (ikm, salt, info, len) => {
          expect(outcome(() => nat.hkdfSha256(ikm, salt, info, len))).toBe(outcome(() => js.hkdfSha256(ikm, salt, info, len)));
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('bad arguments: the same exception (class and message) from both', () => {
  const k = new Uint8Array(32).fill(1);
  const n = new Uint8Array(12).fill(2);
  const m = new Uint8Array(40).fill(3);
  const junk: unknown[] = [undefined, null, 0, 'x', [1, 2], new Uint8Array(0), new Uint8Array(11), new Uint8Array(12), new Uint8Array(16), new Uint8Array(31), new Uint8Array(32), new Uint8Array(33), Buffer.alloc(32), new Uint16Array(16)];
  const pick = fc.integer({ min: 0, max: junk.length - 1 }).map((i) => junk[i]);
  type Any = (...a: unknown[]) => Uint8Array | null;

  it('seal and open with any mix of bad key, nonce, data and aad', () => {
    fc.assert(
      fc.property(fc.boolean(), pick, pick, pick, pick, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), (isSeal, kk, nn, dd, aa, mask) => {
        const args = [k, n, m, undefined as unknown];
        // replace any subset of the arguments by junk
        const bad = [kk, nn, dd, aa];
        for (let i = 0; i < 4; i++) if (mask[i]) args[i] = bad[i];
        const f = (isSeal ? 'seal' : 'open') as 'seal' | 'open';
        expect(outcome(() => (nat[f] as Any)(...args))).toBe(outcome(() => (js[f] as Any)(...args)));
      }),
      { numRuns: RUNS },
    );
  });

  it('x25519Shared with bad scalars or points', () => {
    fc.assert(
      fc.property(pick, pick, (a, b) => {
        expect(outcome(() => (nat.x25519Shared as Any)(a, b))).toBe(outcome(() => (js.x25519Shared as Any)(a, b)));
      }),
      { numRuns: RUNS },
    );
  });

  it('hkdfSha256 with bad ikm, salt, info or length', () => {
    const len = fc.constantFrom<unknown>(-1, 0, 1.5, 32, 8160, 8161, NaN, Infinity, '32', undefined);
    fc.assert(
      fc.property(pick, pick, pick, len, (ikm, salt, info, l) => {
        expect(outcome(() => (nat.hkdfSha256 as Any)(ikm, salt, info, l))).toBe(outcome(() => (js.hkdfSha256 as Any)(ikm, salt, info, l)));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('installNativeCrypto', () => {
  afterAll(() => setCryptoProvider(js));

  it('puts node:crypto behind index.ts, idempotently; index.ts stays byte-identical', () => {
    const before = hex(index.seal(K1, N1, P1, A1));
    expect(provider.seal).toBe(jsSeal);
    installNativeCrypto();
    installNativeCrypto();
    expect(provider).toEqual(nat);
    expect(hex(index.seal(K1, N1, P1, A1))).toBe(before);
    expect(index.open(K1, N1, unhex(CT1), new Uint8Array(0))).toBeNull();
    expect(() => index.x25519Shared(k32(5), LOW_ORDER[0])).toThrow(/low-order/);
    expect(index.hkdfSha256(k32(1), undefined, ascii('i'), 16).length).toBe(16);
  });

  it('loading the MSS core installs it (every host MSS runs node:crypto)', async () => {
    setCryptoProvider(js);
    expect(provider.open).toBe(jsOpen);
    await import('../../host/mss/core');
    expect(provider).toEqual(nat);
  });
});

function k32(v: number): Uint8Array {
  return new Uint8Array(32).fill(v);
}
