/** Nymble fixtures: a real bank ledger (SQLite file) as the PM's resource, a PM, an NM and MSS servers. */
import { join } from 'node:path';
import { createAccount } from '../../host/bank/accounts';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { NymbleManager } from '../../host/nymble/nymble-manager';
import { PseudonymManager, bankAccountResource } from '../../host/nymble/pseudonym-manager';
import { NymbleServer } from '../../host/nymble/server';
import type { Epoch, NymbleTime } from '../../host/nymble/time';
import { removeTestDir, testDir } from '../helpers/temp-dir';

export interface NymbleWorld {
  dir: string;
  store: SqliteLedgerStore;
  pm: PseudonymManager;
  nm: NymbleManager;
  time: NymbleTime;
  servers: Record<string, NymbleServer>;
  /** A new bank account; returns its token (the PM's resource proof). */
  account(name: string): Promise<string>;
  /** Pull linking tokens from the NM into one MSS. */
  sync(sid: string, now: Epoch): void;
  close(): void;
}

export async function nymbleWorld(sids: string[], time: NymbleTime = { periodMs: 1000, periodsPerWindow: 12 }): Promise<NymbleWorld> {
  const dir = testDir('hood-nymble-');
  const store = new SqliteLedgerStore(join(dir, 'bank', 'ledger.sqlite'));
  const pm = PseudonymManager.open(join(dir, 'pm'), bankAccountResource(store));
  const nm = NymbleManager.open(join(dir, 'nm'), { macKeyNP: pm.sharedMacKey(), pm, time });
  const servers: Record<string, NymbleServer> = {};
  for (const sid of sids) servers[sid] = new NymbleServer(sid, nm.registerMss(sid), time, join(dir, 'mss-' + sid));
  return {
    dir,
    store,
    pm,
    nm,
    time,
    servers,
    async account(name: string) {
      return (await createAccount(store, name, Date.now())).token;
    },
    sync(sid: string, now: Epoch) {
      const s = servers[sid];
      s.applyTokens(nm.linkingTokens(sid, now, s.tokenSeq), now);
    },
    close() {
      store.db.close();
      removeTestDir(dir);
    },
  };
}
