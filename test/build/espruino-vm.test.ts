import { describe, expect, it } from 'vitest';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../../boards/emu/espruino-vm';

function withContext<T>(fn: (run: (code: string) => unknown, lines: string[]) => T, random?: (n: number) => Uint8Array): T {
  const lines: string[] = [];
  const ctx = createEspruinoContext({ random: random ?? ((n) => new Uint8Array(n)), print: (s) => lines.push(s) });
  try {
    return fn((code) => runBundle(ctx, code, 'test.js', { timeoutMs: 1000 }), lines);
  } finally {
    disposeEspruinoContext(ctx);
  }
}

const ABSENT = [
  "typeof Map === 'undefined'", "typeof Set === 'undefined'", "typeof WeakMap === 'undefined'",
  "typeof WeakSet === 'undefined'", "typeof WeakRef === 'undefined'", "typeof FinalizationRegistry === 'undefined'",
  "typeof BigInt === 'undefined'", "typeof Symbol === 'undefined'", "typeof Proxy === 'undefined'",
  "typeof Reflect === 'undefined'", "typeof Intl === 'undefined'", "typeof SharedArrayBuffer === 'undefined'",
  "typeof Atomics === 'undefined'", "typeof WebAssembly === 'undefined'", "typeof TextEncoder === 'undefined'",
  "typeof TextDecoder === 'undefined'", "typeof crypto === 'undefined'", "typeof Buffer === 'undefined'",
  "typeof RangeError === 'undefined'", "typeof URIError === 'undefined'",
  'Math.imul === undefined', 'Math.clz32 === undefined', 'Math.trunc === undefined',
  'Array.from === undefined', 'Array.of === undefined',
  'Uint8Array.from === undefined', 'Uint8Array.of === undefined', 'Float64Array.from === undefined',
  'Object.getPrototypeOf(Uint8Array).from === undefined',
  'Number.isInteger === undefined', 'Number.isSafeInteger === undefined',
  'Number.MAX_SAFE_INTEGER === undefined', 'Number.MIN_SAFE_INTEGER === undefined', 'Number.isNaN === undefined',
  'Object.freeze === undefined', "''.normalize === undefined", "''.codePointAt === undefined",
  'Promise.prototype.finally === undefined', 'Promise.race === undefined', '[].lastIndexOf === undefined',
  'new Uint8Array(1).lastIndexOf === undefined',
];

describe('createEspruinoContext', () => {
  for (const expr of ABSENT) {
    it('removes what Espruino 2v29 lacks: ' + expr, () => {
      withContext((run) => expect(run(expr)).toBe(true));
    });
  }

  it('using a removed global fails as on the PDA', () => {
    withContext((run) => {
      expect(() => run('new Map()')).toThrow(/Map is not defined/);
      expect(() => run('Array.from([1])')).toThrow(/not a function/);
    });
  });

  it('keeps what Espruino has, working', async () => {
    const ctx = createEspruinoContext({ random: (n) => new Uint8Array(n), print: () => {} });
    const run = (code: string) => runBundle(ctx, code);
    try {
      const r = run(
        '(function () {' +
          ' var u = new Uint8Array(6); u.fill(9, 2); var s = u.subarray(1, 4); var c = u.slice(2); var t = new Uint8Array(2); t.set([5, 6]);' +
          ' var dv = new DataView(new ArrayBuffer(4)); dv.setUint32(0, 0xdeadbeef); ' +
          ' return JSON.stringify({ fill: Array.prototype.slice.call(u), sub: s.length, slice: c.length, set: t[1], idx: u.indexOf(9),' +
          '  dv: dv.getUint32(0), dv8: dv.getUint8(0), entries: Object.entries({ a: 1 }), values: Object.values({ b: 2 }),' +
          '  pad: "7".padStart(3, "0"), incl: [1, 2].includes(2) && "abc".includes("b"), json: JSON.parse("[1]")[0],' +
          '  b64: btoa("\\u00ff\\u0000a"), raw: atob("/wBh").length, te: new TypeError("x") instanceof Error,' +
          '  proto: typeof Object.setPrototypeOf, p: typeof Promise.all });' +
          '})()',
      );
      expect(JSON.parse(r as string)).toEqual({
        fill: [0, 0, 9, 9, 9, 9], sub: 3, slice: 4, set: 6, idx: 2, dv: 0xdeadbeef, dv8: 0xde,
        entries: [['a', 1]], values: [2], pad: '007', incl: true, json: 1, b64: '/wBh', raw: 3, te: true,
        proto: 'function', p: 'function',
      });
      // Promise resolution works across the context boundary
      const v = await (run('Promise.all([Promise.resolve(1), new Promise(function (res) { setTimeout(function () { res(2); }, 1); })])') as Promise<number[]>);
      expect(v).toEqual([1, 2]);
    } finally {
      disposeEspruinoContext(ctx);
    }
  });

  it('Number without the safe-integer statics still behaves as Number', () => {
    withContext((run) => {
      expect(run('[Number("12"), Number(), typeof Number(1), (5).constructor === Number, new Number(3) instanceof Number, new Number(3) + 1,' +
        ' Number.MAX_VALUE > 1e300, isNaN(Number.NaN), Number.POSITIVE_INFINITY === Infinity, (255).toString(16), (1.25).toFixed(1),' +
        ' Number.EPSILON === undefined]')).toEqual([12, 0, 'number', true, true, 4, true, true, true, 'ff', '1.3', true]);
    });
  });

  it('E.hwRand returns signed 32-bit ints built from 4 random bytes (int32 as in Espruino)', () => {
    const queue = [[0x12, 0x34, 0x56, 0x78], [0xff, 0xff, 0xff, 0xfe]];
    withContext(
      (run) => {
        expect(run('E.hwRand()')).toBe(0x12345678);
        expect(run('E.hwRand()')).toBe(-2);
      },
      (n) => {
        expect(n).toBe(4);
        return new Uint8Array(queue.shift()!);
      },
    );
    withContext(
      (run) => {
        const xs = run('var a = []; for (var i = 0; i < 50; i++) a.push(E.hwRand()); a') as number[];
        for (const x of xs) expect(x === (x | 0)).toBe(true);
        expect(new Set(xs).size).toBeGreaterThan(45);
      },
      (n) => new Uint8Array(n).map(() => Math.floor(Math.random() * 256)),
    );
  });

  it('E.hwRand refuses a short random source', () => {
    withContext((run) => expect(() => run('E.hwRand()')).toThrow(/too few bytes/), () => new Uint8Array(2));
  });

  it('provides global, print, console.log, process.env, getTime, E.getSizeOf', () => {
    withContext((run, lines) => {
      expect(run('global === this && globalThis === this')).toBe(true);
      run('print("a", 1); console.log("b", [1, 2]);');
      expect(lines).toEqual(['a 1', 'b [ 1, 2 ]']);
      expect(run('process.env.BOARD + " " + process.env.VERSION')).toBe('EMU 2v29');
      const t = run('getTime()') as number;
      expect(Math.abs(t - Date.now() / 1000)).toBeLessThan(5);
      expect(Number.isInteger(t)).toBe(false);
      const small = run('E.getSizeOf({ a: 1 })') as number;
      const big = run('E.getSizeOf({ a: 1, b: [1, 2, 3, 4], c: "a longer string value here" })') as number;
      expect(small).toBeGreaterThan(0);
      expect(big).toBeGreaterThan(small);
    });
  });

  it('timers return numbers, fire, clear, and an exception in a callback is printed like Espruino', async () => {
    const lines: string[] = [];
    const ctx = createEspruinoContext({ random: (n) => new Uint8Array(n), print: (s) => lines.push(s) });
    try {
      const ids = runBundle(ctx, [
        'var n = 0;',
        'var a = setTimeout(function (x) { print("timeout " + x); }, 5, "arg");',
        'var b = setTimeout(function () { print("cleared"); }, 5); clearTimeout(b);',
        'var c = setInterval(function () { n++; if (n === 3) { clearInterval(c); print("interval done"); } }, 2);',
        'setTimeout(function () { throw new Error("boom"); }, 1);',
        '[typeof a, typeof b, typeof c, a !== b]',
      ].join('\n'));
      expect(ids).toEqual(['number', 'number', 'number', true]);
      for (let i = 0; i < 100 && lines.length < 3; i++) await new Promise((r) => setTimeout(r, 5));
      expect(lines).toContain('timeout arg');
      expect(lines).toContain('interval done');
      expect(lines).not.toContain('cleared');
      expect(lines.some((l) => l.startsWith('Uncaught Error: boom'))).toBe(true);
      expect(() => runBundle(ctx, 'setTimeout("print(1)", 1)')).toThrow(/expected a function/);
      expect(runBundle(ctx, 'try { setTimeout(1, 1) } catch (e) { e instanceof TypeError }')).toBe(true);
    } finally {
      disposeEspruinoContext(ctx);
    }
  });

  it('disposeEspruinoContext cancels pending timers', async () => {
    const lines: string[] = [];
    const ctx = createEspruinoContext({ random: (n) => new Uint8Array(n), print: (s) => lines.push(s) });
    runBundle(ctx, 'setTimeout(function () { print("late"); }, 20); setInterval(function () { print("tick"); }, 5);');
    disposeEspruinoContext(ctx);
    await new Promise((r) => setTimeout(r, 40));
    expect(lines).toEqual([]);
  });

  it('btoa rejects characters above 0xff', () => {
    withContext((run) => expect(() => run('btoa("\\u0100")')).toThrow(/out of range/));
  });

  it('runBundle bounds the synchronous part of a run', () => {
    withContext(() => {
      const ctx = createEspruinoContext({ random: (n) => new Uint8Array(n), print: () => {} });
      expect(() => runBundle(ctx, 'for (;;) {}', 'loop.js', { timeoutMs: 50 })).toThrow(/timed out/);
    });
  });

  it('contexts are independent', () => {
    const a = createEspruinoContext({ random: (n) => new Uint8Array(n), print: () => {} });
    const b = createEspruinoContext({ random: (n) => new Uint8Array(n), print: () => {} });
    runBundle(a, 'global.x = 1; Array.prototype.mine = 1;');
    expect(runBundle(b, 'typeof x + " " + typeof [].mine')).toBe('undefined undefined');
    expect(typeof (Array.prototype as unknown as Record<string, unknown>).mine).toBe('undefined');
    expect(typeof Array.from).toBe('function'); // the host's own builtins are untouched
  });
});
