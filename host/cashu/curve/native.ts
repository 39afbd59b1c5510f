/**
 * The curve seam on libsecp256k1 itself, through the `secp256k1` npm module's N-API binding (a
 * prebuilt binary for linux-x64/glibc, darwin-arm64 and win32-x64; built with node-gyp elsewhere).
 * This is the library the Cashu mints in production sit on. Every operation used here is
 * constant-time in secret scalars in libsecp256k1: publicKeyCreate (ecmult_gen), publicKeyTweakMul
 * (ecmult_const), privateKeyTweakAdd/Mul (scalar arithmetic).
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
  publicKeyTweakMul(p: Uint8Array, k: Uint8Array, compressed?: boolean): Uint8Array;
  publicKeyCombine(ps: Uint8Array[], compressed?: boolean): Uint8Array;
  publicKeyNegate(p: Uint8Array, compressed?: boolean): Uint8Array;
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
  return {
    name: 'libsecp256k1',
    isCompressedPoint: (p) => p.length === 33 && (p[0] === 2 || p[0] === 3) && s.publicKeyVerify(p),
    uncompressed: (p) => s.publicKeyConvert(p, false),
    mulG: (k, compressed = true) => s.publicKeyCreate(k, compressed),
    mul: (p, k, compressed = true) => s.publicKeyTweakMul(p, k, compressed),
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
