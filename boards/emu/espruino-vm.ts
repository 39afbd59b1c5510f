/**
 * A Node `vm` context cut down to the builtins of Espruino 2v29, so the built firmware bundle
 * can be run on the host and fail where it would fail on the PDA (a missing Map, Array.from,
 * RangeError, Promise.prototype.finally, ... is a ReferenceError/TypeError here too).
 *
 * What stays is read from boards/espruino-common/espruino-builtins.ts (extracted from Espruino's own
 * wrapper definitions at RELEASE_2V29): every standard global, static member and prototype
 * method V8 has beyond that list is deleted from the context's own builtins. Espruino-specific
 * globals the firmware may use are provided: global, print, console.log, timers returning
 * numbers, E.hwRand, E.getSizeOf, process.env, getTime, btoa/atob.
 *
 * Syntax cannot be removed from V8 (async functions, Map literals of classes, ...): that is
 * what checkEspruinoSource (host/build/espruino-check.ts) guards statically; run both.
 */
import vm from 'node:vm';
import { inspect } from 'node:util';
import {
  ESPRUINO_PROTO_METHODS,
  ESPRUINO_STATICS,
  ESPRUINO_STD_GLOBALS,
  ESPRUINO_VERSION,
} from '../espruino-common/espruino-builtins';

export interface EspruinoContextOptions {
  /** Hardware random source (E.hwRand draws 4 bytes per call). */
  random: (n: number) => Uint8Array;
  /** One line of console output (print / console.log); default: process.stdout. */
  print?: (s: string) => void;
  /**
   * An exception escaping a timer callback. Espruino prints "Uncaught ..." and keeps running;
   * the default does the same through `print`.
   */
  onUncaught?: (err: unknown) => void;
}

/** Members kept on every prototype whatever the tables say (Espruino has them on Object). */
const KEEP_PROTO = new Set(['constructor', 'toString', 'valueOf']);
/** Static members every function has. */
const KEEP_STATIC = new Set(['prototype', 'length', 'name', 'caller', 'arguments']);
/** Globals we add on top of the standard ones. */
const PROVIDED_GLOBALS = ['global', 'print', 'console', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval',
  'E', 'process', 'getTime', 'btoa', 'atob'];
const TYPED_ARRAYS = ['Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array', 'Uint32Array',
  'Int32Array', 'Float32Array', 'Float64Array'];

interface TimerTable {
  next: number;
  live: Map<number, NodeJS.Timeout>;
}
const timerTables = new WeakMap<vm.Context, TimerTable>();

type Obj = Record<string, unknown>;

/** Delete own string-keyed members of `target` that are not in `keep` (methods only, if `methodsOnly`). */
function prune(target: Obj | undefined, keep: readonly string[], always: Set<string>, methodsOnly: boolean): void {
  if (!target) return;
  for (const key of Object.getOwnPropertyNames(target)) {
    if (always.has(key) || keep.indexOf(key) >= 0) continue;
    const d = Object.getOwnPropertyDescriptor(target, key);
    if (!d || !d.configurable) continue;
    if (methodsOnly && typeof d.value !== 'function') continue;
    delete target[key];
  }
}

function toLatin1Checked(s: string, fn: string, InnerError: ErrorConstructor): Buffer {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0xff) throw new InnerError(fn + ': character out of range at ' + i);
  }
  return Buffer.from(s, 'latin1');
}

/** Rough JsVar count of a value (Espruino: ~14 bytes per var, 16383 vars on ESP32). */
function sizeOf(v: unknown, seen: Set<unknown>, depth: number): number {
  if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return 1;
  if (typeof v === 'string') return 1 + Math.ceil(Math.max(0, v.length - 4) / 12);
  if (typeof v === 'function') return 2;
  if (typeof v !== 'object') return 1;
  if (seen.has(v) || depth > 64) return 0;
  seen.add(v);
  if (ArrayBuffer.isView(v)) return 2 + Math.ceil(v.byteLength / 12);
  let n = 1;
  for (const k of Object.keys(v as object)) n += 1 + sizeOf((v as Obj)[k], seen, depth + 1);
  return n;
}

/** Create a fresh context with Espruino 2v29's globals. */
export function createEspruinoContext(opts: EspruinoContextOptions): vm.Context {
  const ctx = vm.createContext({}, { name: 'espruino-' + ESPRUINO_VERSION, codeGeneration: { strings: true, wasm: false } });
  const g = vm.runInContext('globalThis', ctx) as Obj;
  const out = opts.print ?? ((s: string) => process.stdout.write(s + '\n'));

  // 1. Standard globals Espruino lacks (Map, Set, Symbol, BigInt, Proxy, Reflect, RangeError, ...).
  for (const key of Object.getOwnPropertyNames(g)) {
    if (ESPRUINO_STD_GLOBALS.indexOf(key) >= 0) continue;
    const d = Object.getOwnPropertyDescriptor(g, key);
    if (d && d.configurable) delete g[key];
  }

  // 2. Static members and prototype methods beyond Espruino's.
  for (const name of Object.keys(ESPRUINO_STATICS)) {
    const ctor = g[name] as Obj | undefined;
    // Error.stackTraceLimit is V8's switch for capturing `.stack` (Espruino errors have a stack too).
    prune(ctor, name === 'Error' ? ['stackTraceLimit'] : ESPRUINO_STATICS[name], KEEP_STATIC, false);
  }
  for (const name of Object.keys(ESPRUINO_PROTO_METHODS)) {
    if (name === 'ArrayBufferView') continue;
    const ctor = g[name] as { prototype?: Obj } | undefined;
    prune(ctor?.prototype, ESPRUINO_PROTO_METHODS[name], KEEP_PROTO, true);
  }
  // %TypedArray% (Espruino's ArrayBufferView): from/of and methods live on the shared parent.
  const u8 = g.Uint8Array as unknown as { prototype: object };
  const typedArray = Object.getPrototypeOf(u8) as Obj & { prototype: Obj };
  prune(typedArray, [], KEEP_STATIC, false);
  prune(typedArray.prototype, ESPRUINO_PROTO_METHODS.ArrayBufferView, KEEP_PROTO, true);
  for (const name of TYPED_ARRAYS) prune((g[name] as { prototype: Obj }).prototype, [], KEEP_PROTO, true);
  // Object.prototype legacy accessors (__defineGetter__ ...) are methods too: pruned above.

  // Espruino 2v29 quirk, measured on the real interpreter: slice() on a typed array returns a plain
  // Array, not a typed array. Reproduce it so code that relies on slice() fails here as on the device
  // (shared/src/bytes.ts copyBytes() is the portable copy).
  vm.runInContext(
    '(function (P) { var s = P.slice; Object.defineProperty(P, "slice", { value: function () { return Array.prototype.slice.call(s.apply(this, arguments)); }, writable: true, configurable: true }); })',
    ctx,
  )(typedArray.prototype);

  // Number.EPSILON/MAX_SAFE_INTEGER/MIN_SAFE_INTEGER are non-configurable in V8 and cannot be
  // deleted; Espruino lacks them, so `Number` is replaced by an equivalent constructor that
  // carries only Espruino's statics (same prototype; `new Number(x)` still yields a real wrapper).
  vm.runInContext(
    '(function (N, keep) {' +
      ' var W = function Number(v) { var x = arguments.length ? v : 0; return this instanceof W ? new N(x) : N(x); };' +
      ' W.prototype = N.prototype;' +
      ' Object.defineProperty(N.prototype, "constructor", { value: W, writable: true, configurable: true, enumerable: false });' +
      ' for (var i = 0; i < keep.length; i++) Object.defineProperty(W, keep[i], { value: N[keep[i]] });' +
      ' Object.defineProperty(globalThis, "Number", { value: W, writable: true, configurable: true, enumerable: false });' +
      '})',
    ctx,
  )(g.Number, vm.runInContext(JSON.stringify(ESPRUINO_STATICS.Number), ctx));

  // 3. Espruino's own globals. Errors thrown to bundle code come from the context's realm so
  // `instanceof TypeError` works inside it.
  const InnerError = g.Error as unknown as ErrorConstructor;
  const InnerTypeError = g.TypeError as unknown as TypeErrorConstructor;
  const table: TimerTable = { next: 1, live: new Map() };
  timerTables.set(ctx, table);
  const uncaught = opts.onUncaught ?? ((e: unknown) => out('Uncaught ' + (e instanceof Object && 'stack' in e ? String((e as Error).stack) : String(e))));
  const startTimer = (repeat: boolean, fn: unknown, ms: unknown, args: unknown[]): number => {
    if (typeof fn !== 'function') throw new InnerTypeError((repeat ? 'setInterval' : 'setTimeout') + ': expected a function');
    const delay = typeof ms === 'number' && ms > 0 ? ms : 0;
    const id = table.next++;
    const run = () => {
      if (!repeat) table.live.delete(id);
      try {
        (fn as (...a: unknown[]) => void).apply(undefined, args);
      } catch (e) {
        uncaught(e);
      }
    };
    table.live.set(id, repeat ? setInterval(run, delay) : setTimeout(run, delay));
    return id;
  };
  // Espruino keeps timeouts and intervals in one list, so either clear function clears either.
  const clear = (id: unknown): void => {
    if (typeof id !== 'number') return;
    const t = table.live.get(id);
    if (t) {
      clearTimeout(t);
      clearInterval(t);
      table.live.delete(id);
    }
  };
  const fmt = (a: unknown) => (typeof a === 'string' ? a : inspect(a, { depth: 4, breakLength: Infinity }));

  const provided: Obj = {
    print: (...a: unknown[]) => out(a.map(fmt).join(' ')),
    setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => startTimer(false, fn, ms, args),
    setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => startTimer(true, fn, ms, args),
    clearTimeout: clear,
    clearInterval: clear,
    getTime: () => (performance.timeOrigin + performance.now()) / 1000,
    btoa: (s: unknown) => toLatin1Checked(String(s), 'btoa', InnerError).toString('base64'),
    atob: (s: unknown) => Buffer.from(String(s), 'base64').toString('latin1'),
  };
  for (const k of Object.keys(provided)) {
    Object.defineProperty(g, k, { value: provided[k], writable: true, configurable: true, enumerable: false });
  }
  // Objects built inside the context so their prototypes are the context's own.
  const build = vm.runInContext(
    '(function (print, hwRand, sizeOf, env) {' +
      ' return {' +
      '  console: { log: function () { print.apply(undefined, arguments); } },' +
      '  E: { hwRand: hwRand, getSizeOf: sizeOf },' +
      '  process: { env: env, version: env.VERSION }' +
      ' };' +
      '})',
    ctx,
  ) as (print: unknown, hwRand: unknown, sizeOf: unknown, env: unknown) => Obj;
  const env = vm.runInContext('({ BOARD: "EMU", VERSION: "' + ESPRUINO_VERSION + '" })', ctx);
  const hwRand = (): number => {
    const b = opts.random(4);
    if (!(b instanceof Uint8Array) || b.length < 4) throw new InnerError('E.hwRand: random source returned too few bytes');
    // Espruino declares hwRand as returning int32 (jswrap_espruino.c), so it can be negative.
    return ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) | 0;
  };
  const objs = build(provided.print, hwRand, (v: unknown) => sizeOf(v, new Set(), 0), env);
  for (const k of Object.keys(objs)) {
    Object.defineProperty(g, k, { value: objs[k], writable: true, configurable: true, enumerable: false });
  }
  Object.defineProperty(g, 'global', { value: g, writable: true, configurable: true, enumerable: false });

  // Sanity: nothing we provide was deleted above, and the list stays in sync with the code.
  for (const k of PROVIDED_GLOBALS) if (!(k in g)) throw new Error('espruino-vm: missing global ' + k);
  return ctx;
}

export interface RunBundleOptions {
  /** Bound on the synchronous part of the run, in ms (default 5000). */
  timeoutMs?: number;
}

/** Run a built bundle (or any script) in the context; returns the script's completion value. */
export function runBundle(ctx: vm.Context, code: string, filename = 'hood.js', opts: RunBundleOptions = {}): unknown {
  const script = new vm.Script(code, { filename });
  return script.runInContext(ctx, { timeout: opts.timeoutMs ?? 5000, displayErrors: true });
}

/** Cancel every timer the context still has pending (end of a test or of an emulated board). */
export function disposeEspruinoContext(ctx: vm.Context): void {
  const table = timerTables.get(ctx);
  if (!table) return;
  for (const t of table.live.values()) {
    clearTimeout(t);
    clearInterval(t);
  }
  table.live.clear();
}
