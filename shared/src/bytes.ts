/**
 * Byte helpers for code that runs on both sides (Espruino and Node): no TextEncoder, no
 * Array.from, no BigInt. Every read is bounds-checked and throws DecodeError, never returns
 * garbage past the end.
 */

export class DecodeError extends Error {
  /** Short machine-readable reason, used as a counter key for rejections. */
  reason: string;
  constructor(reason: string, detail?: string) {
    super(detail ? reason + ': ' + detail : reason);
    this.reason = reason;
    this.name = 'DecodeError';
  }
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (let i = 0; i < parts.length; i++) n += parts[i].length;
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 0; i < parts.length; i++) {
    out.set(parts[i], o);
    o += parts[i].length;
  }
  return out;
}

/**
 * A copy of b[start, end) as a new Uint8Array. Use this, never `typedArray.slice()`: on Espruino 2v29
 * slice() on a typed array returns a plain Array.
 */
export function copyBytes(b: Uint8Array, start?: number, end?: number): Uint8Array {
  const s = start || 0;
  const e = end === undefined ? b.length : end;
  const out = new Uint8Array(e > s ? e - s : 0);
  out.set(b.subarray(s, e));
  return out;
}

/** Constant-time equality: time depends only on the lengths, never on where bytes differ. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i] ^ b[i];
  return d === 0;
}

/** Overwrite in place (erasure, not just dropping the reference). */
export function wipe(b: Uint8Array | null | undefined): void {
  if (b) b.fill(0);
}

export function isAllZero(b: Uint8Array): boolean {
  let d = 0;
  for (let i = 0; i < b.length; i++) d |= b[i];
  return d === 0;
}

const HEX = '0123456789abcdef';

export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i] >> 4] + HEX[b[i] & 15];
  return s;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) throw new DecodeError('bad_hex', 'odd length');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexDigit(s.charCodeAt(2 * i));
    const lo = hexDigit(s.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) throw new DecodeError('bad_hex', 'not a hex digit');
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** UTF-8 encode (Espruino has no TextEncoder). */
export function utf8Encode(s: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return new Uint8Array(out);
}

/** Strict UTF-8 decode: rejects overlong forms, surrogates and truncated sequences. */
export function utf8Decode(b: Uint8Array): string {
  let s = '';
  let i = 0;
  while (i < b.length) {
    const c = b[i++];
    let cp: number;
    let need: number;
    let min: number;
    if (c < 0x80) {
      s += String.fromCharCode(c);
      continue;
    } else if ((c & 0xe0) === 0xc0) {
      cp = c & 0x1f; need = 1; min = 0x80;
    } else if ((c & 0xf0) === 0xe0) {
      cp = c & 0x0f; need = 2; min = 0x800;
    } else if ((c & 0xf8) === 0xf0) {
      cp = c & 0x07; need = 3; min = 0x10000;
    } else throw new DecodeError('bad_utf8');
    if (i + need > b.length) throw new DecodeError('bad_utf8', 'truncated');
    for (let k = 0; k < need; k++) {
      const d = b[i++];
      if ((d & 0xc0) !== 0x80) throw new DecodeError('bad_utf8');
      cp = (cp << 6) | (d & 63);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) throw new DecodeError('bad_utf8');
    if (cp >= 0x10000) {
      cp -= 0x10000;
      s += String.fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else s += String.fromCharCode(cp);
  }
  return s;
}

/** Bounds-checked big-endian reader over a byte array. */
export class Reader {
  private b: Uint8Array;
  private o: number;
  constructor(b: Uint8Array, offset?: number) {
    this.b = b;
    this.o = offset || 0;
  }
  get offset(): number {
    return this.o;
  }
  remaining(): number {
    return this.b.length - this.o;
  }
  private need(n: number): void {
    if (n < 0 || this.o + n > this.b.length) throw new DecodeError('truncated', 'need ' + n + ' at ' + this.o);
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++];
  }
  u16(): number {
    this.need(2);
    const v = (this.b[this.o] << 8) | this.b[this.o + 1];
    this.o += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = ((this.b[this.o] << 24) >>> 0) + ((this.b[this.o + 1] << 16) | (this.b[this.o + 2] << 8) | this.b[this.o + 3]);
    this.o += 4;
    return v;
  }
  /** A copy of the next n bytes (copies, so wiping the input does not alias the result). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = copyBytes(this.b, this.o, this.o + n);
    this.o += n;
    return v;
  }
  /** Length-prefixed (u8) bytes with an upper bound. */
  vbytes8(max: number): Uint8Array {
    const n = this.u8();
    if (n > max) throw new DecodeError('too_long', n + ' > ' + max);
    return this.bytes(n);
  }
  /** Length-prefixed (u16) bytes with an upper bound. */
  vbytes16(max: number): Uint8Array {
    const n = this.u16();
    if (n > max) throw new DecodeError('too_long', n + ' > ' + max);
    return this.bytes(n);
  }
  /** Require that everything was consumed, or that the rest is zero padding. */
  end(allowZeroPadding?: boolean): void {
    if (this.o === this.b.length) return;
    if (!allowZeroPadding) throw new DecodeError('trailing_bytes', String(this.b.length - this.o));
    for (let i = this.o; i < this.b.length; i++) if (this.b[i] !== 0) throw new DecodeError('trailing_bytes', 'non-zero padding');
  }
}

/** Growable big-endian writer. */
export class Writer {
  private parts: number[] = [];
  u8(v: number): this {
    if (v < 0 || v > 0xff || v !== (v | 0)) throw new Error('u8 out of range');
    this.parts.push(v);
    return this;
  }
  u16(v: number): this {
    if (v < 0 || v > 0xffff || v !== (v | 0)) throw new Error('u16 out of range');
    this.parts.push(v >> 8, v & 255);
    return this;
  }
  u32(v: number): this {
    if (v < 0 || v > 0xffffffff || Math.floor(v) !== v) throw new Error('u32 out of range');
    this.parts.push((v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    return this;
  }
  bytes(b: Uint8Array): this {
    for (let i = 0; i < b.length; i++) this.parts.push(b[i]);
    return this;
  }
  vbytes8(b: Uint8Array): this {
    return this.u8(b.length).bytes(b);
  }
  vbytes16(b: Uint8Array): this {
    return this.u16(b.length).bytes(b);
  }
  get length(): number {
    return this.parts.length;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.parts);
    for (let i = 0; i < this.parts.length; i++) this.parts[i] = 0;
    this.parts = [];
    return out;
  }
}
