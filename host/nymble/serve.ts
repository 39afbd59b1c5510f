/**
 * `hood nymble serve`: the PM (with its Pseudo Tracker) and the NM as one HTTP service beside Clare's
 * bank. The PM checks Bob's account token against the bank's own ledger (the scarce resource,
 * docs/nymble.md §3); PM and NM keep separate keys and state files under `pm/` and `nm/` so they can be
 * moved apart (§8: they must not collide in one operator's hands for anonymity to hold).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_FILE } from '../bank/service';
import { SqliteLedgerStore } from '../bank/ledger/sqlite';
import type { Logger } from '../common/log';
import { writeFileAtomic } from '../common/atomic-file';
import { readPrivateFile } from '../common/private-file';
import { NymbleError } from './errors';
import { startNymbleHttp, type RunningNymbleHttp } from './http-service';
import { NymbleManager } from './nymble-manager';
import { hex, unhex } from './primitives';
import { PseudonymManager, bankAccountResource } from './pseudonym-manager';
import { checkTime, type NymbleTime } from './time';

export interface NymbleServeOptions {
  dataDir: string;
  /** The bank's data directory (its ledger.sqlite is opened for account-token checks only). */
  bankDataDir: string;
  listen: { host: string; port: number };
  time: NymbleTime;
  log: Logger;
  now?: () => number;
}

export interface RunningNymble {
  pm: PseudonymManager;
  nm: NymbleManager;
  http: RunningNymbleHttp;
  url: string;
  close(): Promise<void>;
}

function openRoles(dataDir: string, store: SqliteLedgerStore | null, time: NymbleTime): { pm: PseudonymManager; nm: NymbleManager } {
  for (const d of [dataDir, join(dataDir, 'pm'), join(dataDir, 'nm')]) mkdirSync(d, { recursive: true, mode: 0o700 });
  const verify = store
    ? bankAccountResource(store)
    : async () => {
        throw new NymbleError('unknown_resource', 'no bank ledger is open');
      };
  const pm = PseudonymManager.open(join(dataDir, 'pm'), verify);
  const nm = NymbleManager.open(join(dataDir, 'nm'), { macKeyNP: pm.sharedMacKey(), pm, time: checkTime(time) });
  return { pm, nm };
}

/** The bank's ledger, which must exist already: a mistyped directory must not become an empty bank. */
function openLedger(bankDataDir: string): SqliteLedgerStore {
  const path = join(bankDataDir, LEDGER_FILE);
  if (!existsSync(path)) throw new Error('no bank ledger at ' + path + ' (give --bank-data-dir the bank\'s data dir)');
  return new SqliteLedgerStore(path);
}

export async function startNymble(o: NymbleServeOptions): Promise<RunningNymble> {
  const store = openLedger(o.bankDataDir);
  let pm: PseudonymManager;
  let nm: NymbleManager;
  try {
    ({ pm, nm } = openRoles(o.dataDir, store, o.time));
  } catch (e) {
    await store.close();
    throw e;
  }
  let http: RunningNymbleHttp;
  try {
    http = await startNymbleHttp({ pm, nm, mssKey: (sid) => nm.mssSharedKey(sid), log: o.log, now: o.now }, o.listen);
  } catch (e) {
    await store.close();
    throw e;
  }
  return {
    pm,
    nm,
    http,
    url: http.url,
    async close() {
      await http.close();
      await store.close();
    },
  };
}

/**
 * Enrol an MSS at the NM, on the data dir while the service is stopped (a running NM keeps its state
 * in memory and would write over the enrolment), and write macKey_NS to `keyFile` (mode 0600) for the MSS.
 */
export function registerMssAt(o: { dataDir: string; time: NymbleTime; sid: string; keyFile: string }): void {
  const { nm } = openRoles(o.dataDir, null, o.time);
  writeFileAtomic(o.keyFile, hex(nm.registerMss(o.sid)) + '\n', 0o600);
}

/** The MSS side: read macKey_NS from its key file (refused if group or others may read it). */
export function readMssKeyFile(path: string): Uint8Array {
  return unhex(readPrivateFile(path, 'utf8').trim(), 32);
}
