/** Durable JSON state for the Nymble roles: crash-safe writes (temp file, fsync, rename), mode 0600. */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file';

export function loadJson<T>(path: string, fresh: () => T): T {
  if (!existsSync(path)) return fresh();
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

export function saveJson(path: string, value: unknown): void {
  writeFileAtomic(path, JSON.stringify(value), 0o600);
}
