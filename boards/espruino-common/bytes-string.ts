/**
 * Espruino's `net` sockets and `Storage` deal in binary strings (one char = one byte); the firmware
 * deals in Uint8Array. E.toString / E.toUint8Array are native and fast; the loops are the fallback
 * for when E.toString cannot allocate a flat string (it then returns undefined).
 */
import type { EspruinoE } from './espruino-api';

export function bytesToBinary(e: EspruinoE | null, b: Uint8Array): string {
  if (e && e.toString) {
    const s = e.toString(b);
    if (typeof s === 'string' && s.length === b.length) return s;
  }
  let out = '';
  for (let i = 0; i < b.length; i += 256) {
    const part: number[] = [];
    const end = Math.min(b.length, i + 256);
    for (let j = i; j < end; j++) part.push(b[j]);
    out += String.fromCharCode.apply(null, part);
  }
  return out;
}

export function binaryToBytes(e: EspruinoE | null, s: string): Uint8Array {
  if (e && e.toUint8Array) {
    const b = e.toUint8Array(s);
    if (b && b.length === s.length) return b;
  }
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}
