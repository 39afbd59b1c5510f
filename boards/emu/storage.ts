/** Emulated flash Storage (Espruino `require("Storage")`): a key/value map that logs every write. */
import type { Storage } from '../../firmware/src/board';

export class EmuStorage implements Storage {
  private data = new Map<string, string>();
  /** Every write, in order: tests check that no session data ever reaches flash. */
  readonly writes: { key: string; value: string }[] = [];

  read(key: string): string | undefined {
    return this.data.get(key);
  }
  write(key: string, value: string): void {
    if (typeof value !== 'string') throw new Error('Storage.write takes a string');
    this.data.set(key, value);
    this.writes.push({ key, value });
  }
  erase(key: string): void {
    this.data.delete(key);
  }
  keys(): string[] {
    return [...this.data.keys()];
  }
}
