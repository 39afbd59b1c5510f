/**
 * The multiplication path the firmware takes on Espruino (native E.convolve), run on Node with a
 * JavaScript model of E.convolve (src/jswrap_espruino.c, Espruino 2v29: a double accumulator,
 * iterating arr1, reading arr2 cyclically from `offset`). The real interpreter runs the same code
 * in `hood bench firmware`, which checks RFC 7748 / RFC 8032 answers there too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffieHellman } from 'node:crypto';
import {
  type Convolve,
  feNew,
  feFromBytes,
  feToBytes,
  feMul,
  feSq,
  feSqSum,
  feSqDiff,
  feSetConvolve,
  feScratchIsClear,
  MUL_INPUT_LIMIT,
  REDUCED_MAX,
} from '../../shared/src/crypto/field25519';
import { x25519, x25519Base } from '../../shared/src/crypto/x25519';
import { ed25519Verify } from '../../shared/src/crypto/ed25519';
import { hex, unhex, seededBytes } from './helpers';
import { x25519Private, x25519Public, rawPublic } from './node-keys';

/** jswrap_espruino_convolve, line by line. */
let calls = 0;
const espruinoConvolve: Convolve = (arr1, arr2, offset) => {
  calls++;
  const l = arr2.length;
  offset = offset % l;
  if (offset < 0) offset += l;
  let conv = 0;
  let j = offset;
  for (let i = 0; i < arr1.length; i++) {
    conv += arr1[i] * arr2[j];
    j++;
    if (j >= l) j = 0;
  }
  return conv;
};

const P = (1n << 255n) - 19n;
const mod = (a: bigint) => ((a % P) + P) % P;
const big = (a: ArrayLike<number>) => {
  let x = 0n;
  for (let i = 15; i >= 0; i--) x = x * 65536n + BigInt(a[i]);
  return x;
};
const canon = (a: Float64Array) => {
  const b = new Uint8Array(32);
  feToBytes(b, a);
  let x = 0n;
  for (let i = 31; i >= 0; i--) x = (x << 8n) | BigInt(b[i]);
  return x;
};

describe('E.convolve multiplication path (Espruino), modelled on Node', () => {
  let previous: Convolve | null = null;
  beforeAll(() => {
    previous = feSetConvolve(espruinoConvolve);
    expect(previous).toBe(null); // Node has no E: the unrolled path is the default here
  });
  afterAll(() => {
    feSetConvolve(previous);
  });

  it('is really taken, and agrees with BigInt on random, extreme and fused products', () => {
    const rnd = seededBytes('conv');
    const o = feNew();
    calls = 0;
    const lim = feNew();
    for (let i = 0; i < 16; i++) lim[i] = MUL_INPUT_LIMIT - 1;
    const vals = [lim];
    for (let n = 0; n < 100; n++) {
      const a = feNew();
      feFromBytes(a, rnd(32));
      vals.push(a);
    }
    for (let i = 0; i < vals.length; i++) {
      const a = vals[i];
      const b = vals[(i * 7 + 3) % vals.length];
      feMul(o, a, b);
      expect(canon(o)).toBe(mod(big(a) * big(b)));
      feSq(o, a);
      expect(canon(o)).toBe(mod(big(a) * big(a)));
      for (let k = 0; k < 16; k++) expect(o[k]).toBeLessThanOrEqual(REDUCED_MAX[k]);
      const ra = feNew();
      const rb = feNew();
      feMul(ra, a, a); // reduced operands for the fused squares
      feMul(rb, b, b);
      feSqSum(o, ra, rb);
      expect(canon(o)).toBe(mod((big(ra) + big(rb)) ** 2n));
      feSqDiff(o, ra, rb);
      expect(canon(o)).toBe(mod((big(ra) - big(rb)) ** 2n));
    }
    expect(calls).toBeGreaterThan(100 * 16);
  });

  it('RFC 7748 §5.2 vectors and one ladder iteration', () => {
    expect(
      hex(x25519(unhex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
        unhex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'))),
    ).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552');
    expect(
      hex(x25519(unhex('4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d'),
        unhex('e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493'))),
    ).toBe('95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957');
    const nine = unhex('0900000000000000000000000000000000000000000000000000000000000000');
    expect(hex(x25519(nine, nine))).toBe('422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079');
  });

  it('x25519 overwrites the shared scratch (columns, layouts) before returning', () => {
    const o = feNew();
    const a = feNew();
    feFromBytes(a, seededBytes('scratch')(32));
    feSqSum(o, a, a);
    expect(feScratchIsClear()).toBe(false); // the scratch really holds operand data after an operation
    x25519(seededBytes('scratch-k')(32), seededBytes('scratch-u')(32));
    expect(feScratchIsClear()).toBe(true);
  });

  it('agrees with node:crypto on 30 random key pairs', () => {
    const rnd = seededBytes('conv-dh');
    for (let n = 0; n < 30; n++) {
      const a = rnd(32);
      const b = rnd(32);
      const viaNode = diffieHellman({ privateKey: x25519Private(a), publicKey: x25519Public(rawPublic(x25519Private(b))) });
      expect(hex(x25519(a, x25519Base(b)))).toBe(hex(new Uint8Array(viaNode)));
    }
  });

  it('Ed25519 RFC 8032 §7.1 TEST 2 verifies, and fails with one bit flipped', () => {
    const pub = unhex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
    const sig = unhex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');
    expect(ed25519Verify(sig, unhex('72'), pub)).toBe(true);
    sig[40] ^= 1;
    expect(ed25519Verify(sig, unhex('72'), pub)).toBe(false);
  });
});
