/**
 * SHA-256 (FIPS 180-4 §6.2), pure 32-bit JS for Espruino: only `| 0` / `>>> 0` arithmetic,
 * no Math.imul, no BigInt, no DataView-dependent helpers. One-shot API; messages here are small.
 */

/** FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: initial hash value H(0). */
const IV = new Uint32Array([
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
]);

/** Message schedule scratch, reused across calls (never allocated per block). */
const W = new Uint32Array(64);

function compress(H: Uint32Array, m: Uint8Array, off: number): void {
  for (let t = 0; t < 16; t++) {
    const j = off + 4 * t;
    W[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
  }
  for (let t = 16; t < 64; t++) {
    const w15 = W[t - 15];
    const w2 = W[t - 2];
    // σ0 and σ1 of §4.1.2 (4.6, 4.7)
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[t] = (s1 + W[t - 7] + s0 + W[t - 16]) | 0;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 64; t++) {
    // Σ1(e), Ch(e,f,g), Σ0(a), Maj(a,b,c) of §4.1.2
    const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const ch = (e & f) ^ (~e & g);
    const t1 = (h + S1 + ch + K[t] + W[t]) | 0;
    const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const maj = (a & b) ^ (a & c) ^ (b & c);
    const t2 = (S0 + maj) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (H[0] + a) | 0;
  H[1] = (H[1] + b) | 0;
  H[2] = (H[2] + c) | 0;
  H[3] = (H[3] + d) | 0;
  H[4] = (H[4] + e) | 0;
  H[5] = (H[5] + f) | 0;
  H[6] = (H[6] + g) | 0;
  H[7] = (H[7] + h) | 0;
}

/** SHA-256 of msg (any length that fits in memory). Returns a fresh 32-byte array. */
export function sha256(msg: Uint8Array): Uint8Array {
  if (!(msg instanceof Uint8Array)) throw new TypeError('sha256: msg must be a Uint8Array');
  const H = new Uint32Array(IV);
  const n = msg.length;
  const full = n - (n % 64);
  for (let off = 0; off < full; off += 64) compress(H, msg, off);
  // §5.1.1 padding: 0x80, zeros, then the bit length as a 64-bit big-endian integer.
  const rest = n - full;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(msg.subarray(full), 0);
  tail[rest] = 0x80;
  const hiBits = Math.floor(n / 0x20000000); // n * 8 / 2^32, without overflowing 32-bit ops
  const loBits = (n * 8) >>> 0;
  const e = tail.length;
  tail[e - 8] = hiBits >>> 24;
  tail[e - 7] = hiBits >>> 16;
  tail[e - 6] = hiBits >>> 8;
  tail[e - 5] = hiBits;
  tail[e - 4] = loBits >>> 24;
  tail[e - 3] = loBits >>> 16;
  tail[e - 2] = loBits >>> 8;
  tail[e - 1] = loBits;
  for (let off = 0; off < e; off += 64) compress(H, tail, off);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = H[i];
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = v >>> 16;
    out[4 * i + 2] = v >>> 8;
    out[4 * i + 3] = v;
  }
  tail.fill(0);
  W.fill(0);
  return out;
}
