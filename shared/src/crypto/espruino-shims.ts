/**
 * The few built-ins that @noble/ciphers 2.x (chacha.js, _arx.js, _poly1305.js, utils.js) calls
 * and Espruino lacks. Each is defined only if missing, so on Node this file does nothing.
 *
 *  - Uint8Array.from(src, mapFn?): _arx.js builds the sigma constants with it at module load,
 *    and utils.copyBytes() uses it on every chacha20 / poly1305 call.
 *  - Uint32Array.of(): _arx.js creates an empty U32 array at module load.
 *  - Number.isSafeInteger: utils.anumber() checks counters, rounds and lengths with it
 *    (at module load, when chacha20 is created, and on every call).
 *  - Uint32Array.from, ArrayBuffer.isView: referenced only on paths we never take (big-endian
 *    hosts; byte arrays that are not Uint8Array instances), shimmed so those paths stay sound.
 *  - RangeError: noble throws it for bad lengths/types. Our wrapper validates first, so these
 *    paths are unreachable in practice, but without the global they would be a ReferenceError.
 *    Defined as Error (Espruino has Error, TypeError, SyntaxError, ReferenceError, InternalError).
 *
 * Must be imported before any noble module (chacha20poly1305.ts imports it first).
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
const U8: any = Uint8Array;
const U32: any = Uint32Array;
const Num: any = Number;

if (!U8.from) {
  U8.from = function (src: ArrayLike<number>, mapFn?: (v: any, i: number) => number): Uint8Array {
    const n = src.length;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = mapFn ? mapFn(src[i], i) : src[i];
    return out;
  };
}

if (!U32.of) {
  U32.of = function (): Uint32Array {
    const n = arguments.length;
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = arguments[i];
    return out;
  };
}

if (!Num.isSafeInteger) {
  Num.isSafeInteger = function (v: unknown): boolean {
    return typeof v === 'number' && isFinite(v) && Math.floor(v) === v && Math.abs(v) <= 9007199254740991;
  };
}

if (!U32.from) {
  U32.from = function (src: ArrayLike<number>): Uint32Array {
    const n = src.length;
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = src[i];
    return out;
  };
}

const AB: any = ArrayBuffer;
if (!AB.isView) {
  AB.isView = function (v: any): boolean {
    return v !== null && typeof v === 'object' && v.buffer instanceof ArrayBuffer && typeof v.byteLength === 'number';
  };
}

// Through a local alias: the global object is reached once, by name, and only if it exists.
const G: any = typeof globalThis !== 'undefined' ? globalThis : undefined;
if (G && typeof RangeError === 'undefined') G.RangeError = Error;

export const ESPRUINO_SHIMS = [
  'Uint8Array.from',
  'Uint32Array.of',
  'Uint32Array.from',
  'Number.isSafeInteger',
  'ArrayBuffer.isView',
  'RangeError',
];
