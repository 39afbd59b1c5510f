/**
 * The curve seam on @noble/curves (pure JavaScript, BigInt). Always available; the slowest of the
 * three (docs/bank.md, "The curve library"). `multiply` is noble's constant-time ladder.
 */
import { secp256k1 } from '@noble/curves/secp256k1.js';
import type { Curve } from './types';

const Point = secp256k1.Point;
const N: bigint = Point.CURVE().n;

function toBig(b: Uint8Array): bigint {
  return BigInt('0x' + Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex'));
}

function toBytes(s: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(s.toString(16).padStart(64, '0'), 'hex'));
}

export const nobleCurve: Curve = {
  name: 'noble',
  isCompressedPoint(p) {
    if (p.length !== 33 || (p[0] !== 2 && p[0] !== 3)) return false;
    try {
      Point.fromBytes(p).assertValidity();
      return true;
    } catch {
      return false;
    }
  },
  uncompressed: (p) => Point.fromBytes(p).toBytes(false),
  mulG: (k, compressed = true) => Point.BASE.multiply(toBig(k)).toBytes(compressed),
  mul: (p, k, compressed = true) => Point.fromBytes(p).multiply(toBig(k)).toBytes(compressed),
  add(p, q) {
    const s = Point.fromBytes(p).add(Point.fromBytes(q));
    return s.is0() ? null : s.toBytes(true);
  },
  negate: (p) => Point.fromBytes(p).negate().toBytes(true),
  scalarMulAdd(r, e, a) {
    const s = (toBig(r) + (toBig(e) % N) * toBig(a)) % N;
    return s === 0n ? null : toBytes(s);
  },
};
