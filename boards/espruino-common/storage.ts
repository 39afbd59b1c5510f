/**
 * Board.storage over Espruino's `Storage` (flash). Erasing (or replacing) a file in Espruino only
 * marks its header; the old bytes stay in flash until the page is compacted, and the Storage API
 * refuses to overwrite written bytes in place ("File already written with different data",
 * src/jsflash.c jsfWriteFile). So the only deep erase is erase + compact, which rewrites the live
 * files and erases the freed pages: `deepErase` does that. Session data never reaches Storage at
 * all (firmware/src/session.ts); deepErase is for the e-cash proofs and for wiping the board.
 */
import type { Storage } from '../../firmware/src/board';
import type { EspruinoStorageModule } from './espruino-api';

/** Espruino Storage file names are at most 28 characters (jsfNameFromString). */
export const MAX_STORAGE_NAME = 28;

export interface EspruinoBoardStorage extends Storage {
  /** erase + compact: nothing of the key is left in flash. Slow (page erases); call when idle. */
  deepErase(key: string): void;
}

export function espruinoStorage(s: EspruinoStorageModule): EspruinoBoardStorage {
  const check = function (key: string) {
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_STORAGE_NAME) throw new Error('bad storage key');
  };
  const api: EspruinoBoardStorage = {
    read: function (key: string) {
      check(key);
      const v = s.read(key);
      return typeof v === 'string' ? v : undefined;
    },
    write: function (key: string, value: string) {
      check(key);
      if (typeof value !== 'string' || value.length === 0) throw new Error('Storage.write takes a non-empty string');
      if (!s.write(key, value)) throw new Error('Storage.write failed (flash full?)');
    },
    erase: function (key: string) {
      check(key);
      s.erase(key);
    },
    deepErase: function (key: string) {
      api.erase(key);
      if (s.compact) s.compact();
    },
    keys: function () {
      return s.list();
    },
  };
  return api;
}
