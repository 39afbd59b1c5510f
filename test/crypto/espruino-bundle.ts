/**
 * Test helper: bundle shared/src/crypto the way the firmware build must, and check the result
 * for syntax Espruino cannot parse.
 *
 * Why the TypeScript pass: @noble/ciphers 2.x ships ES2022 (destructuring `const { h, r } = this`,
 * rest/spread `clean(...arrays)`, class fields, `2 ** 32`). esbuild cannot lower destructuring
 * or rest/spread ("not supported yet"), and Espruino's lexer has no `...` token and no
 * destructuring. So noble's files are first transpiled to ES5 by TypeScript (which can), then
 * bundled by esbuild. The firmware build should use the same plugin (nobleToEs5Plugin).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import ts from 'typescript';
import * as acorn from 'acorn';

export const nobleToEs5Plugin: esbuild.Plugin = {
  name: 'noble-to-es5',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]@noble[\\/].*\.js$/ }, (args) => {
      const src = readFileSync(args.path, 'utf8');
      const out = ts.transpileModule(src, {
        fileName: args.path,
        compilerOptions: { target: ts.ScriptTarget.ES5, module: ts.ModuleKind.ESNext, removeComments: false },
      });
      return { contents: out.outputText, loader: 'js' };
    });
  },
};

/** Repository root (this file is test/crypto/espruino-bundle.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * esbuild settings for a PDA-style bundle of `entrySource` (ES module text resolved from the
 * repository root): iife, minified, tree-shaken; what esbuild can lower, it must.
 */
export function espruinoBuildOptions(entrySource: string, lowerNoble: boolean): esbuild.BuildOptions {
  return {
    stdin: { contents: entrySource, resolveDir: REPO_ROOT, sourcefile: 'entry.ts', loader: 'ts' },
    bundle: true,
    format: 'iife',
    minify: true,
    treeShaking: true,
    write: false,
    logLevel: 'silent',
    target: 'es2015',
    supported: {
      'object-rest-spread': false,
      'class-field': false,
      'class-static-field': false,
      'class-private-field': false,
      'exponent-operator': false,
      'optional-chain': false,
      'nullish-coalescing': false,
      'async-await': false,
      generator: false,
      'template-literal': true,
    },
    plugins: lowerNoble ? [nobleToEs5Plugin] : [],
  };
}

export async function bundleForEspruino(entrySource: string, lowerNoble = true): Promise<string> {
  const r = await esbuild.build(espruinoBuildOptions(entrySource, lowerNoble));
  return r.outputFiles![0].text;
}

/**
 * Syntax Espruino 2v29 cannot run (its lexer has no `...`, `**`, `?.`; its parser has no
 * destructuring, labels, generators, default parameters in `function` heads, class fields).
 * Parsing with ecmaVersion 2015 already rejects everything newer than ES2015.
 */
export function espruinoSyntaxViolations(code: string): string[] {
  const ast = acorn.parse(code, { ecmaVersion: 2015, sourceType: 'script' });
  const found: string[] = [];
  const bad: Record<string, string> = {
    ObjectPattern: 'destructuring',
    ArrayPattern: 'destructuring',
    RestElement: 'rest parameter',
    SpreadElement: 'spread',
    LabeledStatement: 'label',
    AssignmentPattern: 'default parameter',
    TaggedTemplateExpression: 'tagged template',
    YieldExpression: 'generator',
    MetaProperty: 'new.target',
  };
  const seen = new Set<string>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    const n = node as { type?: string; generator?: boolean; start?: number };
    if (typeof n.type === 'string') {
      const why = bad[n.type] || (n.generator ? 'generator' : '');
      if (why && !seen.has(why)) {
        seen.add(why);
        found.push(why + ' at ' + n.start + ': ' + code.slice(n.start, (n.start || 0) + 60));
      }
    }
    for (const k of Object.keys(node)) if (k !== 'loc') walk((node as Record<string, unknown>)[k]);
  };
  walk(ast);
  // TypeScript's ES5 helpers that do not run on Espruino 2v29 (measured on the real
  // interpreter): __spreadArray declares `var f` inside a loop that may not run and reads it
  // afterwards (Espruino does not hoist var), and calls Array.prototype.slice (not reachable
  // through the prototype on Espruino).
  for (const helper of ['__spreadArray', 'Array.prototype.slice']) {
    const at = code.indexOf(helper);
    if (at >= 0) found.push('TypeScript helper ' + helper + ' at ' + at + ' (breaks on Espruino)');
  }
  return found;
}

/** Globals and statics Espruino does not have; the vm sandbox deletes them all. */
export const MISSING_ON_ESPRUINO = [
  'BigInt', 'Map', 'Set', 'WeakMap', 'Symbol', 'TextEncoder', 'TextDecoder',
  'Math.imul', 'Math.clz32', 'Array.from', 'Array.of', 'Uint8Array.from', 'Uint8Array.of',
  'Uint32Array.from', 'Number.isInteger', 'Number.isSafeInteger', 'Object.freeze',
  // also absent on Espruino 2v29, and referenced by noble's error paths
  'RangeError', 'ArrayBuffer.isView',
];

/** Source run first inside the vm context: removes what Espruino lacks. */
export const DELETE_GLOBALS_SRC = `
(function () {
  var g = globalThis;
  delete g.BigInt; delete g.Map; delete g.Set; delete g.WeakMap; delete g.Symbol;
  delete g.TextEncoder; delete g.TextDecoder;
  delete Math.imul; delete Math.clz32;
  delete Array.from; delete Array.of;
  // Uint8Array.from/of and Uint32Array.from are inherited from %TypedArray%: delete there.
  var TA = Object.getPrototypeOf(Uint8Array);
  delete TA.from; delete TA.of;
  delete Number.isInteger; delete Number.isSafeInteger;
  delete Object.freeze;
  delete g.RangeError; delete ArrayBuffer.isView;
  // Espruino 2v29 quirk (measured): a typed array's slice() returns a plain Array.
  Object.getPrototypeOf(Uint8Array.prototype).slice = function (a, b) { return Array.prototype.slice.call(this, a, b); };
})();
`;
