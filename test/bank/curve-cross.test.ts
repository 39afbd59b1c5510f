/**
 * The curve seam (host/cashu/curve): every secp256k1 library gives the same bytes for the NUT-00
 * and NUT-12 test vectors (cashubtc/nuts tests/00-tests.md, 12-tests.md) and for random scalars
 * and points, and every one refuses the same invalid encodings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CURVE_NAMES, availableCurves, loadCurve, pickCurve, selectCurve, type Curve, type CurveFallback } from '../../host/cashu/curve';
import { blind, signWithDleq, dleqProve, dleqVerify, hashE, hashToCurve, isScalar, secretToY, signBlinded, unblind, verifyProof } from '../../host/cashu/curve/bdhke';
import * as nobleBdhke from '../../host/cashu/bdhke';
import { fromHex, toHex } from '../../shared/src/bytes';

const curves = availableCurves();
const hex = (b: Uint8Array) => toHex(b);
const P_FIELD = 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2fn;
const N = nobleBdhke.N;

const scalar = fc.bigInt({ min: 1n, max: N - 1n }).map((s) => fromHex(s.toString(16).padStart(64, '0')));

describe('curve libraries', () => {
  it('all three load here (native binding, WebAssembly, pure JS)', () => {
    expect(curves.map((c) => c.name)).toEqual([...CURVE_NAMES]);
  });
  it('the default is the fastest that loads: libsecp256k1', () => {
    expect(selectCurve().name).toBe('libsecp256k1');
    expect(() => selectCurve({ prefer: 'elliptic' })).toThrow(/unknown secp256k1 library/);
    expect(selectCurve({ prefer: 'noble' }).name).toBe('noble');
  });
  it('a library that fails to load is skipped with a reason, never silently; the next one is used', () => {
    const heard: CurveFallback[] = [];
    const c = pickCurve(
      [
        { name: 'libsecp256k1', load: () => { throw new Error('Cannot find module secp256k1.node\nstack'); } },
        { name: 'tiny-secp256k1', load: () => loadCurve('tiny-secp256k1') },
        { name: 'noble', load: () => loadCurve('noble') },
      ],
      (f) => heard.push(f),
    );
    expect(c.name).toBe('tiny-secp256k1');
    expect(heard).toEqual([{ library: 'libsecp256k1', reason: 'Cannot find module secp256k1.node' }]);
    expect(() => pickCurve([{ name: 'noble', load: () => { throw new Error('x'); } }])).toThrow(/no secp256k1 library/);
  });
  it('the native library is the N-API binding itself, never the package entry that falls back to elliptic (not constant-time)', async () => {
    const { readFileSync } = await import('node:fs');
    const src = readFileSync(new URL('../../host/cashu/curve/native.ts', import.meta.url), 'utf8');
    expect(src).toMatch(/\('secp256k1\/bindings'\)/);
    expect(src).not.toMatch(/\('secp256k1'\)/);
  });
});

describe.each(curves.map((c) => [c.name, c] as [string, Curve]))('NUT-00 / NUT-12 vectors on %s', (_name, c) => {
  const B_ = fromHex('02a9acc1e48c25eeeb9289b5031cc57da9fe72f3fe2861d264bdc074209b107ba2');
  const one = fromHex('00'.repeat(31) + '01');
  const two = fromHex('00'.repeat(31) + '02');
  it('hash_to_curve', () => {
    expect(hex(hashToCurve(c, fromHex('00'.repeat(32))))).toBe('024cce997d3b518f739663b757deaec95bcd9473c30a14ac2fd04023a739d1a725');
    expect(hex(hashToCurve(c, one))).toBe('022e7158e11c9506f1aa4248bf531298daa7febd6194f003edcd9b93ade6253acf');
    expect(hex(hashToCurve(c, two))).toBe('026cdbe15362df59cd1dd3c9c11de8aedac2106eca69236ecd9fbe117af897be4f');
  });
  it('blinded message and blind signatures', () => {
    expect(hex(blind(c, secretToY(c, 'test_message'), one))).toBe('025cc16fe33b953e2ace39653efb3e7a7049711ae1d8a2f7a9108753f1cdea742b');
    expect(hex(signBlinded(c, one, B_))).toBe(hex(B_));
    expect(hex(signBlinded(c, fromHex('7f'.repeat(32)), B_))).toBe('0398bc70ce8184d27ba89834d19f5199c84443c31131e48d3c1214db24247d005d');
  });
  it('DLEQ: hash_e, deterministic e and s, BlindSignature and Proof verification', () => {
    const G1 = fromHex('020000000000000000000000000000000000000000000000000000000000000001');
    expect(hex(hashE(c, [G1, G1, G1, B_]))).toBe('a4dc034b74338c28c6bc3ea49731f2a24440fc7c4affc08b31a93fc9fbe6401e');
    const A2 = c.mulG(two);
    const C2 = c.mul(B_, two);
    const d = dleqProve(c, two, A2, B_, C2);
    expect(hex(d.e)).toBe('2a16ffee280aff3c429045607f9b8e0bf8b35910c44c1b20b9dfaf01b263d7b3');
    expect(hex(d.s)).toBe('9df27731238334718d120d4f74611a7c668233f988e687ac3fb188f0a34a2dab');
    expect(dleqVerify(c, d, A2, B_, C2)).toBe(true);
    // the mint's one-pass signer gives the same C_, e and s
    const one2 = signWithDleq(c, two, c.uncompressed(A2), B_);
    expect([hex(one2.C_), hex(one2.dleq.e), hex(one2.dleq.s)]).toEqual([hex(C2), hex(d.e), hex(d.s)]);
    const G = c.mulG(one);
    const e = fromHex('9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73d9');
    const s = fromHex('9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73da');
    expect(dleqVerify(c, { e, s }, G, B_, B_)).toBe(true);
    expect(dleqVerify(c, { e, s: fromHex('9818e061ee51d5c8edc3342369a554998ff7b4381c8652d724cdf46429be73db') }, G, B_, B_)).toBe(false);
    expect(dleqVerify(c, { e, s }, A2, B_, B_)).toBe(false);
    // Proof (Carol's check): B_ = Y + r·G, C_ = C + r·A.
    const C = fromHex('024369d2d22a80ecf78f3937da9d5f30c1b9f74f0c32684d583cca0fa6a61cdcfc');
    const r = fromHex('a6d13fcd7a18442e6076f5e1e7c887ad5de40a019824bdfa9fe740d302e8d861');
    const secret = 'daf4dd00a2b68a0858a80450f52c8a7d2ccf87d375e43e216e0c571f089f63e9';
    const pd = { e: fromHex('b31e58ac6527f34975ffab13e70a48b6d2b0d35abc4b03f0151f09ee1a9763d4'), s: fromHex('8fbae004c59e754d71df67e392b6ae4e29293113ddc2ec86592a0431d16306d8') };
    const pB = blind(c, secretToY(c, secret), r);
    const pC = c.add(C, c.mul(G, r))!;
    expect(dleqVerify(c, pd, G, pB, pC)).toBe(true);
    expect(dleqVerify(c, pd, G, blind(c, secretToY(c, secret + 'x'), r), pC)).toBe(false);
  });
});

describe('random scalars and points give the same bytes on every library', () => {
  const [ref, ...others] = curves;
  it('mulG, mul, add, negate, uncompressed, scalarMulAdd', () => {
    fc.assert(
      fc.property(scalar, scalar, scalar, (a, b, k) => {
        const P = ref.mulG(a);
        const Q = ref.mulG(b);
        for (const c of others) {
          expect(hex(c.mulG(a))).toBe(hex(P));
          expect(hex(c.mul(P, k))).toBe(hex(ref.mul(P, k)));
          expect(hex(c.add(P, Q) || new Uint8Array())).toBe(hex(ref.add(P, Q) || new Uint8Array()));
          expect(c.add(P, c.negate(P))).toBeNull();
          expect(hex(c.negate(P))).toBe(hex(ref.negate(P)));
          expect(hex(c.uncompressed(P))).toBe(hex(ref.uncompressed(P)));
          expect(hex(c.scalarMulAdd(a, b, k) || new Uint8Array())).toBe(hex(ref.scalarMulAdd(a, b, k) || new Uint8Array()));
        }
        expect(hex(ref.mul(P, k))).toBe(nobleBdhke.Point.fromBytes(P).multiply(nobleBdhke.bytesToScalar(k)).toHex(true));
      }),
      { numRuns: 60 },
    );
  });
  it('the NUT-12 response s = r + e·a reduces e mod n first, also when e >= n (a hash can be)', () => {
    const eBig = fromHex((N + 5n).toString(16).padStart(64, '0'));
    const r = fromHex('00'.repeat(31) + '07');
    const a = fromHex('00'.repeat(31) + '03');
    for (const c of curves) expect(hex(c.scalarMulAdd(r, eBig, a)!)).toBe('00'.repeat(31) + '16');
  });
  it('blind, sign, DLEQ, unblind, verify: identical bytes, and each library accepts the others’ signatures', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 64 }), scalar, scalar, (secret, k, r) => {
        const K = ref.mulG(k);
        const Y = secretToY(ref, secret);
        const B_ = blind(ref, Y, r);
        const C_ = signBlinded(ref, k, B_);
        const d = dleqProve(ref, k, K, B_, C_);
        const C = unblind(ref, C_, r, K);
        expect(hex(C)).toBe(hex(ref.mul(Y, k)));
        expect(hex(B_)).toBe(nobleBdhke.pointHex(nobleBdhke.blind(secret, nobleBdhke.bytesToScalar(r))));
        for (const c of curves) {
          expect(hex(secretToY(c, secret))).toBe(hex(Y));
          expect(hex(signBlinded(c, k, B_))).toBe(hex(C_));
          const dc = dleqProve(c, k, K, B_, C_);
          expect([hex(dc.e), hex(dc.s)]).toEqual([hex(d.e), hex(d.s)]);
          const sw = signWithDleq(c, k, c.uncompressed(K), B_);
          expect([hex(sw.C_), hex(sw.dleq.e), hex(sw.dleq.s)]).toEqual([hex(C_), hex(d.e), hex(d.s)]);
          expect(dleqVerify(c, d, K, B_, C_)).toBe(true);
          expect(verifyProof(c, k, Y, C)).toBe(true);
          expect(verifyProof(c, k, secretToY(c, secret + '!'), C)).toBe(false);
          const bad = Uint8Array.from(d.s);
          bad[31] ^= 1;
          expect(dleqVerify(c, { e: d.e, s: bad }, K, B_, C_)).toBe(false);
        }
      }),
      { numRuns: 25 },
    );
  });
});

describe('invalid encodings are refused by every library', () => {
  const fixed: Uint8Array[] = [
    new Uint8Array(0),
    fromHex('02'),
    fromHex('02' + '00'.repeat(32)), // x = 0: 7 is not a square mod p
    fromHex('02' + 'ff'.repeat(32)), // x >= p
    fromHex('03' + (P_FIELD + 1n).toString(16)), // x - p = 1 would be on the curve? never accepted
    fromHex('04' + '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'), // 33 bytes, bad prefix
    fromHex('00' + '79be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798'),
    fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f8179800'), // 34 bytes
    loadCurve('noble').uncompressed(fromHex('0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798')), // 65 bytes
  ];
  it('fixed cases', () => {
    for (const p of fixed) for (const c of curves) expect(c.isCompressedPoint(p)).toBe(false);
    expect(isScalar(fromHex('00'.repeat(32)))).toBe(false);
    expect(isScalar(fromHex(N.toString(16)))).toBe(false);
  });
  it('random 33-byte strings: all libraries agree with noble, and x >= p is never a point', () => {
    const noble = loadCurve('noble');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 33, maxLength: 33 }), fc.constantFrom(0, 1, 2, 3, 4, 5, 6, 7), fc.bigInt({ min: P_FIELD, max: (1n << 256n) - 1n }), (raw, prefix, bigX) => {
        raw[0] = prefix;
        const want = noble.isCompressedPoint(raw);
        for (const c of curves) expect(c.isCompressedPoint(raw)).toBe(want);
        const over = fromHex('0' + (2 + (prefix & 1)) + bigX.toString(16).padStart(64, '0'));
        for (const c of curves) expect(c.isCompressedPoint(over)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});
