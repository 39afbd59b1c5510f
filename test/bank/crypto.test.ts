/** NUT-00 / NUT-02 / NUT-12 against the published test vectors (cashubtc/nuts tests/*.md). */
import { describe, expect, it } from 'vitest';
import { Point, blind, hashToCurve, parsePoint, pointHex, signBlinded, unblind, verifyProof } from '../../host/cashu/bdhke';
import { dleqProve, dleqVerify, dleqVerifyProof, hashE } from '../../host/cashu/dleq';
import { deriveKeyset, keysetIdV1 } from '../../host/cashu/keyset';
import { fromHex, toHex } from '../../shared/src/bytes';

describe('NUT-00 hash_to_curve', () => {
  it('matches the three published vectors (the third needs several counter steps)', () => {
    expect(pointHex(hashToCurve(fromHex('00'.repeat(32))))).toBe('024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725');
    expect(pointHex(hashToCurve(fromHex('00'.repeat(31) + '01')))).toBe('022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf');
    expect(pointHex(hashToCurve(fromHex('00'.repeat(31) + '02')))).toBe('026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f');
  });
});

describe('NUT-00 BDHKE', () => {
  const B_ = '02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2';
  it('blind signature vectors', () => {
    expect(pointHex(signBlinded(1n, parsePoint(B_)))).toBe(B_);
    expect(pointHex(signBlinded(BigInt('0x' + '7f'.repeat(32)), parsePoint(B_)))).toBe('0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d');
  });
  it('blind -> sign -> unblind gives k*Y, which verifies; another key or secret does not', () => {
    const k = 123456789n;
    const K = Point.BASE.multiply(k);
    const r = 987654321n;
    const C = unblind(signBlinded(k, blind('my secret', r)), r, K);
    expect(verifyProof(k, 'my secret', C)).toBe(true);
    expect(verifyProof(k + 1n, 'my secret', C)).toBe(false);
    expect(verifyProof(k, 'other secret', C)).toBe(false);
  });
  it('parsePoint refuses wrong lengths, prefixes, off-curve x and non-strings', () => {
    expect(() => parsePoint('04' + 'aa'.repeat(32))).toThrow(/compressed/);
    expect(() => parsePoint(B_.slice(0, 64))).toThrow(/compressed/);
    expect(() => parsePoint('02' + '00'.repeat(32))).toThrow(/not on secp256k1/);
    expect(() => parsePoint('02' + 'ff'.repeat(32))).toThrow(/not on secp256k1/);
    expect(() => parsePoint(42)).toThrow(/compressed/);
  });
});

describe('NUT-12 DLEQ', () => {
  const B_ = parsePoint('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
  it('hash_e vector', () => {
    const one = parsePoint('020000000000000000000000000000000000000000000000000000000000000001');
    expect(toHex(hashE([one, one, one, B_]))).toBe('a4dc034b74338c28c6bc3ea49731f2a24440fc7c4affc08b31a93fc9fbe6401e');
  });
  it('deterministic nonce reproduces the published e and s exactly', () => {
    const A = Point.BASE.multiply(2n);
    const C_ = B_.multiply(2n);
    const d = dleqProve(2n, A, B_, C_);
    expect(toHex(d.e)).toBe('2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3');
    expect(toHex(d.s)).toBe('9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab');
    expect(dleqVerify(d, A, B_, C_)).toBe(true);
  });
  it('verifies the BlindSignature and Proof vectors; a tampered proof or wrong key fails', () => {
    const A = Point.BASE;
    const e = fromHex('9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73d9');
    const s = fromHex('9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73da');
    expect(dleqVerify({ e, s }, A, B_, B_)).toBe(true);
    const s2 = s.slice();
    s2[31] ^= 1;
    expect(dleqVerify({ e, s: s2 }, A, B_, B_)).toBe(false);
    expect(dleqVerify({ e, s }, Point.BASE.multiply(2n), B_, B_)).toBe(false);
    const C = parsePoint('024369d2d22a80ecf78f3937da9d5f30c1b9f74f0c32684d583cca0fa6a61cdcfc');
    const dleq = {
      e: 'b31e58ac6527f34975ffab13e70a48b6d2b0d35abc4b03f0151f09ee1a9763d4',
      s: '8fbae004c59e754d71df67e392b6ae4e29293113ddc2ec86592a0431d16306d8',
      r: 'a6d13fcd7a18442e6076f5e1e7c887ad5de40a019824bdfa9fe740d302e8d861',
    };
    const secret = 'daf4dd00a2b68a0858a80450f52c8a7d2ccf87d375e43e216e0c571f089f63e9';
    expect(dleqVerifyProof(secret, C, A, dleq)).toBe(true);
    expect(dleqVerifyProof(secret + 'x', C, A, dleq)).toBe(false);
    expect(dleqVerifyProof(secret, C, A, { ...dleq, r: 'zz' })).toBe(false);
  });
});

describe('NUT-02 keysets', () => {
  it('V1 id is "00" + 14 hex of sha256(sorted compressed keys); derivation is deterministic per seed and index', () => {
    const seed = new Uint8Array(32).fill(7);
    const a = deriveKeyset(seed, 'sat', 0, true);
    expect(a.id).toMatch(/^00[0-9a-f]{14}$/);
    expect(keysetIdV1(a.publicKeys)).toBe(a.id);
    expect(deriveKeyset(seed, 'sat', 0, true).id).toBe(a.id);
    expect(deriveKeyset(seed, 'sat', 1, true).id).not.toBe(a.id);
    expect(Object.keys(a.publicKeys).map(Number)).toEqual(Array.from({ length: 32 }, (_, i) => 2 ** i));
    // Order of the JSON object must not matter: sort is numeric (2 before 16), not lexicographic.
    const shuffled: Record<string, string> = {};
    for (const k of Object.keys(a.publicKeys).reverse()) shuffled[k] = a.publicKeys[k];
    expect(keysetIdV1(shuffled)).toBe(a.id);
  });
});
