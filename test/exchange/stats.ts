/**
 * Pearson chi-square statistics for the share tests, with a deterministic generator so a run is
 * reproducible. Bounds come from the Wilson–Hilferty approximation of the chi-square quantile.
 */
import { createCipheriv } from 'node:crypto';

/** A seeded byte stream: the ChaCha20 keystream (RFC 8439) under a key derived from `seed`. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  const key = Buffer.alloc(32);
  key.writeUInt32BE(seed >>> 0, 0);
  const c = createCipheriv('chacha20', key, Buffer.alloc(16));
  return (n) => new Uint8Array(c.update(Buffer.alloc(n)));
}

/** Upper quantile of chi-square with `df` degrees of freedom at standard-normal score z (Wilson–Hilferty). */
export function chiSquareBound(df: number, z: number): number {
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

/** Goodness of fit of `counts` against the uniform distribution. */
export function chiSquareUniform(counts: number[]): number {
  const total = counts.reduce((s, c) => s + c, 0);
  const e = total / counts.length;
  return counts.reduce((s, c) => s + ((c - e) * (c - e)) / e, 0);
}

/** Homogeneity of two histograms over the same cells (2×n contingency table, n−1 degrees of freedom). */
export function chiSquareHomogeneity(a: number[], b: number[]): number {
  const ta = a.reduce((s, c) => s + c, 0);
  const tb = b.reduce((s, c) => s + c, 0);
  let x = 0;
  for (let i = 0; i < a.length; i++) {
    const col = a[i] + b[i];
    if (col === 0) continue;
    const ea = (col * ta) / (ta + tb);
    const eb = (col * tb) / (ta + tb);
    x += ((a[i] - ea) * (a[i] - ea)) / ea + ((b[i] - eb) * (b[i] - eb)) / eb;
  }
  return x;
}

/** 256 cells: byte values of every byte of every sample. */
export function byteHistogram(samples: Uint8Array[]): number[] {
  const h = new Array(256).fill(0);
  for (const s of samples) for (let i = 0; i < s.length; i++) h[s[i]]++;
  return h;
}

/** 256 cells: (high nibble of a[i], high nibble of b[i]) over aligned samples — a joint distribution. */
export function jointNibbleHistogram(a: Uint8Array[], b: Uint8Array[]): number[] {
  const h = new Array(256).fill(0);
  for (let j = 0; j < a.length; j++) for (let i = 0; i < a[j].length; i++) h[(a[j][i] & 0xf0) | (b[j][i] >> 4)]++;
  return h;
}
