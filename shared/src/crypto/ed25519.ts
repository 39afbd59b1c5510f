/**
 * Ed25519 signature verification (RFC 8032 §5.1.7) over field25519 and our sha512, no BigInt.
 * Signing happens on the host (node:crypto); ed25519PublicKey exists for tests and key checks.
 *
 * Points use extended twisted Edwards coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z, on
 * -x^2 + y^2 = 1 + d x^2 y^2 (RFC 8032 §5.1). Verification handles only public data, so it
 * uses a variable-time interleaved wNAF; ed25519PublicKey (secret scalar) uses an always-add
 * ladder with arithmetic selection instead (slow: about 2x a verification; tests/key checks only).
 *
 * Measured on Espruino 2v29 for Linux on a loaded 2-vCPU machine: about 5-7 s per verification.
 */
import { Fe, field, fieldRelease } from './field25519';
import { sha512 } from './sha512';
import { concat, equalBytes, wipe } from '../bytes';

interface Pt {
  x: Fe;
  y: Fe;
  z: Fe;
  t: Fe;
}

/**
 * Everything of Ed25519, created on the first verification (not at boot: on Espruino every
 * function and typed array costs variables for as long as it exists, and a PDA verifies only when
 * a session starts). The field operations are locals of this closure.
 */
function makeEd() {
  const F = field();
  const feNew = F.feNew;
  const feAdd = F.feAdd;
  const feSub = F.feSub;
  const feMul = F.feMul;
  const feSq = F.feSq;
  const feSqSum = F.feSqSum;
  const feMulSmallAdd = F.feMulSmallAdd;
  const feOne = F.feOne;
  const feZero = F.feZero;
  const feFromBytes = F.feFromBytes;
  const feToBytes = F.feToBytes;
  const feInvert = F.feInvert;
  const fePow2523 = F.fePow2523;
  const feIsZero = F.feIsZero;
  const feIsNegative = F.feIsNegative;
  const feNeg = F.feNeg;
  const feReduce = F.feReduce;
  const feCmov = F.feCmov;
  const feWipeScratch = F.feWipeScratch;

  /** d = -121665/121666 mod p (RFC 8032 §5.1), 16-bit limbs little-endian. */
  const D = feNew([
    0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070,
    0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203,
  ]);
  /** 2d mod p, the k of the unified addition formula. */
  const D2 = feNew([
    0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0,
    0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406,
  ]);
  /** sqrt(-1) = 2^((p-1)/4) mod p (RFC 8032 §5.1.3 step 3). */
  const SQRTM1 = feNew([
    0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43,
    0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83,
  ]);
  /** Group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes. */
  const L = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
  ];
  /** 16 * (L - 2^252): since 2^256 = 16 * 2^252 = -16 (L - 2^252) (mod L). 17 bytes LE. */
  const C16 = [0xd0, 0x3e, 0x5d, 0xcf, 0xa5, 0x31, 0x26, 0x81, 0x65, 0xcd, 0x79, 0x2f, 0xea, 0x9d, 0xef, 0x4d, 0x01];



  function ptNew(): Pt {
    return { x: feNew(), y: feNew(), z: feNew(), t: feNew() };
  }

  function ptIdentity(p: Pt): void {
    feZero(p.x);
    feOne(p.y);
    feOne(p.z);
    feZero(p.t);
  }

  // Temporaries of the point formulas (FA..FH), of ptEncode (ZI, EX, EY) and of ptDecode (U, V,
  // V3, VX2, W, CANON): allocated by edScratch() when a verification or key computation starts and
  // released by edRelease() when it ends, so that an idle PDA holds none of them (on Espruino a
  // typed array costs variables for as long as it lives).
  let FA!: Fe, FB!: Fe, FC!: Fe, FD!: Fe, FE!: Fe, FF!: Fe, FG!: Fe, FH!: Fe;
  let ZI!: Fe, EX!: Fe, EY!: Fe, U!: Fe, V!: Fe, V3!: Fe, VX2!: Fe, W!: Fe;
  let CANON!: Uint8Array;
  let scratchHeld = false;

  function edScratch(): void {
    if (scratchHeld) return;
    scratchHeld = true;
    FA = feNew(); FB = feNew(); FC = feNew(); FD = feNew(); FE = feNew(); FF = feNew(); FG = feNew(); FH = feNew();
    ZI = feNew(); EX = feNew(); EY = feNew(); U = feNew(); V = feNew(); V3 = feNew(); VX2 = feNew(); W = feNew();
    CANON = new Uint8Array(32);
  }

  /** Overwrite and drop the temporaries, the cached base point tables and the field scratch. */
  function edRelease(): void {
    if (!scratchHeld) return;
    const all = [FA, FB, FC, FD, FE, FF, FG, FH, ZI, EX, EY, U, V, V3, VX2, W];
    for (let i = 0; i < all.length; i++) all[i].fill(0);
    CANON.fill(0);
    const none = null as unknown as Fe;
    FA = FB = FC = FD = FE = FF = FG = FH = none;
    ZI = EX = EY = U = V = V3 = VX2 = W = none;
    CANON = null as unknown as Uint8Array;
    BASE = null;
    BASE_TABLE = null;
    scratchHeld = false;
    feWipeScratch();
  }

  /**
   * o = p + q (or p - q when neg is true), add-2008-hwcd-3 for a = -1 (Hisil-Wong-Carter-Dawson
   * 2008, §3.1): unified and complete on this curve (d is not a square), so it is also correct
   * for p == q and the identity. -q = (-X, Y, Z, -T), so subtracting swaps Y2 - X2 with Y2 + X2
   * and negates C. `neg` is public (a wNAF digit sign), never a secret.
   */
  function ptAdd(o: Pt, p: Pt, q: Pt, neg?: boolean): void {
    feSub(FA, p.y, p.x);
    if (neg) feAdd(FB, q.y, q.x);
    else feSub(FB, q.y, q.x);
    feMul(FA, FA, FB); // A = (Y1 - X1)(Y2 - X2)
    feAdd(FB, p.y, p.x);
    if (neg) feSub(FC, q.y, q.x);
    else feAdd(FC, q.y, q.x);
    feMul(FB, FB, FC); // B = (Y1 + X1)(Y2 + X2)
    feMul(FC, p.t, q.t);
    feMul(FC, FC, D2); // C = 2d T1 T2 (negated for -q)
    feMul(FD, p.z, q.z);
    feAdd(FD, FD, FD); // D = 2 Z1 Z2
    feSub(FE, FB, FA);
    if (neg) {
      feAdd(FF, FD, FC);
      feSub(FG, FD, FC);
    } else {
      feSub(FF, FD, FC);
      feAdd(FG, FD, FC);
    }
    feAdd(FH, FB, FA);
    feMul(o.x, FE, FF);
    feMul(o.y, FG, FH);
    feMul(o.t, FE, FH);
    feMul(o.z, FF, FG);
  }

  /**
   * o = 2p, the doubling of RFC 8032 §5.1.4 (dbl-2008-hwcd for a = -1): A = X1^2, B = Y1^2,
   * H = A + B, E = H - (X1 + Y1)^2, G = A - B, F = 2 Z1^2 + G, X3 = E F, Y3 = G H, T3 = E H,
   * Z3 = F G. Every feSub subtrahend is reduced and F is formed reduced (feMulSmallAdd), so all
   * products get valid inputs (see field25519's bounds).
   */
  function ptDouble(o: Pt, p: Pt): void {
    feSq(FA, p.x); // A
    feSq(FB, p.y); // B
    feSq(FC, p.z); // Z1^2
    feAdd(FH, FA, FB); // H = A + B
    feSqSum(FE, p.x, p.y); // (X1 + Y1)^2
    feSub(FE, FH, FE); // E = H - (X1 + Y1)^2
    feSub(FG, FA, FB); // G = A - B
    feMulSmallAdd(FF, FC, 2, FG); // F = C + G with C = 2 Z1^2
    feMul(o.x, FE, FF);
    feMul(o.y, FG, FH);
    feMul(o.t, FE, FH);
    feMul(o.z, FF, FG);
  }

  /** RFC 8032 §5.1.2: y little-endian with the low bit of x in bit 255. */
  function ptEncode(out: Uint8Array, p: Pt): void {
    feInvert(ZI, p.z);
    feMul(EX, p.x, ZI);
    feMul(EY, p.y, ZI);
    feToBytes(out, EY);
    out[31] |= feIsNegative(EX) << 7;
  }

  /**
   * RFC 8032 §5.1.3 point decoding. Returns false for y >= p (non-canonical), for y with no
   * matching x, and for x = 0 with the sign bit set. Input is public (keys, R of a signature).
   */
  function ptDecode(p: Pt, b: Uint8Array): boolean {
    feFromBytes(p.y, b);
    // Step 1: reject y >= p, i.e. the canonical re-encoding differs from the 255 given bits.
    feToBytes(CANON, p.y);
    let diff = CANON[31] ^ (b[31] & 0x7f);
    for (let i = 0; i < 31; i++) diff |= CANON[i] ^ b[i];
    if (diff !== 0) return false;
    const sign = b[31] >>> 7;
    // Step 2: u = y^2 - 1, v = d y^2 + 1, x = u v^3 (u v^7)^((p-5)/8).
    feSq(U, p.y); // y^2
    feMul(V, U, D); // d y^2
    feOne(W);
    feSub(U, U, W);
    feReduce(U); // u = y^2 - 1, reduced: it is subtracted below
    feAdd(V, V, W); // v = d y^2 + 1
    feSq(V3, V);
    feMul(V3, V3, V); // v^3
    feSq(W, V3);
    feMul(W, W, V); // v^7
    feMul(W, W, U); // u v^7
    fePow2523(W, W);
    feMul(W, W, V3);
    feMul(p.x, W, U); // candidate x
    // Step 3: check v x^2 against u and -u.
    feSq(VX2, p.x);
    feMul(VX2, VX2, V);
    feSub(W, VX2, U);
    if (feIsZero(W) === 0) {
      feAdd(W, VX2, U);
      if (feIsZero(W) === 0) return false;
      feMul(p.x, p.x, SQRTM1);
    }
    // Step 4: x = 0 with sign 1 is invalid; otherwise pick the root whose low bit is the sign.
    if (feIsZero(p.x) === 1 && sign === 1) return false;
    if (feIsNegative(p.x) !== sign) feNeg(p.x, p.x);
    feOne(p.z);
    feMul(p.t, p.x, p.y);
    return true;
  }

  /** Base point B (RFC 8032 §5.1): y = 4/5, x even. Decoded once, on first use. */
  let BASE: Pt | null = null;
  function basePoint(): Pt {
    if (!BASE) {
      const enc = new Uint8Array(32);
      enc.fill(0x66);
      enc[0] = 0x58;
      const b = ptNew();
      ptDecode(b, enc);
      BASE = b;
    }
    return BASE;
  }

  /** Little-endian 32-byte s < L? (RFC 8032 §5.1.7 step 1). Public input, may branch. */
  function scalarIsCanonical(s: Uint8Array): boolean {
    for (let i = 31; i >= 0; i--) {
      if (s[i] < L[i]) return true;
      if (s[i] > L[i]) return false;
    }
    return false; // s == L
  }

  /** Carry so limbs 0..62 are in [0, 256); limb 63 keeps the sign of the value. */
  function normalize256(x: Float64Array): void {
    let c = 0;
    for (let i = 0; i < 63; i++) {
      const v = x[i] + c;
      c = Math.floor(v / 256);
      x[i] = v - c * 256;
    }
    x[63] += c;
  }

  /** Compare a normalized non-negative x with L: true if x >= L. */
  function geL(x: Float64Array): boolean {
    for (let i = 63; i >= 0; i--) {
      const li = i < 32 ? L[i] : 0;
      if (x[i] > li) return true;
      if (x[i] < li) return false;
    }
    return true;
  }

  /**
   * 64-byte little-endian integer mod L (the SHA-512 output of RFC 8032 §5.1.7 step 2).
   * Folds x = lo + 2^256 hi into lo - hi * C16 four times (|x| < 2^256 + 2^130 after that),
   * then adds or subtracts L a bounded number of times. Public data only.
   */
  function reduceModL(h: Uint8Array): Uint8Array {
    if (!(h instanceof Uint8Array) || h.length !== 64) throw new Error('reduceModL: need 64 bytes');
    let x = new Float64Array(64);
    for (let i = 0; i < 64; i++) x[i] = h[i];
    for (let round = 0; round < 4; round++) {
      const y = new Float64Array(64);
      for (let i = 0; i < 32; i++) y[i] = x[i];
      for (let j = 0; j < 32; j++) {
        const hj = x[32 + j];
        for (let k = 0; k < 17; k++) y[j + k] -= hj * C16[k];
      }
      normalize256(y);
      x = y;
    }
    if (x[63] < 0) {
      for (let i = 0; i < 32; i++) x[i] += L[i];
      normalize256(x);
    }
    for (let n = 0; n < 20 && geL(x); n++) {
      for (let i = 0; i < 32; i++) x[i] -= L[i];
      normalize256(x);
    }
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = x[i];
    return out;
  }

  function bit(s: Uint8Array, i: number): number {
    return (s[i >>> 3] >>> (i & 7)) & 1;
  }

  /**
   * Width-4 non-adjacent form of a public scalar < 2^253: digits in {0, ±1, ±3, ±5, ±7}, any
   * two non-zero digits at least 4 apart, sum(d_i 2^i) = s. Variable time (public input only).
   */
  function wnaf4(s: Uint8Array): Int8Array {
    const b = new Int8Array(262);
    for (let i = 0; i < 256; i++) b[i] = bit(s, i);
    const naf = new Int8Array(256);
    for (let i = 0; i < 256; i++) {
      if (b[i] === 0) continue;
      let v = b[i] + 2 * b[i + 1] + 4 * b[i + 2] + 8 * b[i + 3];
      b[i] = b[i + 1] = b[i + 2] = b[i + 3] = 0;
      if (v > 8) {
        // digit v - 16 < 0: subtracting it adds 16 * 2^i, a carry into bit i + 4
        v -= 16;
        let j = i + 4;
        while (b[j] === 1) b[j++] = 0;
        b[j] = 1;
      }
      naf[i] = v;
    }
    return naf;
  }

  /** [P, 3P, 5P, 7P]. */
  function oddMultiples(p: Pt): Pt[] {
    const p2 = ptNew();
    ptDouble(p2, p);
    const t: Pt[] = [p];
    for (let j = 1; j < 4; j++) {
      const q = ptNew();
      ptAdd(q, t[j - 1], p2);
      t.push(q);
    }
    return t;
  }


  /** Odd multiples of the base point, computed on first use and kept (public constants). */
  let BASE_TABLE: Pt[] | null = null;
  function baseTable(): Pt[] {
    if (!BASE_TABLE) BASE_TABLE = oddMultiples(basePoint());
    return BASE_TABLE;
  }

  /**
   * Verify an Ed25519 signature (RFC 8032 §5.1.7, cofactorless: checks that the encoding of
   * [S]B - [k]A equals R). Returns false for any malformed input: wrong lengths, S >= L,
   * non-canonical or invalid points R or A. Throws only if arguments are not Uint8Arrays.
   */
  function ed25519Verify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
    if (!(sig instanceof Uint8Array) || !(msg instanceof Uint8Array) || !(pub instanceof Uint8Array)) {
      throw new TypeError('ed25519Verify: sig, msg and pub must be Uint8Arrays');
    }
    if (sig.length !== 64 || pub.length !== 32) return false;
    edScratch();
    const ok = verifyWithScratch(sig, msg, pub);
    edRelease();
    return ok;
  }

  /** ed25519Verify's checks and equation, with the temporaries allocated (edScratch). */
  function verifyWithScratch(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
    const Rb = sig.subarray(0, 32);
    const S = sig.subarray(32, 64);
    if (!scalarIsCanonical(S)) return false;
    const A = ptNew();
    if (!ptDecode(A, pub)) return false;
    const R = ptNew();
    if (!ptDecode(R, Rb)) return false;
    const k = reduceModL(sha512(concat([Rb, pub, msg])));
    // Q = [S]B - [k]A by interleaved width-4 wNAF (Straus/Shamir): about 2 * 253/5 additions
    // instead of 2 * 253/2 for plain double-and-add, with 4 precomputed odd multiples per point.
    const nafS = wnaf4(S);
    const nafK = wnaf4(k);
    const TB = baseTable();
    const TA = oddMultiples(A);
    const Q = ptNew();
    ptIdentity(Q);
    let top = 255;
    while (top >= 0 && nafS[top] === 0 && nafK[top] === 0) top--;
    for (let i = top; i >= 0; i--) {
      ptDouble(Q, Q);
      const ds = nafS[i];
      if (ds > 0) ptAdd(Q, Q, TB[(ds - 1) >> 1]);
      else if (ds < 0) ptAdd(Q, Q, TB[(-ds - 1) >> 1], true);
      const dk = nafK[i];
      if (dk > 0) ptAdd(Q, Q, TA[(dk - 1) >> 1], true); // -[k]A
      else if (dk < 0) ptAdd(Q, Q, TA[(-dk - 1) >> 1]);
    }
    const enc = new Uint8Array(32);
    ptEncode(enc, Q);
    return equalBytes(enc, Rb);
  }

  /**
   * Public key from a 32-byte seed (RFC 8032 §5.1.5): a = clamp(SHA-512(seed)[0..32]), A = [a]B.
   * The scalar is secret, so the ladder always adds and selects with feCmov (no branch on bits).
   */
  function ed25519PublicKey(seed: Uint8Array): Uint8Array {
    if (!(seed instanceof Uint8Array) || seed.length !== 32) {
      throw new Error('ed25519PublicKey: seed must be a 32-byte Uint8Array');
    }
    const h = sha512(seed);
    const a = h.subarray(0, 32);
    a[0] &= 248;
    a[31] &= 127;
    a[31] |= 64;
    edScratch();
    const B = basePoint();
    const Q = ptNew();
    const P = ptNew();
    ptIdentity(Q);
    for (let i = 254; i >= 0; i--) {
      ptDouble(Q, Q);
      ptAdd(P, Q, B);
      const b = bit(a, i);
      feCmov(Q.x, P.x, b);
      feCmov(Q.y, P.y, b);
      feCmov(Q.z, P.z, b);
      feCmov(Q.t, P.t, b);
    }
    const out = new Uint8Array(32);
    ptEncode(out, Q);
    wipe(h);
    const pts = [Q, P];
    for (let i = 0; i < 2; i++) {
      pts[i].x.fill(0);
      pts[i].y.fill(0);
      pts[i].z.fill(0);
      pts[i].t.fill(0);
    }
    edRelease();
    return out;
  }
  return {
    reduceModL: reduceModL,
    ed25519Verify: ed25519Verify,
    ed25519PublicKey: ed25519PublicKey,
    wnaf4: wnaf4,
    constants: { D: D, D2: D2, SQRTM1: SQRTM1, L: L, C16: C16 },
  };
}

type Ed = ReturnType<typeof makeEd>;

/** A fresh instance for one operation: nothing of it (or of the field) outlives the call. */
function ed(): Ed {
  return makeEd();
}

function done<T>(v: T): T {
  fieldRelease();
  return v;
}

export function reduceModL(h: Uint8Array): Uint8Array {
  return done(ed().reduceModL(h));
}

export function ed25519Verify(sig: Uint8Array, msg: Uint8Array, pub: Uint8Array): boolean {
  return done(ed().ed25519Verify(sig, msg, pub));
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return done(ed().ed25519PublicKey(seed));
}

/** Exported only for tests that check the constants against BigInt arithmetic. */
export const _constants = {
  get D(): Fe {
    return ed().constants.D;
  },
  get D2(): Fe {
    return ed().constants.D2;
  },
  get SQRTM1(): Fe {
    return ed().constants.SQRTM1;
  },
  get L(): number[] {
    return ed().constants.L;
  },
  get C16(): number[] {
    return ed().constants.C16;
  },
};

/** Exported only for tests. */
export const _wnaf4 = (s: Uint8Array): Int8Array => ed().wnaf4(s);
