import { describe, expect, it } from 'vitest';
import { checkEspruinoSource } from '../../host/build/espruino-check';

/** One snippet per forbidden construct, with a fragment the problem must name. */
const FORBIDDEN: [string, string, RegExp][] = [
  ['Map', 'var m = new Map();', /1:13 Map: no Map/],
  ['Set', 'var s = new Set([1]);', /Set: no Set/],
  ['WeakMap', 'var w = new WeakMap();', /WeakMap/],
  ['WeakSet', 'var w = new WeakSet();', /WeakSet/],
  ['BigInt', 'var b = BigInt(1);', /1:9 BigInt: no BigInt/],
  ['Symbol', 'var s = Symbol("x");', /Symbol: no Symbol/],
  ['Proxy', 'var p = new Proxy({}, {});', /Proxy/],
  ['Reflect', 'Reflect.ownKeys({});', /Reflect/],
  ['TextEncoder', 'new TextEncoder().encode("a");', /TextEncoder.*utf8Encode/],
  ['TextDecoder', 'new TextDecoder().decode(x);', /TextDecoder/],
  ['Buffer', 'var b = Buffer.alloc(4);', /Buffer: no Buffer/],
  ['global crypto', 'crypto.getRandomValues(new Uint8Array(4));', /crypto: no global crypto/],
  ['crypto via global', 'var r = global.crypto;', /global\.crypto/],
  ['RangeError', 'throw new RangeError("x");', /RangeError: no RangeError/],
  ['labelled loop', 'outer: for (var i = 0; i < 2; i++) { for (;;) { break outer; } }', /1:1 labelled statement "outer"/],
  ['Math.imul', 'var x = Math.imul(1, 2);', /Math\.imul is absent/],
  ['Math.clz32', 'var x = Math.clz32(1);', /Math\.clz32 is absent/],
  ['Array.from', 'var a = Array.from(x);', /1:9 Array\.from is absent/],
  ['Array.of', 'var a = Array.of(1, 2);', /Array\.of is absent/],
  ['Uint8Array.from', 'var a = Uint8Array.from([1]);', /Uint8Array\.from is absent/],
  ['Uint8Array.of', 'var a = Uint8Array.of(1);', /Uint8Array\.of is absent/],
  ['computed Array["from"]', 'var a = Array["from"](x);', /Array\.from is absent/],
  ['Number.isInteger', 'Number.isInteger(1);', /Number\.isInteger is absent/],
  ['Number.isSafeInteger', 'Number.isSafeInteger(1);', /Number\.isSafeInteger is absent/],
  ['Number.MAX_SAFE_INTEGER', 'var m = Number.MAX_SAFE_INTEGER;', /Number\.MAX_SAFE_INTEGER is absent/],
  ['Object.freeze', 'Object.freeze({});', /Object\.freeze is absent/],
  ['Promise.race', 'Promise.race([]);', /Promise\.race is absent/],
  ['object spread helper', 'var s = Object.getOwnPropertySymbols(o);', /object spread/],
  ['require of a node module', 'var fs = require("fs");', /require\("fs"\): not an Espruino module/],
  ['dynamic require', 'var m = require(name);', /non-literal module name/],
  ['async function (parse error under ES5)', 'async function f() { await 1; }', /^1:\d+ parse error \(not ES5\)/],
  ['generator', 'function* g() { yield 1; }', /parse error/],
  ['destructuring', 'var { a } = o;', /^1:5 parse error/],
  ['object spread syntax', 'var o = { ...p };', /parse error/],
  ['let', 'let x = 1;', /parse error/],
  ['arrow function', 'var f = () => 1;', /parse error/],
  ['class', 'class A {}', /parse error/],
  ['template literal', 'var s = `a${b}`;', /parse error/],
];

describe('checkEspruinoSource', () => {
  for (const [what, code, expected] of FORBIDDEN) {
    it('flags ' + what, () => {
      const problems = checkEspruinoSource(code);
      expect(problems.length).toBeGreaterThan(0);
      expect(problems.join('\n')).toMatch(expected);
    });
  }

  it('reports every problem with its line:col, in source order', () => {
    const problems = checkEspruinoSource('var a = 1;\nvar m = new Map();\n  var x = Math.imul(a, 2);\n');
    expect(problems).toEqual([
      expect.stringMatching(/^2:13 Map/),
      expect.stringMatching(/^3:11 Math\.imul/),
    ]);
  });

  it('does not flag .from/.of/.freeze on a local object, nor property names', () => {
    const code = [
      'var obj = { from: function (x) { return x; }, of: 1, Map: 2, imul: 3 };',
      'obj.from(1); obj.of; obj.Map; obj.imul;',
      'var Codec = { freeze: function () {} }; Codec.freeze();',
      'var p = { BigInt: 1 }; p.BigInt;',
    ].join('\n');
    expect(checkEspruinoSource(code)).toEqual([]);
  });

  it('does not flag names that are declared locally (shadowing a global)', () => {
    const code = [
      'function f(Map, crypto) { return new Map(crypto); }',
      'function g() { var Set = function () {}; return new Set(); }',
      'function h() { return Array.from(1); function Array() {} }',
      'var Symbol = function (d) { return d; }; Symbol("ok");',
      'try { x(); } catch (Buffer) { Buffer.toString(); }',
      '(function Proxy() { return Proxy; })();',
    ].join('\n');
    expect(checkEspruinoSource(code)).toEqual([]);
  });

  it('still flags a global used outside the function that shadows it', () => {
    const problems = checkEspruinoSource('function f(Map) { return Map; }\nvar m = new Map();');
    expect(problems).toEqual([expect.stringMatching(/^2:13 Map/)]);
  });

  it('allows typeof feature detection of absent globals', () => {
    expect(checkEspruinoSource('var hasMap = typeof Map !== "undefined"; var t = typeof Array.from;')).toEqual([]);
  });

  it('allows the Espruino modules and present builtins', () => {
    const code = [
      'var net = require("net"), st = require("Storage"), w = require("Wifi"), e = require("ESP32");',
      'var u = new Uint8Array(4); u.fill(0); u.subarray(1); u.slice(0, 2); u.indexOf(0);',
      'var d = new DataView(u.buffer); d.getUint32(0);',
      'Promise.all([Promise.resolve(1)]).then(function () {});',
      'JSON.stringify(Object.keys({})); Object.entries({}); Object.values({}); Object.setPrototypeOf({}, null);',
      'Array.isArray([]); String.fromCharCode(65); Math.floor(1.5); Array.prototype.slice.call(u);',
      'btoa(atob("aGk=")); E.hwRand(); getTime(); setTimeout(function () {}, 1);',
      'throw new TypeError("x");',
    ].join('\n');
    expect(checkEspruinoSource(code)).toEqual([]);
  });

  it('reports a parse error with its position', () => {
    expect(checkEspruinoSource('var a = 1;\nvar b = ;')).toEqual([expect.stringMatching(/^2:9 parse error \(not ES5\): Unexpected token/)]);
  });
});

describe('regular expressions Espruino 2v29 cannot run', () => {
  it('flags counted repetition and the ? quantifier, not the same characters inside classes or escaped', async () => {
    const { checkEspruinoSource, unsupportedRegex } = await import('../../host/build/espruino-check');
    expect(unsupportedRegex('^[0-9a-f]{64}$')).toMatch(/counted repetition/);
    expect(unsupportedRegex('\\r?\\n')).toMatch(/\?/);
    expect(unsupportedRegex('^(a|b){2,}$')).toMatch(/counted repetition/);
    expect(unsupportedRegex('^[a-z0-9][a-z0-9-]*$')).toBeNull();
    expect(unsupportedRegex('[?{}]+\\?\\{2\\}')).toBeNull();
    expect(checkEspruinoSource('var ok = /^[a-z]+$/.test("x"); var bad = /^a{2}$/.test("aa");')).toEqual([
      expect.stringMatching(/^1:\d+ regular expression \/\^a\{2\}\$\/ uses counted repetition/),
    ]);
  });
});
