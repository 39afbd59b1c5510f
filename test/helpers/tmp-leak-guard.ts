/**
 * The temp-directory leak guard of a test run (test/global-setup.ts): the `hood*` entries of the
 * system temporary directory (`hoodlab-*` included) are listed before the first test file and after
 * the last; any that appeared and stayed is a leak: a test or the code under test made it and
 * did not remove it. Many of them hold MSS secret keys, so a leak fails the run.
 *
 * The comparison is of this run's own before/after. Another test run on the same machine at the
 * same time makes entries of its own: run one suite per temporary directory
 * (`TMPDIR=$(mktemp -d) npm test`), or set HOOD_TMP_GUARD=warn to report without failing.
 */
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const GUARDED = /^hood/;

/** The guarded entries of `dir` now. */
export function guardedEntries(dir: string = tmpdir()): string[] {
  return readdirSync(dir).filter((n) => GUARDED.test(n)).sort();
}

/** Entries of `after` that were not in `before`. */
export function leakedEntries(before: readonly string[], after: readonly string[]): string[] {
  const had = new Set(before);
  return after.filter((n) => !had.has(n));
}

/** The failure message for `leaked` entries of `dir` (at most `show` names, then a count). */
export function leakMessage(dir: string, leaked: readonly string[], show = 40): string {
  const names = leaked.slice(0, show).join('\n  ');
  const more = leaked.length > show ? '\n  … and ' + (leaked.length - show) + ' more' : '';
  return (
    '[tmp-leak-guard] the run left ' + leaked.length + ' entr' + (leaked.length === 1 ? 'y' : 'ies') + ' in ' + dir +
    ' (remove them in the test or code that made them):\n  ' + names + more
  );
}

/** Snapshot now; the returned check throws (or warns, HOOD_TMP_GUARD=warn) if entries leaked since. */
export function startLeakGuard(dir: string = tmpdir(), mode: string | undefined = process.env.HOOD_TMP_GUARD): () => void {
  const before = guardedEntries(dir);
  return () => {
    const leaked = leakedEntries(before, guardedEntries(dir));
    if (!leaked.length) return;
    const msg = leakMessage(dir, leaked);
    if (mode === 'warn') return console.error(msg);
    // vitest only logs an error thrown by a global teardown ("error during close") and exits 0.
    process.exitCode = 1;
    throw new Error(msg);
  };
}
