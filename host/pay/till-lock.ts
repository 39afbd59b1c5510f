/**
 * One process at a time may use an MSS's till (its wallet file): the running gateway, or a cash-out.
 * A lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function takeTillLock(dataDir: string): { release(): void } {
  mkdirSync(join(dataDir, 'till'), { recursive: true, mode: 0o700 });
  const path = join(dataDir, 'till', 'lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return {
        release() {
          try {
            if (readFileSync(path, 'utf8') === String(process.pid)) unlinkSync(path);
          } catch {
            /* already gone */
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) throw new Error('the MSS till in ' + dataDir + ' is in use by process ' + pid + ' (stop the gateway first)');
      unlinkSync(path); // stale: its process is gone
    }
  }
  throw new Error('cannot lock the MSS till in ' + dataDir);
}
