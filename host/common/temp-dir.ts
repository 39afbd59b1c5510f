/**
 * Private temporary directories of one process: a benchmark's or demo's MSS keys and databases, a
 * model run's copy of the Promela sources, an interpreter's working directory. The MSS holds the
 * long-term secrets behind every session (docs/threat-model.md), and the project promises that a
 * session leaves no trace, so a key file must not outlive the run that made it in the system's
 * temporary directory.
 *
 * The caller removes its directory in a `finally` (`removeTempDir`). What a `finally` cannot cover
 * is covered here: `process.exit()` (the 'exit' event), and SIGINT/SIGTERM while nothing else
 * handles them, where Node's default action would end the process without running any `finally`.
 * A process that handles those signals itself (a service under `runUntilSignal`, the lab's
 * teardown) keeps control of its shutdown; its `finally` blocks or its `process.exit()` clean up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STOP_SIGNALS } from '../cli/signals';

interface Registry {
  live: Set<string>;
  hooked: boolean;
}

// One registry per process, even when a test runner evaluates this module once per test file.
const KEY = '__hoodTempDirs';
const reg: Registry = ((globalThis as Record<string, unknown>)[KEY] as Registry | undefined) ??
  ((globalThis as Record<string, unknown>)[KEY] = { live: new Set<string>(), hooked: false } as Registry);

function removeAllSync(): void {
  for (const d of reg.live) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      /* best effort at exit: nothing left to report to */
    }
  }
  reg.live.clear();
}

function onSignal(sig: NodeJS.Signals): void {
  // Another handler owns this process's shutdown: its cleanup (finally blocks, process.exit) runs.
  // This one runs first (prepended), so a handler that removes itself on the signal still counts.
  if (process.listenerCount(sig) > 1) return;
  removeAllSync();
  // Nobody else handles it: end the process by the same signal, as Node's default action would.
  for (const s of STOP_SIGNALS) process.off(s, onSignal);
  process.kill(process.pid, sig);
}

function hook(): void {
  if (reg.hooked) return;
  reg.hooked = true;
  process.on('exit', removeAllSync);
  for (const s of STOP_SIGNALS) process.prependListener(s, onSignal);
}

/** A fresh directory `<tmpdir>/<prefix>XXXXXX` (mode 0700), removed at exit or on a stop signal if the caller has not removed it. */
export function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  reg.live.add(dir);
  hook();
  return dir;
}

/** Remove a directory made by makeTempDir (and everything in it); idempotent. */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  reg.live.delete(dir);
}

/** Directories made by makeTempDir and not removed yet (for tests of the cleanup itself). */
export function liveTempDirs(): string[] {
  return [...reg.live];
}
