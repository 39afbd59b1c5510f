/**
 * Builds the PDA firmware (TypeScript) into one ES5 script that Espruino 2v29 can run.
 *
 * Pipeline (each step checked):
 *  1. esbuild bundle, platform neutral, target es2017, tree shaking. Any import of a Node
 *     builtin fails the build; the Espruino modules (net, Storage, Wifi, ESP32) stay as plain
 *     `require("...")` calls for the interpreter to resolve.
 *  2. TypeScript `transpileModule` to ES5: lowers classes, arrow functions, let/const, template
 *     literals and for..of over arrays (no downlevelIteration: for..of is an index loop, so it
 *     works only on arrays and strings, which is all Espruino code may iterate).
 *  3. esbuild transform with minify, target es5 (the input is already ES5).
 *  4. checkEspruinoSource on the result, then the size budget; the file is written atomically.
 *
 * Why the output format is "cjs wrapped in our own IIFE" rather than esbuild's iife: for an
 * external `require("Storage")` the iife format emits a `__require` shim that reaches for
 * Proxy; the cjs format keeps a plain `require("Storage")`, which is what Espruino resolves.
 */
import { build, transform, type Plugin } from 'esbuild';
import ts from 'typescript';
import { builtinModules } from 'node:module';
import { promises as fsp, statSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { HoodError } from '../common/errors';
import { checkEspruinoSource } from './espruino-check';
import { hoistFunctionDeclarations } from './hoist-functions';
import { ESPRUINO_MODULES } from '../../boards/espruino-common/espruino-builtins';

/** Repository root (this file is host/build/firmware.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bundle entry: a board module that imports the firmware (layers run shared <- firmware <- boards). */
export const DEFAULT_ENTRY = path.join(REPO_ROOT, 'boards', 'espruino-common', 'boot.ts');
export const DEFAULT_OUT_FILE = path.join(REPO_ROOT, 'firmware', 'dist', 'hood.js');

/**
 * Minified size budget. An ESP32 Espruino build has ~16383 JsVars of ~14 bytes (DESIGN.md);
 * code runs from flash (Storage), but 160 KiB keeps it well inside the ESP32 Storage area
 * and leaves parsing cost bounded.
 */
export const FIRMWARE_SIZE_BUDGET = 160 * 1024;

/** Directories whose .ts files feed the firmware; a newer file there makes the bundle stale. */
export const FIRMWARE_SOURCE_DIRS = ['firmware/src', 'shared/src', 'boards', 'host/build'].map((d) =>
  path.join(REPO_ROOT, d),
);

export interface BuildFirmwareOptions {
  /** Entry module (default boards/espruino-common/boot.ts). */
  entry?: string;
  /** Output file (default firmware/dist/hood.js). */
  outFile?: string;
  /** Minify the result (default true). */
  minify?: boolean;
  /** Size budget in bytes (default FIRMWARE_SIZE_BUDGET; applied to minified builds, or whenever given). */
  budget?: number;
  /** Run checkEspruinoSource on the output and fail on problems (default true). */
  check?: boolean;
}

/**
 * Convention for runtime shims: a module that installs a missing builtin on Espruino exports
 * `ESPRUINO_SHIMS = ['Uint8Array.from', ...]` (e.g. shared/src/crypto/espruino-shims.ts). When
 * such a module is part of the bundle, the checker tolerates exactly those names.
 */
const SHIM_LIST_RE = /export\s+const\s+ESPRUINO_SHIMS\s*(?::[^=]+)?=\s*\[([^\]]*)\]/;

export function shimsDeclaredIn(source: string): string[] {
  const m = SHIM_LIST_RE.exec(source);
  if (!m) return [];
  const out: string[] = [];
  const re = /['"]([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)?)['"]/g;
  let s: RegExpExecArray | null;
  while ((s = re.exec(m[1])) !== null) out.push(s[1]);
  return out;
}

export interface BuildFirmwareResult {
  outFile: string;
  /** Size of the written bundle in bytes. */
  bytes: number;
  /** Size after gzip (what a transfer would cost), for reporting. */
  gzipBytes: number;
  /** Wall time of the build in milliseconds. */
  ms: number;
  /** Builtins the checker tolerated because a shim module in the bundle declares them. */
  shimmed: string[];
}

export class FirmwareBuildError extends HoodError<'build_failed'> {
  constructor(message: string) {
    super('build_failed', message);
    this.name = 'FirmwareBuildError';
  }
}

const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith('_')));

/** Refuse Node builtins; keep Espruino's own modules external. */
function espruinoResolvePlugin(): Plugin {
  return {
    name: 'hood-espruino-resolve',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === 'entry-point') return undefined;
        const spec = args.path;
        if (ESPRUINO_MODULES.indexOf(spec) >= 0) return { path: spec, external: true };
        const bare = spec.startsWith('node:') ? spec.slice(5) : spec;
        if (spec.startsWith('node:') || NODE_BUILTINS.has(bare) || NODE_BUILTINS.has(bare.split('/')[0])) {
          const from = args.importer ? path.relative(REPO_ROOT, args.importer) : '?';
          return {
            errors: [{
              text: 'Node builtin "' + spec + '" imported by ' + from +
                ': firmware runs on Espruino, which has no Node modules (allowed require: ' +
                ESPRUINO_MODULES.join(', ') + ')',
            }],
          };
        }
        return undefined;
      });
    },
  };
}

/**
 * TypeScript's ES5 class lowering calls `Error.call(this, msg)`, which (in V8 and in Espruino's
 * jswrap_error.c alike) returns a fresh Error, so `new DecodeError() instanceof DecodeError`
 * would be false. For every class extending a builtin error we insert
 * `Object.setPrototypeOf(this, new.target.prototype)` after `super(...)` (Espruino has
 * Object.setPrototypeOf; TypeScript lowers new.target). Subclasses of such a class are fixed
 * by the same line, since new.target is the most derived class.
 */
const ERROR_BASES = new Set(['Error', 'TypeError', 'SyntaxError', 'ReferenceError', 'RangeError', 'InternalError']);

function errorSubclassFix(context: ts.TransformationContext): ts.Transformer<ts.SourceFile> {
  const f = context.factory;
  const fixStatement = () =>
    f.createExpressionStatement(
      f.createCallExpression(
        f.createPropertyAccessExpression(f.createIdentifier('Object'), 'setPrototypeOf'),
        undefined,
        [f.createThis(), f.createPropertyAccessExpression(f.createMetaProperty(ts.SyntaxKind.NewKeyword, f.createIdentifier('target')), 'prototype')],
      ),
    );
  const extendsError = (node: ts.ClassLikeDeclaration): boolean => {
    const h = node.heritageClauses?.find((c) => c.token === ts.SyntaxKind.ExtendsKeyword);
    const e = h?.types[0]?.expression;
    return !!e && ts.isIdentifier(e) && ERROR_BASES.has(e.text);
  };
  const isSuperCall = (s: ts.Statement) =>
    ts.isExpressionStatement(s) && ts.isCallExpression(s.expression) && s.expression.expression.kind === ts.SyntaxKind.SuperKeyword;
  const fixMembers = (members: ts.NodeArray<ts.ClassElement>): ts.ClassElement[] => {
    const out: ts.ClassElement[] = [];
    let hasCtor = false;
    for (const m of members) {
      if (ts.isConstructorDeclaration(m) && m.body) {
        hasCtor = true;
        const stmts: ts.Statement[] = [];
        for (const s of m.body.statements) {
          stmts.push(s);
          if (isSuperCall(s)) stmts.push(fixStatement());
        }
        out.push(f.updateConstructorDeclaration(m, m.modifiers, m.parameters, f.updateBlock(m.body, stmts)));
      } else out.push(m);
    }
    if (!hasCtor) {
      const args = f.createIdentifier('args');
      out.unshift(
        f.createConstructorDeclaration(
          undefined,
          [f.createParameterDeclaration(undefined, f.createToken(ts.SyntaxKind.DotDotDotToken), args)],
          f.createBlock([
            f.createExpressionStatement(f.createCallExpression(f.createSuper(), undefined, [f.createSpreadElement(args)])),
            fixStatement(),
          ], true),
        ),
      );
    }
    return out;
  };
  const visit = (node: ts.Node): ts.Node => {
    node = ts.visitEachChild(node, visit, context);
    if (ts.isClassDeclaration(node) && extendsError(node)) {
      return f.updateClassDeclaration(node, node.modifiers, node.name, node.typeParameters, node.heritageClauses, fixMembers(node.members));
    }
    if (ts.isClassExpression(node) && extendsError(node)) {
      return f.updateClassExpression(node, node.modifiers, node.name, node.typeParameters, node.heritageClauses, fixMembers(node.members));
    }
    return node;
  };
  return (sf) => ts.visitNode(sf, visit) as ts.SourceFile;
}

/** Step 2: ES2017 JS -> ES5 JS with TypeScript 5.9. */
export function lowerToEs5(js: string, fileName = 'hood.js'): string {
  const out = ts.transpileModule(js, {
    fileName,
    reportDiagnostics: true,
    compilerOptions: {
      allowJs: true,
      target: ts.ScriptTarget.ES5,
      module: ts.ModuleKind.CommonJS,
      downlevelIteration: false,
      importHelpers: false,
      noEmitHelpers: false,
      removeComments: true,
      sourceMap: false,
      alwaysStrict: false,
    },
    transformers: { before: [errorSubclassFix] },
  });
  const errors = (out.diagnostics ?? []).filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    throw new FirmwareBuildError(
      'TypeScript ES5 lowering failed:\n' + errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('\n'),
    );
  }
  return out.outputText;
}

function formatEsbuildError(e: unknown): string {
  const err = e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[]; message?: string };
  if (err.errors && err.errors.length > 0) {
    return err.errors
      .map((m) => (m.location ? m.location.file + ':' + m.location.line + ':' + (m.location.column + 1) + ': ' : '') + m.text)
      .join('\n');
  }
  return String(err.message ?? e);
}

async function writeAtomic(file: string, data: string): Promise<void> {
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = file + '.' + process.pid + '.' + Math.random().toString(36).slice(2) + '.tmp';
  try {
    await fsp.writeFile(tmp, data);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** Build the firmware bundle. Throws FirmwareBuildError with a readable message on any failure. */
export async function buildFirmware(opts: BuildFirmwareOptions = {}): Promise<BuildFirmwareResult> {
  const t0 = performance.now();
  const entry = path.resolve(opts.entry ?? DEFAULT_ENTRY);
  const outFile = path.resolve(opts.outFile ?? DEFAULT_OUT_FILE);
  const minify = opts.minify ?? true;
  const check = opts.check ?? true;
  if (!existsSync(entry)) throw new FirmwareBuildError('firmware entry not found: ' + entry);

  // 1. bundle
  let bundled: string;
  const shimmed: string[] = [];
  try {
    const r = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'neutral',
      target: 'es2017',
      treeShaking: true,
      mainFields: ['module', 'main'],
      charset: 'ascii',
      legalComments: 'none',
      logLevel: 'silent',
      absWorkingDir: REPO_ROOT,
      plugins: [espruinoResolvePlugin()],
      metafile: true,
    });
    bundled = r.outputFiles[0].text;
    for (const input of Object.keys(r.metafile.inputs)) {
      if (!/\.(ts|js|mjs)$/.test(input) || input.includes('node_modules')) continue;
      const text = await fsp.readFile(path.resolve(REPO_ROOT, input), 'utf8').catch(() => '');
      for (const name of shimsDeclaredIn(text)) if (shimmed.indexOf(name) < 0) shimmed.push(name);
    }
  } catch (e) {
    throw new FirmwareBuildError('firmware bundle failed:\n' + formatEsbuildError(e));
  }
  // 2. ES5 lowering
  const es5 = lowerToEs5(bundled, path.basename(outFile));
  // Our own function scope instead of esbuild's iife, around the TypeScript helpers too, so
  // nothing but what the firmware sets on `global` lands in Espruino's global scope.
  // `module`/`exports` exist only if the entry exports something (and stay local).
  const needsModule = /\bmodule\.exports\b/.test(bundled);
  const wrapped = '(function () {\n' + (needsModule ? 'var module = { exports: {} }, exports = module.exports;\n' : '') +
    es5 + '\n})();\n';

  // 3. final pass (esbuild accepts ES5 input and emits nothing newer than es5)
  let code: string;
  try {
    const t = await transform(wrapped, {
      loader: 'js',
      target: 'es5',
      minify,
      charset: 'ascii',
      legalComments: 'none',
      logLevel: 'silent',
    });
    // Espruino does not hoist function declarations (see hoist-functions.ts).
    code = hoistFunctionDeclarations(t.code);
  } catch (e) {
    throw new FirmwareBuildError('es5 minify pass failed:\n' + formatEsbuildError(e));
  }

  // 4. guard and budget
  if (check) {
    const problems = checkEspruinoSource(code, { allow: shimmed });
    if (problems.length > 0) {
      throw new FirmwareBuildError(
        'firmware bundle would not run on Espruino (' + problems.length + ' problem' + (problems.length > 1 ? 's' : '') +
          ', positions in the ' + (minify ? 'minified' : 'unminified') + ' output; build with minify:false to read them):\n' +
          problems.slice(0, 50).join('\n'),
      );
    }
  }
  const bytes = Buffer.byteLength(code);
  const budget = opts.budget ?? (minify ? FIRMWARE_SIZE_BUDGET : Infinity);
  if (bytes > budget) {
    throw new FirmwareBuildError(
      'firmware bundle is ' + bytes + ' bytes, over the size budget of ' + budget + ' bytes (' +
        (bytes / 1024).toFixed(1) + ' KiB > ' + (budget / 1024).toFixed(1) + ' KiB); nothing written',
    );
  }
  await writeAtomic(outFile, code);
  return { outFile, bytes, gzipBytes: gzipSync(code).length, ms: Math.round(performance.now() - t0), shimmed };
}

/** Newest mtime (ms) of any .ts file under dir, or 0. Bounded depth; skips node_modules and dist. */
function newestTs(dir: string, depth = 0): number {
  if (depth > 12) return 0;
  let newest = 0;
  let entries: import('node:fs').Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
      newest = Math.max(newest, newestTs(p, depth + 1));
    } else if (e.isFile() && e.name.endsWith('.ts')) {
      try {
        newest = Math.max(newest, statSync(p).mtimeMs);
      } catch {
        // deleted while walking
      }
    }
  }
  return newest;
}

/**
 * True if the bundle is missing, or any .ts under firmware/src, shared/src, boards/ (or the
 * build pipeline itself, host/build) — or the given entry — is newer than it.
 */
export function firmwareIsStale(outFile: string = DEFAULT_OUT_FILE, entry?: string): boolean {
  let built: number;
  try {
    built = statSync(outFile).mtimeMs;
  } catch {
    return true;
  }
  let newest = 0;
  for (const d of FIRMWARE_SOURCE_DIRS) newest = Math.max(newest, newestTs(d));
  if (entry) {
    try {
      newest = Math.max(newest, statSync(entry).mtimeMs);
    } catch {
      return true;
    }
  }
  return newest > built;
}

/** Rebuild only when stale. `rebuilt` tells which happened; `result` is set when it did. */
export async function ensureFirmware(
  opts: BuildFirmwareOptions = {},
): Promise<{ outFile: string; rebuilt: boolean; result?: BuildFirmwareResult }> {
  const outFile = path.resolve(opts.outFile ?? DEFAULT_OUT_FILE);
  const entry = path.resolve(opts.entry ?? DEFAULT_ENTRY);
  if (!firmwareIsStale(outFile, entry)) return { outFile, rebuilt: false };
  const result = await buildFirmware({ ...opts, outFile, entry });
  return { outFile, rebuilt: true, result };
}
