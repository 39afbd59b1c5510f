/**
 * The benchmarks' worker threads run plain JavaScript that esbuild bundles here from their TypeScript
 * entry, not TypeScript through tsx's loader. Node 20 runs module.register() hooks on a thread of their
 * own, and a worker that registered them again was seen, under load, to hang at start-up before any of
 * its code ran (no CPU time, every thread waiting on a futex): a bench that never finishes.
 *
 * The bundle goes under node_modules/.cache so that its bare imports (mqtt, …) resolve to the project's
 * own node_modules; it is written under a unique name and renamed, so concurrent runs never see half a file.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CACHE = join(ROOT, 'node_modules', '.cache', 'hood-workers');

/** Bundle the worker entry `entryTs` (a path) and return the .mjs to give `new Worker()`. */
export function bundleWorker(entryTs: string): string {
  mkdirSync(CACHE, { recursive: true });
  const out = join(CACHE, basename(entryTs).replace(/\.ts$/, '.mjs'));
  const tmp = out + '.' + process.pid + '.' + Math.random().toString(36).slice(2) + '.tmp.mjs';
  buildSync({ entryPoints: [entryTs], bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', outfile: tmp, logLevel: 'silent' });
  renameSync(tmp, out);
  return out;
}
