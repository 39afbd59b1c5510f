/**
 * What the Espruino 2v29 interpreter provides, as data shared by the build's static checker
 * (host/build/espruino-check.ts) and the Node emulation (boards/emu/espruino-vm.ts).
 *
 * Source: the `/*JSON{...}` wrapper definitions in espruino/Espruino at tag RELEASE_2V29
 * (src/jswrap_object.c, jswrap_array.c, jswrap_string.c, jswrap_number.c, jswrap_math.c,
 * jswrap_promise.c, jswrap_date.c, jswrap_regexp.c, jswrap_error.c, jswrap_arraybuffer.c,
 * jswrap_dataview.c, jswrap_json.c, jswrap_interactive.c, ...), keeping entries without an
 * "ifdef" (ESP32 builds do not define SAVE_ON_FLASH, so "ifndef SAVE_ON_FLASH" entries are
 * present). Extracted once by hand; update it when moving to a newer Espruino.
 *
 * Notable consequences (2v29): no RangeError/URIError/EvalError, no Promise.prototype.finally,
 * no Number.isNaN/isFinite/EPSILON, no Math.trunc/log2/hypot, no String.prototype.codePointAt/
 * trimStart/normalize, no Array.prototype.lastIndexOf/flat/at, no typed-array lastIndexOf/at.
 */

export const ESPRUINO_VERSION = '2v29';

/** Modules `require()` may load on the PDA (built into the ESP32 firmware). */
export const ESPRUINO_MODULES: readonly string[] = ['net', 'Storage', 'Wifi', 'ESP32'];

/** Static members of the standard classes (Espruino extras such as Math.clip included). */
export const ESPRUINO_STATICS: Readonly<Record<string, readonly string[]>> = {
  Object: ['assign', 'create', 'defineProperties', 'defineProperty', 'entries', 'fromEntries',
    'getOwnPropertyDescriptor', 'getOwnPropertyDescriptors', 'getOwnPropertyNames', 'getPrototypeOf',
    'keys', 'setPrototypeOf', 'values'],
  Array: ['isArray'],
  String: ['fromCharCode'],
  Number: ['MAX_VALUE', 'MIN_VALUE', 'NEGATIVE_INFINITY', 'NaN', 'POSITIVE_INFINITY'],
  Math: ['E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI', 'SQRT1_2', 'SQRT2', 'abs', 'acos', 'asin', 'atan',
    'atan2', 'ceil', 'clip', 'cos', 'exp', 'floor', 'log', 'max', 'min', 'pow', 'randInt', 'random',
    'round', 'sign', 'sin', 'sqrt', 'tan', 'wrap'],
  JSON: ['parse', 'stringify'],
  Promise: ['all', 'reject', 'resolve'],
  Date: ['now', 'parse'],
  Function: [],
  Boolean: [],
  RegExp: [],
  Error: [],
  ArrayBuffer: [],
  DataView: [],
  Uint8Array: [], Int8Array: [], Uint8ClampedArray: [], Uint16Array: [], Int16Array: [],
  Uint32Array: [], Int32Array: [], Float32Array: [], Float64Array: [],
};

/**
 * Prototype methods. `ArrayBufferView` is Espruino's name for what V8 calls %TypedArray%.
 * `toString`/`valueOf`/`constructor` are always kept (Espruino implements them on Object, with
 * a radix for numbers).
 */
export const ESPRUINO_PROTO_METHODS: Readonly<Record<string, readonly string[]>> = {
  Object: ['hasOwnProperty', 'toString', 'valueOf'],
  Array: ['concat', 'every', 'fill', 'filter', 'find', 'findIndex', 'forEach', 'includes', 'indexOf', 'join',
    'map', 'pop', 'push', 'reduce', 'reverse', 'shift', 'slice', 'some', 'sort', 'splice', 'toString', 'unshift'],
  String: ['charAt', 'charCodeAt', 'concat', 'endsWith', 'includes', 'indexOf', 'lastIndexOf', 'match',
    'padEnd', 'padStart', 'repeat', 'replace', 'replaceAll', 'slice', 'split', 'startsWith', 'substr',
    'substring', 'toLowerCase', 'toUpperCase', 'trim'],
  Number: ['toFixed'],
  Boolean: [],
  Promise: ['catch', 'then'],
  Function: ['apply', 'bind', 'call'],
  Date: ['getDate', 'getDay', 'getFullYear', 'getHours', 'getMilliseconds', 'getMinutes', 'getMonth',
    'getSeconds', 'getTime', 'getTimezoneOffset', 'setDate', 'setFullYear', 'setHours', 'setMilliseconds',
    'setMinutes', 'setMonth', 'setSeconds', 'setTime', 'toISOString', 'toJSON', 'toString', 'toUTCString', 'valueOf'],
  RegExp: ['exec', 'test'],
  Error: ['toString'],
  ArrayBuffer: [],
  ArrayBufferView: ['every', 'fill', 'filter', 'find', 'findIndex', 'forEach', 'includes', 'indexOf', 'join',
    'map', 'reduce', 'reverse', 'set', 'slice', 'some', 'sort', 'subarray'],
  DataView: ['getFloat32', 'getFloat64', 'getInt16', 'getInt32', 'getInt8', 'getUint16', 'getUint32', 'getUint8',
    'setFloat32', 'setFloat64', 'setInt16', 'setInt32', 'setInt8', 'setUint16', 'setUint32', 'setUint8'],
};

/** Global names of the ECMAScript standard library that Espruino 2v29 has. */
export const ESPRUINO_STD_GLOBALS: readonly string[] = [
  'Array', 'ArrayBuffer', 'Boolean', 'DataView', 'Date', 'Error', 'Float32Array', 'Float64Array', 'Function',
  'Infinity', 'Int16Array', 'Int32Array', 'Int8Array', 'JSON', 'Math', 'NaN', 'Number', 'Object', 'Promise',
  'ReferenceError', 'RegExp', 'String', 'SyntaxError', 'TypeError', 'Uint16Array', 'Uint32Array', 'Uint8Array',
  'Uint8ClampedArray', 'decodeURIComponent', 'encodeURIComponent', 'eval', 'globalThis', 'isFinite', 'isNaN',
  'parseFloat', 'parseInt', 'undefined',
];

/** Why a global is missing, shown by the checker. Keys are identifiers a bundle must not use. */
export const ABSENT_GLOBALS: Readonly<Record<string, string>> = {
  BigInt: 'no BigInt on Espruino (use 32-bit limbs)',
  BigInt64Array: 'no BigInt on Espruino',
  BigUint64Array: 'no BigInt on Espruino',
  Map: 'no Map on Espruino (use a plain object keyed by string)',
  Set: 'no Set on Espruino (use a plain object keyed by string)',
  WeakMap: 'no WeakMap on Espruino',
  WeakSet: 'no WeakSet on Espruino',
  WeakRef: 'no WeakRef on Espruino',
  FinalizationRegistry: 'no FinalizationRegistry on Espruino',
  Symbol: 'no Symbol on Espruino (async functions, generators and iterators compile to code that needs it)',
  Iterator: 'no Iterator on Espruino (async functions and generators compile to code that needs it)',
  Proxy: 'no Proxy on Espruino',
  Reflect: 'no Reflect on Espruino',
  Intl: 'no Intl on Espruino',
  SharedArrayBuffer: 'no SharedArrayBuffer on Espruino',
  Atomics: 'no Atomics on Espruino',
  WebAssembly: 'no WebAssembly on Espruino',
  AggregateError: 'no AggregateError on Espruino',
  RangeError: 'no RangeError on Espruino 2v29 (only Error, TypeError, SyntaxError, ReferenceError, InternalError)',
  URIError: 'no URIError on Espruino 2v29',
  EvalError: 'no EvalError on Espruino 2v29',
  encodeURI: 'no encodeURI on Espruino (encodeURIComponent exists)',
  decodeURI: 'no decodeURI on Espruino (decodeURIComponent exists)',
  escape: 'no escape() on Espruino',
  unescape: 'no unescape() on Espruino',
  TextEncoder: 'no TextEncoder on Espruino (use utf8Encode from shared/src/bytes.ts)',
  TextDecoder: 'no TextDecoder on Espruino (use utf8Decode from shared/src/bytes.ts)',
  Buffer: 'no Buffer on Espruino (use Uint8Array)',
  crypto: 'no global crypto on Espruino (use the board random source)',
  structuredClone: 'no structuredClone on Espruino',
  queueMicrotask: 'no queueMicrotask on Espruino',
  setImmediate: 'no setImmediate on Espruino (use setTimeout)',
  clearImmediate: 'no clearImmediate on Espruino',
  fetch: 'no fetch on Espruino',
  performance: 'no performance on Espruino (use getTime())',
  URL: 'no URL on Espruino',
  URLSearchParams: 'no URLSearchParams on Espruino',
  AbortController: 'no AbortController on Espruino',
  window: 'no window on Espruino (use global)',
  self: 'no self on Espruino (use global)',
  document: 'no document on Espruino',
  navigator: 'no navigator on Espruino',
  __dirname: 'no __dirname on Espruino',
  __filename: 'no __filename on Espruino',
  module: 'no CommonJS module object in a bundle on Espruino',
  exports: 'no CommonJS exports object in a bundle on Espruino',
};

/** Hints for absent statics that esbuild/TypeScript helpers emit for forbidden syntax. */
export const STATIC_HINTS: Readonly<Record<string, string>> = {
  'Object.getOwnPropertySymbols': 'emitted for object spread/rest ({...x}); copy fields by hand',
  'Object.freeze': 'Espruino has no Object.freeze; drop it (document immutability instead)',
  'Math.imul': 'use ((a * (b >>> 16) << 16) + a * (b & 0xffff)) | 0 or 16-bit halves',
  'Math.clz32': 'count leading zeros with a loop or a lookup',
  'Array.from': 'copy with a for loop, or Array.prototype.slice.call',
  'Number.isInteger': "use typeof x === 'number' && Math.floor(x) === x",
  'Number.MAX_SAFE_INTEGER': 'use the literal 9007199254740991',
};
