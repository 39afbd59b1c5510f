/**
 * Temporary directories for tests. Every directory made here is removed after its test file (the
 * `afterAll` of test/helpers/temp-dir-cleanup.ts, which vitest runs after the file's own hooks, also
 * when a test failed), and at worker exit or on SIGINT/SIGTERM (host/common/temp-dir.ts). Fixtures
 * that stop a service remove theirs sooner with `removeTestDir`. Many of these directories hold MSS
 * key files: test/global-setup.ts fails the run if any `hood*` entry is left in the temp directory.
 */
import { makeTempDir, removeTempDir } from '../../host/common/temp-dir';

const made: string[] = [];

/** A fresh `<tmpdir>/<prefix>XXXXXX`, removed at the end of the current test file at the latest. */
export function testDir(prefix: string): string {
  if (!/^hood/.test(prefix)) throw new Error('test temp dirs start with "hood" so the leak guard sees them: ' + prefix);
  const d = makeTempDir(prefix);
  made.push(d);
  return d;
}

/** Remove one directory made by testDir now (idempotent). */
export function removeTestDir(dir: string): void {
  removeTempDir(dir);
  const i = made.indexOf(dir);
  if (i >= 0) made.splice(i, 1);
}

/** Remove every directory this test file made (run by the setup file's afterAll). */
export function removeAllTestDirs(): void {
  while (made.length) removeTempDir(made.pop()!);
}
