/**
 * shared/src/exchange/shares.ts: the padded format (vectors), bounds checks, combine(split(m)) = m,
 * and the secrecy property of additive sharing (ACS §3.2) measured: any k−1 shares are uniform,
 * independent of each other and of the message. The same chi-square tests reject a biased share
 * generator and a leaky one, so they can fail.
 */
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEspruinoSource } from '../../host/build/espruino-check';
import { lowerToEs5 } from '../../host/build/firmware';
import { DecodeError } from '../../shared/src/bytes';
import { BUCKETS, bucketFor, combineShares, MAX_SHARE_MESSAGE, splitShares } from '../../shared/src/exchange/shares';
import { bundleForEspruino, DELETE_GLOBALS_SRC } from '../crypto/espruino-bundle';
import { byteHistogram, chiSquareBound, chiSquareHomogeneity, chiSquareUniform, jointNibbleHistogram, seededRandom } from './stats';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fill = (v: number) => (n: number) => new Uint8Array(n).fill(v);
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

describe('share format', () => {
  it('pads to len u32 | msg | zeros of the smallest bucket (vector, k = 2, zero RNG)', () => {
    const s = splitShares(utf8('abc'), 2, fill(0));
    expect(s.map((x) => x.length)).toEqual([1024, 1024]);
    expect(hex(s[0])).toBe('00'.repeat(1024));
    expect(hex(s[1])).toBe('00000003616263' + '00'.repeat(1024 - 7));
  });

  it('XORs every random share into the last (vector, k = 3, RNG of 0xff and 0x0f)', () => {
    let calls = 0;
    const s = splitShares(utf8('hi'), 3, (n) => new Uint8Array(n).fill(calls++ === 0 ? 0xff : 0x0f));
    expect(hex(s[0]).slice(0, 8)).toBe('ffffffff');
    expect(hex(s[1]).slice(0, 8)).toBe('0f0f0f0f');
    // ff ^ 0f = f0; padded = 00000002 6869 00…
    expect(hex(s[2]).slice(0, 16)).toBe('f0f0f0f29899f0f0');
    expect(hex(combineShares(s))).toBe(hex(utf8('hi')));
  });

  it('buckets: exact boundaries, and too large is refused', () => {
    expect(BUCKETS).toEqual([1024, 4096, 16384]);
    expect(bucketFor(0)).toBe(1024);
    expect(bucketFor(1020)).toBe(1024);
    expect(bucketFor(1021)).toBe(4096);
    expect(bucketFor(16380)).toBe(16384);
    expect(bucketFor(16381)).toBe(-1);
    expect(splitShares(new Uint8Array(MAX_SHARE_MESSAGE), 2, fill(1))[0].length).toBe(16384);
    expect(() => splitShares(new Uint8Array(MAX_SHARE_MESSAGE + 1), 2, fill(1))).toThrow(/too_large/);
  });

  it('refuses a bad k, a short RNG, and malformed share sets with DecodeError', () => {
    const m = utf8('x');
    for (const k of [0, 1, 1.5, 17, NaN]) expect(() => splitShares(m, k, fill(0))).toThrow(/bad_share_count/);
    expect(() => splitShares(m, 2, () => new Uint8Array(3))).toThrow(/RNG returned 3 bytes/);
    const ok = splitShares(m, 3, seededRandom(7));
    expect(() => combineShares([ok[0]])).toThrow(DecodeError);
    expect(() => combineShares([])).toThrow(/bad_share_count/);
    expect(() => combineShares(new Array(17).fill(ok[0]))).toThrow(/bad_share_count/);
    expect(() => combineShares([ok[0], ok[1].subarray(0, 512)])).toThrow(/bad_share_size/);
    expect(() => combineShares([new Uint8Array(1000), new Uint8Array(1000)])).toThrow(/bad_share_size/);
    // A missing share: the XOR of the others is random, so its length prefix or padding is wrong.
    expect(() => combineShares([ok[0], ok[1]])).toThrow(/bad_share_(length|padding)/);
    // Length prefix larger than the bucket.
    const big = new Uint8Array(1024);
    big[0] = 0xff;
    expect(() => combineShares([big, new Uint8Array(1024)])).toThrow(/bad_share_length/);
    // Non-zero padding after a valid prefix.
    const pad = new Uint8Array(1024);
    pad[3] = 1;
    pad[10] = 9;
    expect(() => combineShares([pad, new Uint8Array(1024)])).toThrow(/bad_share_padding/);
  });

  it('combine(split(m, k)) = m for any m and k in 2..5', () => {
    const rnd = seededRandom(11);
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 1100 }), fc.uint8Array({ minLength: 4000, maxLength: MAX_SHARE_MESSAGE })), fc.integer({ min: 2, max: 5 }), (m, k) => {
        const s = splitShares(m, k, rnd);
        expect(s).toHaveLength(k);
        expect(new Set(s.map((x) => x.length)).size).toBe(1);
        expect(s[0].length).toBe(bucketFor(m.length));
        expect(hex(combineShares(s))).toBe(hex(m));
        // Any order of the shares gives the same message (XOR commutes).
        expect(hex(combineShares(s.slice().reverse()))).toBe(hex(m));
      }),
      { numRuns: 300 },
    );
  });

  it('random share sets never make combine throw anything but DecodeError', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 1024, maxLength: 1024 })), { maxLength: 20 }), (shares) => {
        try {
          combineShares(shares);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('secrecy of k−1 shares (chi-square, fixed seed)', () => {
  const SAMPLES = 300; // 300 splits × 1024 bytes = 307200 bytes per share: ~1200 per cell
  const DF = 255;
  // z = 4.75 (p ≈ 1e-6 per test): a correct generator passes every seed we would pick, a biased one does not.
  const BOUND = chiSquareBound(DF, 4.75);
  const msgA = new Uint8Array(1000); // all zero
  const msgB = new Uint8Array(1000).fill(0xff);

  /** For each message, SAMPLES splits; returns shares[sample][index]. */
  const run = (msg: Uint8Array, k: number, rnd: (n: number) => Uint8Array) => {
    const out: Uint8Array[][] = [];
    for (let i = 0; i < SAMPLES; i++) out.push(splitShares(msg, k, rnd));
    return out;
  };
  /** Every subset of k−1 share indices. */
  const subsets = (k: number) => Array.from({ length: k }, (_, drop) => Array.from({ length: k }, (_, i) => i).filter((i) => i !== drop));

  /** The three tests on one subset; returns the statistics. */
  const stats = (a: Uint8Array[][], b: Uint8Array[][], subset: number[]) => {
    const out = { uniform: 0, joint: 0, homogeneous: 0 };
    for (const j of subset) {
      out.uniform = Math.max(out.uniform, chiSquareUniform(byteHistogram(a.map((s) => s[j]))), chiSquareUniform(byteHistogram(b.map((s) => s[j]))));
      out.homogeneous = Math.max(out.homogeneous, chiSquareHomogeneity(byteHistogram(a.map((s) => s[j])), byteHistogram(b.map((s) => s[j]))));
    }
    if (subset.length >= 2) {
      const [x, y] = [subset[0], subset[subset.length - 1]];
      out.joint = chiSquareUniform(jointNibbleHistogram(a.map((s) => s[x]), a.map((s) => s[y])));
      out.homogeneous = Math.max(out.homogeneous, chiSquareHomogeneity(jointNibbleHistogram(a.map((s) => s[x]), a.map((s) => s[y])), jointNibbleHistogram(b.map((s) => s[x]), b.map((s) => s[y]))));
    }
    return out;
  };

  for (const k of [2, 3, 4]) {
    it(`k = ${k}: every k−1 shares are uniform, jointly uniform, and the same for two very different messages`, () => {
      const rnd = seededRandom(1000 + k);
      const a = run(msgA, k, rnd);
      const b = run(msgB, k, rnd);
      for (const subset of subsets(k)) {
        const s = stats(a, b, subset);
        expect(s.uniform, 'uniform ' + subset).toBeLessThan(BOUND);
        expect(s.joint, 'joint ' + subset).toBeLessThan(BOUND);
        expect(s.homogeneous, 'homogeneous ' + subset).toBeLessThan(BOUND);
      }
    });
  }

  it('rejects a biased share generator (top bit set with probability 0.53)', () => {
    const good = seededRandom(5);
    const biased = (n: number) => {
      const r = good(2 * n);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = (r[i] & 0x7f) | (r[n + i] < 0.53 * 256 ? 0x80 : 0);
      return out;
    };
    const a = run(msgA, 3, biased);
    const b = run(msgB, 3, biased);
    // Shares 0 and 1 come straight from the generator: the uniformity test must reject them.
    expect(stats(a, b, [0, 1]).uniform).toBeGreaterThan(BOUND);
  });

  it('rejects a leaky split (random shares with only 7 random bits): the last share depends on the message', () => {
    const good = seededRandom(6);
    const leaky = (n: number) => {
      const r = good(n);
      for (let i = 0; i < n; i++) r[i] &= 0x7f;
      return r;
    };
    const a = run(msgA, 2, leaky);
    const b = run(msgB, 2, leaky);
    // The last share alone (a set of k−1 = 1 shares) now differs between the two messages.
    expect(stats(a, b, [1]).homogeneous).toBeGreaterThan(BOUND);
  });

  it('the bound is a real chi-square quantile (Wilson–Hilferty against known values)', () => {
    // chi2(0.999, 255) ≈ 330.5; chi2(0.95, 10) ≈ 18.31.
    expect(chiSquareBound(255, 3.0902)).toBeCloseTo(330.5, 0);
    expect(chiSquareBound(10, 1.6449)).toBeCloseTo(18.31, 0);
    expect(BOUND).toBeGreaterThan(350);
    expect(BOUND).toBeLessThan(380);
  });
});

describe('on the PDA', () => {
  it('bundles for Espruino and combines what Node split, in a sandbox without what Espruino lacks', async () => {
    const js = await bundleForEspruino(
      `import { combineShares, splitShares } from './shared/src/exchange/shares';
       declare const hood: any;
       hood.exchange = { combineShares: combineShares, splitShares: splitShares };`,
    );
    const es5 = lowerToEs5(js, 'exchange.js');
    expect(checkEspruinoSource(es5)).toEqual([]);
    const ctx = vm.createContext({ hood: {} });
    vm.runInContext(DELETE_GLOBALS_SRC, ctx);
    vm.runInContext(es5, ctx);
    const msg = utf8('a reply kept over three exchange servers');
    const shares = splitShares(msg, 3, seededRandom(9));
    const out = vm.runInContext(
      `(function () {
        function h2b(s) { var o = new Uint8Array(s.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(s.substr(2 * i, 2), 16); return o; }
        var m = hood.exchange.combineShares(${JSON.stringify(shares.map(hex))}.map(h2b));
        var s = ''; for (var i = 0; i < m.length; i++) s += String.fromCharCode(m[i]);
        return s;
      })()`,
      ctx,
    );
    expect(out).toBe('a reply kept over three exchange servers');
  });
});
