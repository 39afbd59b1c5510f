/**
 * The temp-directory leak guard (test/helpers/tmp-leak-guard.ts, wired in test/global-setup.ts):
 * it reports exactly the `hood*` entries that appeared during a run and stayed, fails the run for
 * them (a non-zero exit, not only a logged error), and the per-file cleanup of test/helpers/temp-dir.ts
 * keeps a run that uses it clean.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import config from '../../vitest.config';
import { GUARDED, guardedEntries, leakMessage, startLeakGuard } from '../helpers/tmp-leak-guard';
import { testDir } from '../helpers/temp-dir';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Run `check` with process.exitCode restored afterwards (the guard sets it to fail the run). */
function keepExitCode<T>(check: () => T): { value?: T; error?: Error; exitCode: typeof process.exitCode } {
  const saved = process.exitCode;
  try {
    return { value: check(), exitCode: process.exitCode };
  } catch (e) {
    return { error: e as Error, exitCode: process.exitCode };
  } finally {
    process.exitCode = saved;
  }
}

describe('leak guard', () => {
  const nameArb = fc
    .tuple(fc.constantFrom('hood-', 'hoodlab-', 'hood', 'other-', 'xhood-', 'Hood-', 'hoo-'), fc.stringMatching(/^[a-z0-9]{1,8}$/))
    .map(([p, s]) => p + s);

  it('random before/after sets: it fails for exactly the new hood* entries, and only then', () => {
    fc.assert(
      fc.property(fc.uniqueArray(nameArb, { maxLength: 8 }), fc.uniqueArray(nameArb, { maxLength: 8 }), fc.boolean(), (before, added, asFile) => {
        const dir = testDir('hood-guard-unit-');
        for (const n of before) mkdirSync(join(dir, n));
        const check = startLeakGuard(dir, undefined);
        const fresh = added.filter((n) => !before.includes(n));
        for (const n of fresh) (asFile ? writeFileSync(join(dir, n), 'k') : mkdirSync(join(dir, n)));
        const leaked = fresh.filter((n) => GUARDED.test(n)).sort();
        const r = keepExitCode(check);
        if (!leaked.length) {
          expect(r.error).toBeUndefined();
          return;
        }
        expect(r.error?.message).toBe(leakMessage(dir, leaked));
        expect(r.exitCode).toBe(1);
        for (const n of leaked) expect(r.error!.message).toContain('\n  ' + n);
        for (const n of fresh.filter((x) => !GUARDED.test(x))) expect(r.error!.message).not.toContain('  ' + n + '\n');
      }),
      { numRuns: 200 },
    );
  });

  it('entries removed before the end are no leak; with HOOD_TMP_GUARD=warn a leak is reported, not failed', () => {
    const dir = testDir('hood-guard-warn-');
    const check = startLeakGuard(dir, undefined);
    mkdirSync(join(dir, 'hood-made-and-removed'));
    expect(guardedEntries(dir)).toEqual(['hood-made-and-removed']);
    const warnDir = testDir('hood-guard-warn2-');
    const warn = startLeakGuard(warnDir, 'warn');
    mkdirSync(join(warnDir, 'hoodlab-1-abcdef-XXXXXX'));
    const err = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(keepExitCode(warn)).toEqual({ value: undefined, exitCode: process.exitCode });
      expect(err).toHaveBeenCalledWith(leakMessage(warnDir, ['hoodlab-1-abcdef-XXXXXX']));
    } finally {
      err.mockRestore();
    }
    expect(keepExitCode(check).error?.message).toContain('hood-made-and-removed');
  });

  it('a long list is cut to the first names and a count', () => {
    const names = Array.from({ length: 45 }, (_, i) => 'hood-okon-' + String(i).padStart(2, '0'));
    const msg = leakMessage('/t', names);
    expect(msg).toContain('left 45 entries in /t');
    expect(msg).toContain('hood-okon-39');
    expect(msg).not.toContain('hood-okon-40');
    expect(msg).toContain('… and 5 more');
  });
});

describe('a vitest run with the project setup', () => {
  /** Run vitest on `files` with this project's globalSetup and setupFiles, in a private temp dir. */
  function innerRun(files: Record<string, string>): { status: number | null; output: string; left: string[] } {
    const abs = (p: string) => (isAbsolute(p) ? p : join(ROOT, p));
    const t = config.test!;
    const proj = testDir('hood-guard-proj-');
    const tmp = testDir('hood-guard-tmp-');
    writeFileSync(
      join(proj, 'vitest.config.mjs'),
      'export default ' +
        JSON.stringify({ test: { include: ['*.test.mjs'], globalSetup: [t.globalSetup!].flat().map(abs), setupFiles: [t.setupFiles!].flat().map(abs) } }) +
        ';\n',
    );
    for (const [name, text] of Object.entries(files)) writeFileSync(join(proj, name), text);
    const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: tmp };
    for (const k of ['HOOD_TMP_GUARD', 'CI', 'HOOD_FIRMWARE_STRICT', 'VITEST', 'VITEST_WORKER_ID', 'VITEST_POOL_ID', 'TEST', 'NODE_ENV']) delete env[k];
    const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', '--root', proj, '--config', join(proj, 'vitest.config.mjs')], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, output: r.stdout + r.stderr, left: readdirSync(tmp).filter((n) => GUARDED.test(n)) };
  }

  it('fails (exit 1) naming the entry a test left in the temp dir', () => {
    const r = innerRun({
      'leak.test.mjs':
        "import { mkdtempSync, writeFileSync } from 'node:fs'; import { tmpdir } from 'node:os'; import { join } from 'node:path';\n" +
        "import { it } from 'vitest';\n" +
        "it('leaks a key file', () => { writeFileSync(join(mkdtempSync(join(tmpdir(), 'hood-leak-')), 'mss-keys.json'), '{}'); });\n",
    });
    expect(r.left).toHaveLength(1);
    expect(r.output).toContain('1 passed');
    expect(r.output).toContain(r.left[0]);
    expect(r.status, r.output).toBe(1);
  }, 150_000);

  it('passes (exit 0) and leaves nothing when the tests made their dirs with testDir', () => {
    const helper = JSON.stringify(join(ROOT, 'test/helpers/temp-dir.ts'));
    const r = innerRun({
      'clean.test.mjs':
        "import { existsSync, writeFileSync } from 'node:fs'; import { join } from 'node:path';\n" +
        "import { beforeAll, expect, it } from 'vitest';\n" +
        'import { testDir } from ' + helper + ';\n' +
        "let shared; beforeAll(() => { shared = testDir('hood-shared-'); });\n" +
        "it('uses dirs it never removes', () => { const d = testDir('hood-keys-'); writeFileSync(join(d, 'mss-keys.json'), '{}'); expect(existsSync(shared)).toBe(true); });\n",
    });
    expect(r.output).toContain('1 passed');
    expect(r.left).toEqual([]);
    expect(r.status, r.output).toBe(0);
  }, 150_000);

  it('removes the dirs of a failing test too: the run fails for the test, not for a leak', () => {
    const helper = JSON.stringify(join(ROOT, 'test/helpers/temp-dir.ts'));
    const r = innerRun({
      'fails.test.mjs':
        "import { writeFileSync } from 'node:fs'; import { join } from 'node:path';\n" +
        "import { it } from 'vitest';\n" +
        'import { testDir } from ' + helper + ';\n' +
        "it('fails after writing a key file', () => { writeFileSync(join(testDir('hood-keys-'), 'mss-keys.json'), '{}'); throw new Error('boom'); });\n",
    });
    expect(r.output).toContain('1 failed');
    expect(r.output).not.toContain('[tmp-leak-guard]');
    expect(r.left).toEqual([]);
    expect(r.status).toBe(1);
  }, 150_000);
});
