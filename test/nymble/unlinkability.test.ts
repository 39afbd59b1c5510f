/**
 * Unlinkability before a complaint (Nymble [Tsang et al. 2011] §4, "non-frameability/anonymity"):
 * nymbles of one user at different MSSs or in different periods look like nymbles of different users.
 *
 * A distinguisher gets pairs of nymbles, half from one user (different MSS and/or period), half from
 * two users, and tries three tests at α = 0.001 each:
 *  1. chi-square homogeneity of the number of equal bits per pair (binned) between the two classes;
 *  2. per bit position, chi-square of "bits equal" in same-user pairs against the fair coin (256 df);
 *  3. a threshold classifier on the number of equal bits: accuracy must stay within 4σ of 1/2.
 * The same tests are run on two deliberately flawed constructions to show they can fail.
 */
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeTicket } from '../../shared/src/nymble/ticket';
import { pseudonymMac } from '../../host/nymble/pseudonym-manager';
import { nymbleWorld, type NymbleWorld } from './helpers';

const PAIRS = 1000;
const L = 4;
const SIDS = ['doug', 'erin', 'fay'];
/** Upper 0.1 % points: chi-square with 5 df, and standard normal. */
const CHI2_5_999 = 20.515;
const Z_999 = 3.0902;

function chi2Critical(df: number): number {
  // Wilson–Hilferty approximation of the chi-square quantile.
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + Z_999 * Math.sqrt(a), 3);
}

function equalBits(a: Uint8Array, b: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    let x = ~(a[i] ^ b[i]) & 0xff;
    while (x) {
      n += x & 1;
      x >>= 1;
    }
  }
  return n;
}

const BIN_EDGES = [120, 124, 128, 132, 136];
function bin(n: number): number {
  let i = 0;
  while (i < BIN_EDGES.length && n > BIN_EDGES[i]) i++;
  return i;
}

interface Verdict {
  homogeneity: number;
  perBit: number;
  accuracy: number;
}

function distinguish(same: [Uint8Array, Uint8Array][], diff: [Uint8Array, Uint8Array][]): Verdict {
  const k = BIN_EDGES.length + 1;
  const obs = [new Array(k).fill(0), new Array(k).fill(0)];
  for (const [a, b] of same) obs[0][bin(equalBits(a, b))]++;
  for (const [a, b] of diff) obs[1][bin(equalBits(a, b))]++;
  let homogeneity = 0;
  const total = same.length + diff.length;
  for (let j = 0; j < k; j++) {
    const col = obs[0][j] + obs[1][j];
    if (col === 0) continue;
    for (let r = 0; r < 2; r++) {
      const e = (col * (r === 0 ? same.length : diff.length)) / total;
      homogeneity += (obs[r][j] - e) ** 2 / e;
    }
  }
  let perBit = 0;
  for (let pos = 0; pos < 256; pos++) {
    let eq = 0;
    for (const [a, b] of same) if (((a[pos >> 3] ^ b[pos >> 3]) >> (pos & 7)) & 1 ? false : true) eq++;
    const e = same.length / 2;
    perBit += ((eq - e) ** 2) / e + ((same.length - eq - e) ** 2) / e;
  }
  let right = 0;
  for (const [a, b] of same) if (equalBits(a, b) > 128) right++;
  for (const [a, b] of diff) if (equalBits(a, b) <= 128) right++;
  return { homogeneity, perBit, accuracy: right / total };
}

function assertIndistinguishable(v: Verdict, n: number): void {
  expect(v.homogeneity).toBeLessThan(CHI2_5_999);
  expect(v.perBit).toBeLessThan(chi2Critical(256));
  expect(Math.abs(v.accuracy - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / (2 * n)));
}

function isIndistinguishable(v: Verdict, n: number): boolean {
  return v.homogeneity < CHI2_5_999 && v.perBit < chi2Critical(256) && Math.abs(v.accuracy - 0.5) < 4 * Math.sqrt(0.25 / (2 * n));
}

let world: NymbleWorld;
/** nymbles[u][sidIndex][t-1] */
const nymbles: Uint8Array[][][] = [];
const users = PAIRS + 1;
const now = { w: 7, t: 1 };

beforeAll(async () => {
  world = await nymbleWorld(SIDS, { periodMs: 1000, periodsPerWindow: L });
  const key = world.pm.sharedMacKey();
  // Pseudonyms are PRF outputs of (account, window) (Algorithm 1); random 32-byte nyms with a valid
  // PM MAC stand in for them here, so thousands of users need no thousands of bank accounts.
  for (let u = 0; u < users; u++) {
    const nym = new Uint8Array(randomBytes(32));
    const p = { nym, w: now.w, mac: pseudonymMac(key, nym, now.w) };
    nymbles.push(SIDS.map((sid) => world.nm.credential(p, sid, now, 1).tickets.map((tk) => decodeTicket(tk).nymble)));
  }
}, 240_000);
afterAll(() => world.close());

/** A pair of (MSS, period) coordinates that differ in MSS or period (or both). */
function coords(i: number): [[number, number], [number, number]] {
  const s1 = i % SIDS.length;
  const s2 = (i + 1 + (i % 2)) % SIDS.length;
  const t1 = i % L;
  const t2 = (i * 7 + 1) % L;
  return [[s1, t1], [i % 3 === 0 ? s1 : s2, i % 3 === 0 ? (t1 + 1) % L : t2]];
}

describe('nymble unlinkability before a complaint', () => {
  it('same-user pairs across MSSs and periods are indistinguishable from different-user pairs', () => {
    const same: [Uint8Array, Uint8Array][] = [];
    const diff: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < PAIRS; i++) {
      const [[s1, t1], [s2, t2]] = coords(i);
      same.push([nymbles[i][s1][t1], nymbles[i][s2][t2]]);
      diff.push([nymbles[i][s1][t1], nymbles[i + 1][s2][t2]]);
    }
    assertIndistinguishable(distinguish(same, diff), PAIRS);
  });

  it('the distinguisher does catch flawed constructions (the test can fail)', () => {
    const h = (...parts: (string | Uint8Array)[]) => {
      const x = createHash('sha256');
      for (const p of parts) x.update(p);
      return new Uint8Array(x.digest());
    };
    const ids = Array.from({ length: PAIRS + 1 }, () => randomBytes(32));
    // Flaw 1: half of the nymble depends only on the user.
    const flaw1 = (u: number, s: number, t: number) => new Uint8Array([...h('u', ids[u]).subarray(0, 16), ...h('st', ids[u], String(s), String(t)).subarray(0, 16)]);
    // Flaw 2: a per-user pad XOR a per-(MSS, period) constant — every bit is fair, but same-user pairs agree where the constants do.
    const flaw2 = (u: number, s: number, t: number) => {
      const a = h('pad', ids[u]);
      const c = h('const', String(s), String(t));
      return a.map((x, i) => x ^ c[i]);
    };
    for (const flaw of [flaw1, flaw2]) {
      const same: [Uint8Array, Uint8Array][] = [];
      const diff: [Uint8Array, Uint8Array][] = [];
      for (let i = 0; i < PAIRS; i++) {
        const [[s1, t1], [s2, t2]] = coords(i);
        same.push([flaw(i, s1, t1), flaw(i, s2, t2)]);
        diff.push([flaw(i, s1, t1), flaw(i + 1, s2, t2)]);
      }
      expect(isIndistinguishable(distinguish(same, diff), PAIRS)).toBe(false);
    }
  });

  it('nymble* (the blacklist entry) of one user differs per MSS and is unlike any of her ticket nymbles', () => {
    const seen = new Set<string>();
    for (let u = 0; u < 50; u++) for (const sidNymbles of nymbles[u]) for (const n of sidNymbles) seen.add(Buffer.from(n).toString('hex'));
    expect(seen.size).toBe(50 * SIDS.length * L);
  });
});
