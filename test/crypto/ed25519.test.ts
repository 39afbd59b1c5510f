import { describe, it, expect } from 'vitest';
import { sign, verify, generateKeyPairSync } from 'node:crypto';
import { ed25519Verify, ed25519PublicKey, reduceModL, _constants, _wnaf4 } from '../../shared/src/crypto/ed25519';
import { hex, unhex, seededBytes } from './helpers';
import { ed25519Private, ed25519Public, rawPublic } from './node-keys';

// BigInt is fine here: tests run on Node only.
const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;
const mod = (a: bigint, m: bigint) => ((a % m) + m) % m;
function pow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
function leToBig(b: ArrayLike<number>): bigint {
  let x = 0n;
  for (let i = b.length - 1; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
}
function bigToLe(x: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = Number(x & 255n);
    x >>= 8n;
  }
  return out;
}
function limbsToBig(l: Float64Array): bigint {
  let x = 0n;
  for (let i = 15; i >= 0; i--) x = (x << 16n) + BigInt(l[i]);
  return x;
}

// RFC 8032 §7.1 TEST 1-3: secret key (seed), public key, message, signature.
const VECTORS = [
  {
    sk: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    pk: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    msg: '',
    sig: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    sk: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    pk: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    msg: '72',
    sig: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    sk: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    pk: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    msg: 'af82',
    sig: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

describe('ed25519 constants', () => {
  it('d, 2d, sqrt(-1) and L match their definitions', () => {
    const d = mod(-121665n * pow(121666n, P - 2n, P), P);
    expect(limbsToBig(_constants.D)).toBe(d);
    expect(limbsToBig(_constants.D2)).toBe(mod(2n * d, P));
    const i = limbsToBig(_constants.SQRTM1);
    expect(mod(i * i, P)).toBe(P - 1n);
    expect(leToBig(_constants.L)).toBe(L);
    expect(leToBig(_constants.C16)).toBe(16n * (L - (1n << 252n)));
  });
});

describe('ed25519Verify (RFC 8032 §7.1)', () => {
  VECTORS.forEach((v, n) => {
    it('TEST ' + (n + 1) + ': public key, node signature and verification', () => {
      const sk = unhex(v.sk);
      expect(hex(ed25519PublicKey(sk))).toBe(v.pk);
      // The vectors are what node:crypto produces too (Ed25519 is deterministic).
      expect(hex(new Uint8Array(sign(null, unhex(v.msg), ed25519Private(sk))))).toBe(v.sig);
      expect(ed25519Verify(unhex(v.sig), unhex(v.msg), unhex(v.pk))).toBe(true);
    });
  });

  it('rejects a tampered signature, message or key', () => {
    for (const v of VECTORS) {
      const sig = unhex(v.sig);
      const msg = unhex(v.msg);
      const pk = unhex(v.pk);
      for (const i of [0, 5, 31, 32, 40, 63]) {
        const s = sig.slice();
        s[i] ^= 0x01;
        expect(ed25519Verify(s, msg, pk)).toBe(false);
      }
      const m2 = new Uint8Array(msg.length + 1);
      m2.set(msg);
      expect(ed25519Verify(sig, m2, pk)).toBe(false);
      if (msg.length) {
        const m3 = msg.slice();
        m3[0] ^= 0x80;
        expect(ed25519Verify(sig, m3, pk)).toBe(false);
      }
      const pk2 = pk.slice();
      pk2[3] ^= 0x10;
      expect(ed25519Verify(sig, msg, pk2)).toBe(false);
      // A signature from another valid key does not verify either.
      expect(ed25519Verify(sig, msg, unhex(VECTORS[(VECTORS.indexOf(v) + 1) % 3].pk))).toBe(false);
    }
  });

  it('rejects non-canonical S >= L (S + L, S = L, S = 2^256 - 1) (§5.1.7 step 1)', () => {
    const v = VECTORS[0];
    const sig = unhex(v.sig);
    const S = leToBig(sig.subarray(32));
    expect(S < L).toBe(true);
    for (const bad of [S + L, L, (1n << 256n) - 1n]) {
      const s2 = sig.slice();
      s2.set(bigToLe(bad, 32), 32);
      expect(ed25519Verify(s2, unhex(v.msg), unhex(v.pk))).toBe(false);
      // node:crypto agrees that these are invalid
      expect(verify(null, unhex(v.msg), ed25519Public(unhex(v.pk)), s2)).toBe(false);
    }
  });

  it('rejects invalid point encodings of A and R (§5.1.3)', () => {
    const v = VECTORS[1];
    const sig = unhex(v.sig);
    const msg = unhex(v.msg);
    const pk = unhex(v.pk);
    // y >= p (non-canonical): y = p and y = p + 1 (which would alias 0 and 1).
    const yP = bigToLe(P, 32);
    const yP1 = bigToLe(P + 1n, 32);
    // x = 0 with the sign bit set: y = 1, bit 255 = 1.
    const negZero = bigToLe(1n, 32);
    negZero[31] |= 0x80;
    // y for which (y^2 - 1) / (d y^2 + 1) is not a square: no x exists.
    const d = mod(-121665n * pow(121666n, P - 2n, P), P);
    let y = 2n;
    for (; y < 100n; y++) {
      const x2 = mod((y * y - 1n) * pow(d * y * y + 1n, P - 2n, P), P);
      if (pow(x2, (P - 1n) / 2n, P) === P - 1n) break;
    }
    const notOnCurve = bigToLe(y, 32);
    for (const badPoint of [yP, yP1, negZero, notOnCurve]) {
      expect(ed25519Verify(sig, msg, badPoint)).toBe(false);
      const s2 = sig.slice();
      s2.set(badPoint, 0);
      expect(ed25519Verify(s2, msg, pk)).toBe(false);
    }
  });

  it('returns false for wrong lengths and throws TypeError for non-bytes', () => {
    const v = VECTORS[0];
    expect(ed25519Verify(unhex(v.sig).subarray(0, 63), new Uint8Array(0), unhex(v.pk))).toBe(false);
    expect(ed25519Verify(unhex(v.sig), new Uint8Array(0), unhex(v.pk).subarray(0, 31))).toBe(false);
    expect(ed25519Verify(new Uint8Array(0), new Uint8Array(0), new Uint8Array(0))).toBe(false);
    expect(() => ed25519Verify(v.sig as unknown as Uint8Array, new Uint8Array(0), unhex(v.pk))).toThrow(TypeError);
    expect(() => ed25519PublicKey(new Uint8Array(31))).toThrow(/seed must be a 32-byte/);
  });

  it('agrees with node:crypto on 200 random keys and messages, valid and tampered', () => {
    const rnd = seededBytes('ed25519');
    for (let i = 0; i < 200; i++) {
      const seed = rnd(32);
      const priv = ed25519Private(seed);
      const pub = rawPublic(priv);
      expect(hex(ed25519PublicKey(seed))).toBe(hex(pub));
      const msg = rnd(i % 150);
      const sig = new Uint8Array(sign(null, msg, priv));
      expect(ed25519Verify(sig, msg, pub)).toBe(true);
      const bad = sig.slice();
      bad[i % 64] ^= 1 << (i % 8);
      const nodeSays = verify(null, msg, ed25519Public(pub), bad);
      expect(ed25519Verify(bad, msg, pub)).toBe(nodeSays);
      expect(nodeSays).toBe(false);
    }
  });

  it('verifies signatures from node-generated key pairs', () => {
    for (let i = 0; i < 5; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const msg = seededBytes('gen' + i)(100);
      const sig = new Uint8Array(sign(null, msg, privateKey));
      expect(ed25519Verify(sig, msg, rawPublic(publicKey))).toBe(true);
    }
  });
});

describe('reduceModL', () => {
  it('matches BigInt reduction on random and edge 64-byte inputs', () => {
    const rnd = seededBytes('modL');
    const inputs: Uint8Array[] = [
      new Uint8Array(64),
      new Uint8Array(64).fill(0xff),
      bigToLe(L, 64),
      bigToLe(L - 1n, 64),
      bigToLe(L + 1n, 64),
      bigToLe(16n * L, 64),
      bigToLe((1n << 256n) - 1n, 64),
      bigToLe(1n << 256n, 64),
      bigToLe((1n << 256n) + 1n, 64),
      bigToLe(L * ((1n << 259n) + 12345n), 64),
      bigToLe(L * ((1n << 259n) + 12345n) - 1n, 64),
    ];
    for (let i = 0; i < 500; i++) inputs.push(rnd(64));
    for (const x of inputs) {
      expect(leToBig(reduceModL(x))).toBe(leToBig(x) % L);
    }
  });

  it('rejects inputs that are not 64 bytes', () => {
    expect(() => reduceModL(new Uint8Array(32))).toThrow(/64 bytes/);
  });
});

describe('wnaf4 (scalar recoding used by verification)', () => {
  it('digits are odd in ±1..±7, non-adjacent (gap >= 4) and sum back to the scalar', () => {
    const rnd = seededBytes('wnaf');
    const scalars: bigint[] = [0n, 1n, 7n, 8n, 9n, 15n, 16n, 255n, L - 1n, (1n << 252n), (1n << 253n) - 1n, 0x8888888888888888n];
    for (let i = 0; i < 300; i++) scalars.push(leToBig(rnd(32)) % L);
    for (const x of scalars) {
      const naf = _wnaf4(bigToLe(x, 32));
      let sum = 0n;
      let last = -10;
      for (let i = 0; i < naf.length; i++) {
        const d = naf[i];
        if (d === 0) continue;
        expect(Math.abs(d) % 2).toBe(1);
        expect(Math.abs(d)).toBeLessThanOrEqual(7);
        expect(i - last).toBeGreaterThanOrEqual(4);
        last = i;
        sum += BigInt(d) << BigInt(i);
      }
      expect(sum).toBe(x);
    }
  });
});
