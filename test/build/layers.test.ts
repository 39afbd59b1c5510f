/**
 * Layers run one way: shared <- firmware <- boards <- host (test/build/layer-check.ts). The repository
 * must have no upward import; the check itself is shown to catch every import form on samples and on a
 * throw-away tree, so a pass means something.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LAYERS, layerSources, relativeImports, upwardImports, upwardImportsIn } from './layer-check';
import { testDir } from '../helpers/temp-dir';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('one-way layers (shared <- firmware <- boards <- host)', () => {
  it('the repository has no upward import', () => {
    const files = layerSources(ROOT);
    // The walk sees every layer (and so the firmware entry and the board that brings it).
    for (const layer of LAYERS) expect(files.some((f) => f.startsWith(layer + path.sep))).toBe(true);
    expect(files).toContain(path.join('boards', 'espruino-common', 'boot.ts'));
    expect(files.some((f) => f.split(path.sep).includes('node_modules') || f.split(path.sep).includes('dist'))).toBe(false);
    expect(upwardImports(ROOT)).toEqual([]);
  });

  it('reads every import form, and not comments or strings', () => {
    const src = [
      "import a from './a';",
      "import './side-effect';",
      "import type { T } from '../t';",
      "export { b } from './b';",
      "export * from './c';",
      "const d = import('./dynamic');",
      "const r = require('../required');",
      "import pkg from 'some-package';",
      "import fs from 'node:fs';",
      "// import x from '../../host/in-a-comment';",
      "/* require('../../host/in-a-block-comment') */",
      "const s = \"import('../../host/in-a-string')\";",
    ].join('\n');
    expect(relativeImports(src)).toEqual(['./a', './side-effect', '../t', './b', './c', './dynamic', '../required']);
  });

  it('flags each upward form and passes downward and sideways ones', () => {
    const cases: [string, string, string | null][] = [
      ['firmware/src/main.ts', "import '../../boards/espruino-common/boot';", 'boards'],
      ['boards/emu/emu-pda.ts', "import { parseEventLine } from '../../host/board/framing';", 'host'],
      ['boards/emu/espruino-vm.ts', "import type { X } from '../../host/build/espruino-builtins';", 'host'],
      ['shared/src/bytes.ts', "const m = import('../../firmware/src/board');", 'firmware'],
      ['firmware/src/x.ts', "const h = require('../../host/cli/hood');", 'host'],
      ['host/cli/x.ts', "export * from '../../test/helpers/gateway';", 'test'],
      ['boards/x.ts', "import '../bin/hood.js';", 'bin'],
      ['host/board/link.ts', "import { parseEventLine } from '../../boards/espruino-common/framing';", null],
      ['boards/espruino-common/boot.ts', "import '../../firmware/src/main';", null],
      ['firmware/src/session.ts', "import { toHex } from '../../shared/src/bytes';", null],
      ['shared/src/a.ts', "import { b } from './b';", null],
      ['host/x.ts', "import { y } from '../../outside/repo';", null],
    ];
    for (const [file, src, to] of cases) {
      const found = upwardImportsIn(file, src);
      if (to === null) expect(found, file).toEqual([]);
      else expect(found.map((u) => [u.from, u.to]), file).toEqual([[file.split('/')[0], to]]);
    }
  });

  it('flags an import exactly when its target ranks above the importer (any layers, depths, forms)', () => {
    const tops = [...LAYERS, 'test', 'bin'];
    const form = fc.constantFrom(
      (s: string) => `import x from '${s}';`,
      (s: string) => `import '${s}';`,
      (s: string) => `export * from '${s}';`,
      (s: string) => `void import('${s}');`,
      (s: string) => `require('${s}');`,
    );
    const seg = fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/);
    fc.assert(
      fc.property(fc.constantFrom(...LAYERS), fc.array(seg, { maxLength: 3 }), fc.constantFrom(...tops), fc.array(seg, { minLength: 1, maxLength: 3 }), form, (from, dirs, to, target, f) => {
        const file = [from, ...dirs, 'm.ts'].join('/');
        const spec = '../'.repeat(dirs.length + 1) + [to, ...target].join('/');
        const found = upwardImportsIn(file, f(spec));
        const rank = (t: string) => (LAYERS as readonly string[]).indexOf(t) < 0 ? LAYERS.length : (LAYERS as readonly string[]).indexOf(t);
        expect(found.length).toBe(rank(to) > rank(from) ? 1 : 0);
      }),
      { numRuns: 500 },
    );
  });

  describe('on a throw-away tree', () => {
    const dir = testDir('hood-layers-');
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const put = (rel: string, text: string) => {
      mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };

    it('reports the upward imports and skips node_modules and dist', () => {
      put('shared/src/a.ts', 'export const a = 1;\n');
      put('firmware/src/main.ts', "import { a } from '../../shared/src/a';\nimport '../../boards/common/boot';\n");
      put('boards/common/boot.ts', "import '../../firmware/src/main';\n");
      put('host/cli/run.mjs', "await import('../../boards/common/boot');\n");
      put('host/node_modules/dep/index.js', "require('../../../test/x');\n");
      put('firmware/dist/hood.js', "require('../../host/cli/run.mjs');\n");
      expect(upwardImports(dir)).toEqual([
        { file: 'firmware/src/main.ts', specifier: '../../boards/common/boot', from: 'firmware', to: 'boards' },
      ]);
    });
  });
});
