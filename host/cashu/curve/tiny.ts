/**
 * The curve seam on tiny-secp256k1 2: libsecp256k1 compiled to WebAssembly (no compiler needed to
 * install). Multiplication is libsecp256k1's secp256k1_ec_pubkey_tweak_mul, which runs the
 * variable-time secp256k1_ecmult (its time follows the scalar): so the mint never selects this
 * library (index.ts, MINT_CURVES); it serves the cross-checks and the bench. It has no scalar
 * multiplication, so the NUT-12 response s = r + e·a is computed with BigInt (as on noble).
 */
import { createRequire } from 'node:module';
import type { Curve } from './types';

interface Tiny {
  isPoint(p: Uint8Array): boolean;
  pointCompress(p: Uint8Array, compressed?: boolean): Uint8Array;
  pointFromScalar(d: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointMultiply(p: Uint8Array, tweak: Uint8Array, compressed?: boolean): Uint8Array | null;
  pointAdd(a: Uint8Array, b: Uint8Array, compressed?: boolean): Uint8Array | null;
}

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function toBig(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

function must(p: Uint8Array | null, what: string): Uint8Array {
  if (!p) throw new Error('tiny-secp256k1: ' + what + ' failed');
  return p;
}

/** Loads the WebAssembly module; throws when it cannot (the caller falls back, with a log line). */
export function loadTinyCurve(): Curve {
  const t = createRequire(import.meta.url)('tiny-secp256k1') as Tiny;
  return {
    name: 'tiny-secp256k1',
    isCompressedPoint: (p) => p.length === 33 && (p[0] === 2 || p[0] === 3) && t.isPoint(p),
    uncompressed: (p) => t.pointCompress(p, false),
    mulG: (k, compressed = true) => must(t.pointFromScalar(k, compressed), 'k·G'),
    mul: (p, k, compressed = true) => must(t.pointMultiply(p, k, compressed), 'k·P'),
    add: (p, q) => t.pointAdd(p, q, true),
    negate(p) {
      const n = Uint8Array.from(p);
      n[0] ^= 1; // 02 <-> 03: same x, the other y (SEC1 2.3.3)
      return n;
    },
    scalarMulAdd(r, e, a) {
      const s = (toBig(r) + (toBig(e) % N) * toBig(a)) % N;
      return s === 0n ? null : Uint8Array.from(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'));
    },
  };
}
