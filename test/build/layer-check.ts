/**
 * The layers of the code base run one way: shared <- firmware <- boards <- host. A module may import
 * from its own layer and from the layers below it, never from one above (the firmware never includes
 * a board, a board never includes the host). Tests and bin/ sit above everything and may import
 * anything, so nothing in the four layers may import them.
 *
 * Import specifiers are read with TypeScript's own pre-processor (static imports, `export ... from`,
 * `import type`, dynamic `import()` and `require()`; comments and string contents are not imports).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const LAYERS = ['shared', 'firmware', 'boards', 'host'] as const;

/** Rank of each top-level folder; anything not listed (test, bin, ...) is above every layer. */
const RANK: Record<string, number> = { shared: 0, firmware: 1, boards: 2, host: 3 };
const ABOVE_ALL = LAYERS.length;

const SOURCE_RE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIP_DIRS = new Set(['node_modules', 'dist']);

export interface UpwardImport {
  /** Importing file, relative to the root. */
  file: string;
  /** The specifier as written. */
  specifier: string;
  /** Layer of the importer and of the target (top-level folder). */
  from: string;
  to: string;
}

/** Every relative import specifier in one source text. */
export function relativeImports(source: string): string[] {
  return ts
    .preProcessFile(source, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..');
}

function rankOf(top: string): number {
  return top in RANK ? RANK[top] : ABOVE_ALL;
}

/**
 * Upward imports in one file. `file` is relative to the repository root (its first segment is its
 * layer); targets that resolve outside the root are left alone (there is nothing there to rank).
 */
export function upwardImportsIn(file: string, source: string): UpwardImport[] {
  const norm = file.split(path.sep).join('/');
  const from = norm.split('/')[0];
  if (!(from in RANK)) return [];
  const out: UpwardImport[] = [];
  for (const specifier of relativeImports(source)) {
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(norm), specifier));
    const to = target.split('/')[0];
    if (to === '..' || to === '.' || to === '') continue;
    if (rankOf(to) > rankOf(from)) out.push({ file: norm, specifier, from, to });
  }
  return out;
}

/** Source files of the four layers under `root` (node_modules and build output skipped). */
export function layerSources(root: string): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(rel);
      } else if (e.isFile() && SOURCE_RE.test(e.name)) files.push(rel);
    }
  };
  for (const layer of LAYERS) walk(layer);
  return files.sort();
}

/** Every upward import under `root`. */
export function upwardImports(root: string): UpwardImport[] {
  return layerSources(root).flatMap((f) => upwardImportsIn(f, readFileSync(path.join(root, f), 'utf8')));
}
