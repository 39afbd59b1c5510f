/**
 * The curve seam on libsecp256k1 itself, through the `secp256k1` npm module's N-API binding (a
 * prebuilt binary for linux-x64/glibc, darwin-arm64 and win32-x64; built with node-gyp elsewhere).
 * This is the library the Cashu mints in production sit on. Every operation used here with a
 * secret scalar is constant-time in libsecp256k1: publicKeyCreate (ecmult_gen), ecdh
 * (ecmult_const), privateKeyTweakAdd/Mul (scalar arithmetic).
 *
 * k·P goes through the binding's `ecdh` with a hash function that returns the point itself, and
 * NOT through publicKeyTweakMul: secp256k1_ec_pubkey_tweak_mul runs secp256k1_ecmult, the
 * variable-time wNAF multiplication meant for public tweaks (eckey_impl.h), whose running time
 * follows the scalar's length and digits (measured here: a 2-bit scalar in 40 % of the time of a
 * random one). The mint multiplies by its private keys (k·Y, k·B_) and by the NUT-12 nonce
 * (r·B_, with s = r + e·a published): nonce lengths leaking through timing are enough to recover
 * the key with a lattice (the Minerva attack on ECDSA). ecdh runs secp256k1_ecmult_const.
 *
 * We load `secp256k1/bindings` and never `secp256k1`: the package's main entry silently falls back
 * to the JavaScript `elliptic` implementation, which is not constant-time and must never hold the
 * mint's keys. If the binding does not load, this throws and the selector (index.ts) falls back to
 * the next library with a log line.
 */
import { createRequire } from 'node:module';
import type { Curve } from './types';

interface Native {
  publicKeyVerify(p: Uint8Array): boolean;
  publicKeyConvert(p: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCreate(k: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(ps: Uint8Array[], compressed?: boolean): Uint8Array;
  publicKeyNegate(p: Uint8Array, compressed?: boolean): Uint8Array;
  ecdh(
    p: Uint8Array,
    k: Uint8Array,
    opts: { hashfn: (x: Uint8Array, y: Uint8Array) => Uint8Array; xbuf: Uint8Array; ybuf: Uint8Array },
    output: Uint8Array,
  ): Uint8Array;
  privateKeyTweakAdd(k: Uint8Array, t: Uint8Array): Uint8Array;
  privateKeyTweakMul(k: Uint8Array, t: Uint8Array): Uint8Array;
}

const N_BYTES = Uint8Array.from(Buffer.from('fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141', 'hex'));

/** e mod n for a 32-byte e (a hash): subtract n once if e >= n (2^256 < 2n). */
function reduce(e: Uint8Array): Uint8Array {
  if (Buffer.compare(e, N_BYTES) < 0) return e;
  const out = new Uint8Array(32);
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    const d = e[i] - N_BYTES[i] - borrow;
    out[i] = d & 0xff;
    borrow = d < 0 ? 1 : 0;
  }
  return out;
}

/** Loads the native binding; throws when it cannot (the caller falls back, with a log line). */
export function loadNativeCurve(): Curve {
  const s = createRequire(import.meta.url)('secp256k1/bindings') as Native;
  // Scratch for ecdh's callback (calls are synchronous: one at a time per thread). The callback
  // returns the point's SEC1 encoding, which the binding copies into the caller's output.
  const xbuf = new Uint8Array(32);
  const ybuf = new Uint8Array(32);
  const enc33 = new Uint8Array(33);
  const enc65 = new Uint8Array(65);
  enc65[0] = 4;
  const asCompressed = {
    xbuf,
    ybuf,
    hashfn(x: Uint8Array, y: Uint8Array): Uint8Array {
      enc33[0] = 2 | (y[31] & 1); // SEC1 2.3.3: prefix by the parity of y
      enc33.set(x, 1);
      return enc33;
    },
  };
  const asUncompressed = {
    xbuf,
    ybuf,
    hashfn(x: Uint8Array, y: Uint8Array): Uint8Array {
      enc65.set(x, 1);
      enc65.set(y, 33);
      return enc65;
    },
  };
  return {
    name: 'libsecp256k1',
    isCompressedPoint: (p) => p.length === 33 && (p[0] === 2 || p[0] === 3) && s.publicKeyVerify(p),
    uncompressed: (p) => s.publicKeyConvert(p, false),
    mulG: (k, compressed = true) => s.publicKeyCreate(k, compressed),
    // k·P in constant time (secp256k1_ecmult_const, see above).
    mul: (p, k, compressed = true) => s.ecdh(p, k, compressed ? asCompressed : asUncompressed, new Uint8Array(compressed ? 33 : 65)),
    add(p, q) {
      try {
        return s.publicKeyCombine([p, q], true);
      } catch {
        return null; // libsecp256k1 refuses a sum at infinity
      }
    },
    negate: (p) => s.publicKeyNegate(p, true),
    scalarMulAdd(r, e, a) {
      const er = reduce(e);
      if (er.every((b) => b === 0)) return Uint8Array.from(r);
      try {
        // Both tweak functions work in place on their first argument: give them copies.
        const ea = s.privateKeyTweakMul(Uint8Array.from(a), er);
        return s.privateKeyTweakAdd(Uint8Array.from(r), ea);
      } catch {
        return null; // r + e·a = 0 mod n
      }
    },
  };
}
