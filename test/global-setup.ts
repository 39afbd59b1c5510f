/**
 * vitest globalSetup: build the firmware bundle once before any test runs (only if stale), so
 * tests that load firmware/dist/hood.js use the code that is in the tree now.
 *
 * A failed build removes the stale bundle (a test must never run yesterday's firmware) and is
 * reported loudly; it stops the whole run only with HOOD_FIRMWARE_STRICT=1 or CI set, so one
 * engineer's firmware break does not stop unrelated host tests during development. Tests
 * that need the bundle then fail on its absence, pointing here.
 *
 * It also guards the temporary directory (test/helpers/tmp-leak-guard.ts): the teardown, which runs
 * after every test file, fails the run if `hood*` entries appeared in it and stayed.
 */
import { existsSync, rmSync } from 'node:fs';
import { DEFAULT_ENTRY, DEFAULT_OUT_FILE, ensureFirmware } from '../host/build/firmware';
import { startLeakGuard } from './helpers/tmp-leak-guard';

export default async function setup(): Promise<() => void> {
  const teardown = startLeakGuard();
  if (!existsSync(DEFAULT_ENTRY)) return teardown;
  try {
    const r = await ensureFirmware();
    if (r.rebuilt && r.result) {
      console.log(
        '[global-setup] firmware built: ' + r.result.bytes + ' bytes (' + r.result.gzipBytes + ' gzip) in ' + r.result.ms + ' ms',
      );
    }
  } catch (e) {
    rmSync(DEFAULT_OUT_FILE, { force: true });
    const msg = '[global-setup] FIRMWARE BUILD FAILED, ' + DEFAULT_OUT_FILE + ' removed:\n' + (e as Error).message;
    if (process.env.HOOD_FIRMWARE_STRICT === '1' || process.env.CI) throw new Error(msg);
    console.error(msg);
  }
  return teardown;
}
