import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'acorn';
import {
  DEFAULT_ENTRY,
  FIRMWARE_SIZE_BUDGET,
  buildFirmware,
  ensureFirmware,
  firmwareIsStale,
  shimsDeclaredIn,
} from '../../host/build/firmware';
import { checkEspruinoSource } from '../../host/build/espruino-check';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../../boards/emu/espruino-vm';
import { testDir } from '../helpers/temp-dir';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const fixture = (name: string) => path.join(FIXTURES, name);
const random = (n: number) => new Uint8Array(n).fill(7);

let dir: string;
beforeAll(() => {
  dir = testDir('hood-build-test-');
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function runInEspruino(code: string, setup?: string): Record<string, unknown> {
  const ctx = createEspruinoContext({ random, print: () => {} });
  try {
    if (setup) runBundle(ctx, setup, 'setup.js');
    runBundle(ctx, code, 'bundle.js', { timeoutMs: 2000 });
    return JSON.parse(runBundle(ctx, 'JSON.stringify(global)') as string);
  } finally {
    disposeEspruinoContext(ctx);
  }
}

describe('buildFirmware on the fixture entry', () => {
  for (const minify of [true, false]) {
    it('builds an ES5 bundle that passes the Espruino check and runs in the Espruino VM (minify ' + minify + ')', async () => {
      const outFile = path.join(dir, 'fixture-' + minify + '.js');
      const r = await buildFirmware({ entry: fixture('entry.ts'), outFile, minify });
      expect(r.outFile).toBe(outFile);
      const code = readFileSync(outFile, 'utf8');
      expect(r.bytes).toBe(Buffer.byteLength(code));
      expect(r.gzipBytes).toBeGreaterThan(0);
      expect(r.gzipBytes).toBeLessThan(r.bytes);
      expect(r.ms).toBeGreaterThanOrEqual(0);
      // ES5 and nothing Espruino lacks
      expect(() => parse(code, { ecmaVersion: 5, sourceType: 'script' })).not.toThrow();
      expect(checkEspruinoSource(code)).toEqual([]);
      // the lowering worked: classes, arrows, template literals, for..of, Error subclasses
      const g = runInEspruino(code);
      expect(g.hoodFixture).toEqual({
        hex: '68c3a900ff',
        u32: 0x04050607,
        text: 'n=13',
        truncatedReason: 'decode:truncated',
        sub: true,
      });
      // only what the firmware publishes lands on the global object
      expect(Object.keys(g)).toEqual(['hoodFixture']);
      // atomic write leaves no temporary files behind
      expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    });
  }

  it('minifies (minified output is smaller than the readable one)', async () => {
    const a = await buildFirmware({ entry: fixture('entry.ts'), outFile: path.join(dir, 'm1.js'), minify: true });
    const b = await buildFirmware({ entry: fixture('entry.ts'), outFile: path.join(dir, 'm2.js'), minify: false });
    expect(a.bytes).toBeLessThan(b.bytes * 0.75);
  });

  it('keeps an Espruino module as a plain require() call', async () => {
    const outFile = path.join(dir, 'espruino-module.js');
    await buildFirmware({ entry: fixture('espruino-module.ts'), outFile });
    const code = readFileSync(outFile, 'utf8');
    expect(code).toMatch(/require\("Storage"\)/);
    expect(code).not.toMatch(/__require|Proxy/);
    expect(checkEspruinoSource(code)).toEqual([]);
    const g = runInEspruino(code, 'global.require = function (m) { return { list: function () { return [m]; } }; };');
    expect(g.storageKeys).toEqual(['Storage']);
  });

  it('keeps module/exports of an exporting entry local to the bundle', async () => {
    const outFile = path.join(dir, 'exports.js');
    await buildFirmware({ entry: fixture('exports-entry.ts'), outFile });
    const code = readFileSync(outFile, 'utf8');
    expect(checkEspruinoSource(code)).toEqual([]);
    const g = runInEspruino(code);
    expect(g).toEqual({ answer: 42 });
  });
});

describe('buildFirmware refuses what cannot run on Espruino', () => {
  it('fails on a direct node: builtin import, naming the module and the importer', async () => {
    const outFile = path.join(dir, 'nb.js');
    await expect(buildFirmware({ entry: fixture('node-builtin.ts'), outFile })).rejects.toThrow(
      /Node builtin "node:fs" imported by test\/build\/fixtures\/node-builtin\.ts/,
    );
    expect(existsSync(outFile)).toBe(false);
  });

  it('fails on a builtin reached through another module, without the node: prefix', async () => {
    await expect(buildFirmware({ entry: fixture('node-builtin-deep.ts'), outFile: path.join(dir, 'nb2.js') })).rejects.toThrow(
      /Node builtin "crypto" imported by test\/build\/fixtures\/uses-crypto\.ts.*Espruino/,
    );
  });

  it('fails over the size budget with the real figures, and writes nothing', async () => {
    const outFile = path.join(dir, 'budget.js');
    await expect(buildFirmware({ entry: fixture('entry.ts'), outFile, budget: 100 })).rejects.toThrow(
      /firmware bundle is \d+ bytes, over the size budget of 100 bytes/,
    );
    expect(existsSync(outFile)).toBe(false);
    expect(FIRMWARE_SIZE_BUDGET).toBe(160 * 1024);
  });

  it('fails when the output uses something Espruino lacks, listing each problem', async () => {
    const entry = path.join(dir, 'uses-map.ts');
    writeFileSync(entry, 'const m = new Map<string, number>();\nm.set("a", 1);\n(globalThis as any).n = Array.from([1]).length + m.size;\n');
    await expect(buildFirmware({ entry, outFile: path.join(dir, 'map.js'), minify: false })).rejects.toThrow(
      /would not run on Espruino \(2 problems[\s\S]*Map: no Map[\s\S]*Array\.from is absent/,
    );
  });

  it('fails clearly on a missing entry', async () => {
    await expect(buildFirmware({ entry: path.join(dir, 'nope.ts'), outFile: path.join(dir, 'x.js') })).rejects.toThrow(
      /firmware entry not found/,
    );
  });

  it('tolerates exactly the builtins a bundled shim module declares in ESPRUINO_SHIMS', async () => {
    expect(shimsDeclaredIn("export const ESPRUINO_SHIMS = ['Uint8Array.from', \"RangeError\"];")).toEqual([
      'Uint8Array.from',
      'RangeError',
    ]);
    const shim = path.join(dir, 'shim.ts');
    writeFileSync(shim, [
      'const U8: any = Uint8Array;',
      'if (!U8.from) U8.from = function (a: ArrayLike<number>) { const o = new Uint8Array(a.length); for (let i = 0; i < a.length; i++) o[i] = a[i]; return o; };',
      "export const ESPRUINO_SHIMS = ['Uint8Array.from'];",
    ].join('\n'));
    const entry = path.join(dir, 'uses-shim.ts');
    writeFileSync(entry, "import './shim';\n(globalThis as any).n = Uint8Array.from([1, 2]).length;\n(globalThis as any).m = Array.of(1);\n");
    // Uint8Array.from is shimmed; Array.of is not
    await expect(buildFirmware({ entry, outFile: path.join(dir, 'shim.js'), minify: false })).rejects.toThrow(
      /\(1 problem,[\s\S]*Array\.of is absent/,
    );
    writeFileSync(entry, "import './shim';\n(globalThis as any).n = Uint8Array.from([1, 2]).length;\n");
    const r = await buildFirmware({ entry, outFile: path.join(dir, 'shim.js') });
    expect(r.shimmed).toEqual(['Uint8Array.from']);
    expect(runInEspruino(readFileSync(r.outFile, 'utf8')).n).toBe(2);
  });
});

describe('firmwareIsStale / ensureFirmware', () => {
  it('is stale when missing, or when a source is newer; fresh otherwise; ensureFirmware rebuilds only then', async () => {
    const outFile = path.join(dir, 'stale.js');
    const entry = fixture('entry.ts');
    expect(firmwareIsStale(outFile, entry)).toBe(true);
    const first = await ensureFirmware({ entry, outFile });
    expect(first.rebuilt).toBe(true);

    const future = new Date(Date.now() + 86_400_000);
    utimesSync(outFile, future, future);
    expect(firmwareIsStale(outFile, entry)).toBe(false);
    writeFileSync(outFile, '/* marker */');
    utimesSync(outFile, future, future);
    const second = await ensureFirmware({ entry, outFile });
    expect(second.rebuilt).toBe(false);
    expect(readFileSync(outFile, 'utf8')).toBe('/* marker */');

    const past = new Date('2000-01-01T00:00:00Z');
    utimesSync(outFile, past, past);
    expect(firmwareIsStale(outFile, entry)).toBe(true);
    const third = await ensureFirmware({ entry, outFile });
    expect(third.rebuilt).toBe(true);
    expect(readFileSync(outFile, 'utf8')).not.toBe('/* marker */');
    expect(statSync(outFile).mtimeMs).toBeGreaterThan(past.getTime());
  });
});

describe('the real firmware entry', () => {
  it(existsSync(DEFAULT_ENTRY)
    ? 'boards/espruino-common/boot.ts (firmware + board selection) builds into a bundle Espruino can run, within the size budget'
    : 'without the bundle entry the build says so', async () => {
    if (!existsSync(DEFAULT_ENTRY)) {
      await expect(buildFirmware({ outFile: path.join(dir, 'real.js') })).rejects.toThrow(/firmware entry not found/);
      return;
    }
    const r = await buildFirmware({ outFile: path.join(dir, 'real.js') });
    expect(r.bytes).toBeLessThanOrEqual(FIRMWARE_SIZE_BUDGET);
    expect(checkEspruinoSource(readFileSync(r.outFile, 'utf8'), { allow: r.shimmed })).toEqual([]);
  });
});
