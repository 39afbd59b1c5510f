/**
 * Assemble a bank from a data dir: the 32-byte mint seed (created once, mode 0600) and the SQLite
 * ledger beside it. Used by `hood bank`, by the embedded bank of the MSS and by tests.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { writeFileAtomic } from '../common/atomic-file';
import type { Logger } from '../common/log';
import { fromHex, toHex } from '../../shared/src/bytes';
import { createBankServer, listen } from './http';
import { SqliteLedgerStore, type SqliteLedgerOptions } from './ledger/sqlite';
import { PgLedgerStore } from './ledger/postgres';
import type { LedgerStore } from './ledger/store';
import { selectCurve } from '../cashu/curve';
import { Mint, type MintOptions } from './mint';
import { readPrivateFile } from '../common/private-file';

export const SEED_FILE = 'mint-seed';
export const LEDGER_FILE = 'ledger.sqlite';

export function loadOrCreateSeed(dataDir: string): Uint8Array {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, SEED_FILE);
  if (!existsSync(path)) writeFileAtomic(path, toHex(randomBytes(32)) + '\n', 0o600);
  const seed = fromHex(readPrivateFile(path, 'utf8').trim()); // refused if group/other may read it
  if (seed.length !== 32) throw new Error(path + ' does not hold a 32-byte hex seed');
  return seed;
}

/** True if `db` names a PostgreSQL database (libpq URL) rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * The ledger: `db` a `postgres://` URL (several banks may share it; each needs the same mint seed),
 * else a SQLite file path; by default the SQLite file in the data dir.
 */
export async function openLedger(dataDir: string, db?: string, sqlite: SqliteLedgerOptions = {}): Promise<LedgerStore> {
  if (db && isPostgresUrl(db)) return PgLedgerStore.open(db);
  return new SqliteLedgerStore(db || join(dataDir, LEDGER_FILE), sqlite);
}

export async function openMint(
  dataDir: string,
  opts: Partial<Omit<MintOptions, 'store' | 'seed'>> & { db?: string } & SqliteLedgerOptions = {},
): Promise<Mint> {
  const seed = loadOrCreateSeed(dataDir);
  const { db, backgroundCheckpoint, ...mintOpts } = opts;
  const store = await openLedger(dataDir, db, { backgroundCheckpoint });
  try {
    return await Mint.open({ ...mintOpts, store, seed });
  } catch (e) {
    await store.close();
    throw e;
  }
}

export interface RunningBank {
  mint: Mint;
  server: Server;
  url: string;
  close(): Promise<void>;
}

/** How often a serving bank deletes expired unpaid quotes by default (the caps also purge on demand). */
export const DEFAULT_PURGE_EVERY_SEC = 60;

/** Open the data dir and serve it over HTTP; `port` 0 picks a free port. */
export async function startBank(
  opts: { dataDir: string; db?: string; host?: string; port?: number; log: Logger; purgeEverySec?: number } & Partial<Omit<MintOptions, 'store' | 'seed'>>,
): Promise<RunningBank> {
  const { dataDir, host = '127.0.0.1', port = 3338, log, purgeEverySec, ...mintOpts } = opts;
  // The fastest secp256k1 library that loads; one that does not is reported, never silently replaced.
  const curve =
    mintOpts.curve ||
    selectCurve({ warn: (f) => log.warn({ event: 'curve_fallback', library: f.library, reason: f.reason }, 'secp256k1 library not available; using the next one') });
  // A serving bank checkpoints its WAL on a worker thread, off the request path (ledger/checkpointer.ts).
  const mint = await openMint(dataDir, { ...mintOpts, curve, backgroundCheckpoint: true });
  const server = createBankServer(mint, log);
  let addr;
  try {
    addr = await listen(server, host, port);
  } catch (e) {
    await mint.store.close();
    throw e;
  }
  let closed = false;
  // Unpaid quotes past their expiry can never be paid (NUT-04 `expiry`); deleting them keeps the
  // ledger to what holds value. Off the request path, on a timer that does not keep Node alive.
  const purge = setInterval(() => {
    mint.purgeExpiredQuotes().then(
      (n) => {
        if (n.mint + n.melt > 0) log.info({ event: 'quotes_purged', mint: n.mint, melt: n.melt }, 'expired unpaid quotes purged');
      },
      (e: unknown) => log.error({ event: 'quotes_purge_failed', err: (e as Error).message }, 'purging expired quotes failed'),
    );
  }, (purgeEverySec || DEFAULT_PURGE_EVERY_SEC) * 1000);
  purge.unref();
  return {
    mint,
    server,
    url: addr.url,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(purge);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await mint.store.close();
    },
  };
}
