/**
 * SHA-512 (FIPS 180-4 §6.4) without BigInt: every 64-bit word is a (hi, lo) pair of 32-bit
 * halves, stored at [2i] and [2i+1] of Int32Arrays. Needed for Ed25519 (RFC 8032 §5.1).
 * Additions carry from lo to hi via unsigned compares of `>>> 0` values; rotations are
 * composed from 32-bit shifts. No Math.imul, no allocation per block.
 */

/** FIPS 180-4 §4.2.3: cube roots of the first 80 primes, as hi, lo halves. */
const K = new Int32Array([
  0x428a2f98, 0xd728ae22, 0x71374491, 0x23ef65cd, 0xb5c0fbcf, 0xec4d3b2f, 0xe9b5dba5, 0x8189dbbc,
  0x3956c25b, 0xf348b538, 0x59f111f1, 0xb605d019, 0x923f82a4, 0xaf194f9b, 0xab1c5ed5, 0xda6d8118,
  0xd807aa98, 0xa3030242, 0x12835b01, 0x45706fbe, 0x243185be, 0x4ee4b28c, 0x550c7dc3, 0xd5ffb4e2,
  0x72be5d74, 0xf27b896f, 0x80deb1fe, 0x3b1696b1, 0x9bdc06a7, 0x25c71235, 0xc19bf174, 0xcf692694,
  0xe49b69c1, 0x9ef14ad2, 0xefbe4786, 0x384f25e3, 0x0fc19dc6, 0x8b8cd5b5, 0x240ca1cc, 0x77ac9c65,
  0x2de92c6f, 0x592b0275, 0x4a7484aa, 0x6ea6e483, 0x5cb0a9dc, 0xbd41fbd4, 0x76f988da, 0x831153b5,
  0x983e5152, 0xee66dfab, 0xa831c66d, 0x2db43210, 0xb00327c8, 0x98fb213f, 0xbf597fc7, 0xbeef0ee4,
  0xc6e00bf3, 0x3da88fc2, 0xd5a79147, 0x930aa725, 0x06ca6351, 0xe003826f, 0x14292967, 0x0a0e6e70,
  0x27b70a85, 0x46d22ffc, 0x2e1b2138, 0x5c26c926, 0x4d2c6dfc, 0x5ac42aed, 0x53380d13, 0x9d95b3df,
  0x650a7354, 0x8baf63de, 0x766a0abb, 0x3c77b2a8, 0x81c2c92e, 0x47edaee6, 0x92722c85, 0x1482353b,
  0xa2bfe8a1, 0x4cf10364, 0xa81a664b, 0xbc423001, 0xc24b8b70, 0xd0f89791, 0xc76c51a3, 0x0654be30,
  0xd192e819, 0xd6ef5218, 0xd6990624, 0x5565a910, 0xf40e3585, 0x5771202a, 0x106aa070, 0x32bbd1b8,
  0x19a4c116, 0xb8d2d0c8, 0x1e376c08, 0x5141ab53, 0x2748774c, 0xdf8eeb99, 0x34b0bcb5, 0xe19b48a8,
  0x391c0cb3, 0xc5c95a63, 0x4ed8aa4a, 0xe3418acb, 0x5b9cca4f, 0x7763e373, 0x682e6ff3, 0xd6b2b8a3,
  0x748f82ee, 0x5defb2fc, 0x78a5636f, 0x43172f60, 0x84c87814, 0xa1f0ab72, 0x8cc70208, 0x1a6439ec,
  0x90befffa, 0x23631e28, 0xa4506ceb, 0xde82bde9, 0xbef9a3f7, 0xb2c67915, 0xc67178f2, 0xe372532b,
  0xca273ece, 0xea26619c, 0xd186b8c7, 0x21c0c207, 0xeada7dd6, 0xcde0eb1e, 0xf57d4f7f, 0xee6ed178,
  0x06f067aa, 0x72176fba, 0x0a637dc5, 0xa2c898a6, 0x113f9804, 0xbef90dae, 0x1b710b35, 0x131c471b,
  0x28db77f5, 0x23047d84, 0x32caab7b, 0x40c72493, 0x3c9ebe0a, 0x15c9bebc, 0x431d67c4, 0x9c100d4c,
  0x4cc5d4be, 0xcb3e42b6, 0x597f299c, 0xfc657e2a, 0x5fcb6fab, 0x3ad6faec, 0x6c44198c, 0x4a475817,
]);

/** FIPS 180-4 §5.3.5: initial hash value H(0), as hi, lo halves. */
const IV = new Int32Array([
  0x6a09e667, 0xf3bcc908, 0xbb67ae85, 0x84caa73b, 0x3c6ef372, 0xfe94f82b, 0xa54ff53a, 0x5f1d36f1,
  0x510e527f, 0xade682d1, 0x9b05688c, 0x2b3e6c1f, 0x1f83d9ab, 0xfb41bd6b, 0x5be0cd19, 0x137e2179,
]);

/** Message schedule (80 words = 160 halves), reused. */
const W = new Int32Array(160);

/** Carry out of a 32-bit unsigned addition: 1 if (a + b) wrapped, i.e. sum < a. */
function carry(sumLo: number, aLo: number): number {
  return (sumLo >>> 0) < (aLo >>> 0) ? 1 : 0;
}

function compress(H: Int32Array, m: Uint8Array, off: number): void {
  for (let t = 0; t < 32; t++) {
    const j = off + 4 * t;
    W[t] = (m[j] << 24) | (m[j + 1] << 16) | (m[j + 2] << 8) | m[j + 3];
  }
  for (let t = 16; t < 80; t++) {
    // σ0(x) = ROTR1 ^ ROTR8 ^ SHR7 ; σ1(x) = ROTR19 ^ ROTR61 ^ SHR6 (§4.1.3, 4.12/4.13)
    let xh = W[2 * (t - 15)], xl = W[2 * (t - 15) + 1];
    const s0h = ((xh >>> 1) | (xl << 31)) ^ ((xh >>> 8) | (xl << 24)) ^ (xh >>> 7);
    const s0l = ((xl >>> 1) | (xh << 31)) ^ ((xl >>> 8) | (xh << 24)) ^ ((xl >>> 7) | (xh << 25));
    xh = W[2 * (t - 2)];
    xl = W[2 * (t - 2) + 1];
    // ROTR61 = ROTL3 = ROTR29 of the swapped halves
    const s1h = ((xh >>> 19) | (xl << 13)) ^ ((xl >>> 29) | (xh << 3)) ^ (xh >>> 6);
    const s1l = ((xl >>> 19) | (xh << 13)) ^ ((xh >>> 29) | (xl << 3)) ^ ((xl >>> 6) | (xh << 26));
    // W[t] = σ1 + W[t-7] + σ0 + W[t-16]
    let lo = (s1l + W[2 * (t - 7) + 1]) | 0;
    let hi = (s1h + W[2 * (t - 7)] + carry(lo, s1l)) | 0;
    let l2 = (lo + s0l) | 0;
    hi = (hi + s0h + carry(l2, lo)) | 0;
    lo = (l2 + W[2 * (t - 16) + 1]) | 0;
    hi = (hi + W[2 * (t - 16)] + carry(lo, l2)) | 0;
    W[2 * t] = hi;
    W[2 * t + 1] = lo;
  }
  let ah = H[0], al = H[1], bh = H[2], bl = H[3], ch = H[4], cl = H[5], dh = H[6], dl = H[7];
  let eh = H[8], el = H[9], fh = H[10], fl = H[11], gh = H[12], gl = H[13], hh = H[14], hl = H[15];
  for (let t = 0; t < 80; t++) {
    // Σ1(e) = ROTR14 ^ ROTR18 ^ ROTR41 (ROTR41 = ROTR9 of swapped halves)
    const S1h = ((eh >>> 14) | (el << 18)) ^ ((eh >>> 18) | (el << 14)) ^ ((el >>> 9) | (eh << 23));
    const S1l = ((el >>> 14) | (eh << 18)) ^ ((el >>> 18) | (eh << 14)) ^ ((eh >>> 9) | (el << 23));
    const Chh = (eh & fh) ^ (~eh & gh);
    const Chl = (el & fl) ^ (~el & gl);
    // T1 = h + Σ1(e) + Ch(e,f,g) + K[t] + W[t]
    let lo = (hl + S1l) | 0;
    let hi = (hh + S1h + carry(lo, hl)) | 0;
    let l2 = (lo + Chl) | 0;
    hi = (hi + Chh + carry(l2, lo)) | 0;
    lo = (l2 + K[2 * t + 1]) | 0;
    hi = (hi + K[2 * t] + carry(lo, l2)) | 0;
    l2 = (lo + W[2 * t + 1]) | 0;
    const t1h = (hi + W[2 * t] + carry(l2, lo)) | 0;
    const t1l = l2;
    // Σ0(a) = ROTR28 ^ ROTR34 ^ ROTR39 (34 and 39 = 2 and 7 of swapped halves)
    const S0h = ((ah >>> 28) | (al << 4)) ^ ((al >>> 2) | (ah << 30)) ^ ((al >>> 7) | (ah << 25));
    const S0l = ((al >>> 28) | (ah << 4)) ^ ((ah >>> 2) | (al << 30)) ^ ((ah >>> 7) | (al << 25));
    const Majh = (ah & bh) ^ (ah & ch) ^ (bh & ch);
    const Majl = (al & bl) ^ (al & cl) ^ (bl & cl);
    const t2l = (S0l + Majl) | 0;
    const t2h = (S0h + Majh + carry(t2l, S0l)) | 0;
    hh = gh; hl = gl;
    gh = fh; gl = fl;
    fh = eh; fl = el;
    el = (dl + t1l) | 0;
    eh = (dh + t1h + carry(el, dl)) | 0;
    dh = ch; dl = cl;
    ch = bh; cl = bl;
    bh = ah; bl = al;
    al = (t1l + t2l) | 0;
    ah = (t1h + t2h + carry(al, t1l)) | 0;
  }
  addTo(H, 0, ah, al);
  addTo(H, 2, bh, bl);
  addTo(H, 4, ch, cl);
  addTo(H, 6, dh, dl);
  addTo(H, 8, eh, el);
  addTo(H, 10, fh, fl);
  addTo(H, 12, gh, gl);
  addTo(H, 14, hh, hl);
}

function addTo(H: Int32Array, i: number, h: number, l: number): void {
  const lo = (H[i + 1] + l) | 0;
  H[i] = (H[i] + h + carry(lo, l)) | 0;
  H[i + 1] = lo;
}

/** SHA-512 of msg. Returns a fresh 64-byte array. */
export function sha512(msg: Uint8Array): Uint8Array {
  if (!(msg instanceof Uint8Array)) throw new TypeError('sha512: msg must be a Uint8Array');
  const H = new Int32Array(IV);
  const n = msg.length;
  const full = n - (n % 128);
  for (let off = 0; off < full; off += 128) compress(H, msg, off);
  // §5.1.2 padding: 0x80, zeros, 128-bit big-endian bit length (high 64 bits are 0 here).
  const rest = n - full;
  const tail = new Uint8Array(rest < 112 ? 128 : 256);
  tail.set(msg.subarray(full), 0);
  tail[rest] = 0x80;
  const hiBits = Math.floor(n / 0x20000000);
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
  for (let off = 0; off < e; off += 128) compress(H, tail, off);
  const out = new Uint8Array(64);
  for (let i = 0; i < 16; i++) {
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
