/**
 * An exchange server's share store (ACS §3.3 offline messaging: "exchange servers will store these
 * message shares ... until the storage service of these message shares is expired"): one SQLite file,
 * WAL journal and synchronous=FULL, so a PUT is answered only after its share is committed to disk
 * and survives a crash. pseudonym is the PRIMARY KEY; a share handed out by a pickup is deleted in
 * the same transaction that read it, and secure_delete overwrites it. Bounded in entries and bytes.
 * MSS tokens are kept as SHA-256 hashes only (the token itself is printed once by `add-mss`).
 */
import type Database from 'better-sqlite3';
import { openPrivateDurableDb } from '../common/private-sqlite';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isBucket } from '../../shared/src/exchange/shares';
import { PSEUDONYM_LEN } from '../../shared/src/exchange/pseudonym';
import { ExchangeError } from './errors';
import { newSealingKey, sealingKeyFromSecret, type SealingKey } from './sealed';

export interface ShareStoreLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_SHARE_LIMITS: ShareStoreLimits = { maxEntries: 100_000, maxBytes: 512 * 1024 * 1024 };
export const MSS_ID_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const STORE_FILE = 'exchange.sqlite';

export type PutResult = 'stored' | 'unchanged';

function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export class ShareStore {
  private readonly db: Database.Database;
  readonly serverId: string;
  readonly sealingKey: SealingKey;

  private constructor(
    readonly file: string,
    private readonly limits: ShareStoreLimits,
  ) {
    this.db = openPrivateDurableDb(file);
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS shares (
      pseudonym BLOB PRIMARY KEY,
      share BLOB NOT NULL,
      expires_at INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX IF NOT EXISTS shares_expiry ON shares (expires_at);
    CREATE TABLE IF NOT EXISTS msses (id TEXT PRIMARY KEY, token_hash BLOB NOT NULL, created_at INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);`);
    // The server id is part of every pseudonym (shared/src/exchange/pseudonym.ts): drawn once, then fixed.
    this.db.prepare("INSERT OR IGNORE INTO meta (k, v) VALUES ('server_id', ?)").run('x' + randomBytes(8).toString('hex'));
    this.serverId = this.db.prepare("SELECT v FROM meta WHERE k = 'server_id'").pluck().get() as string;
    // The key pickup requests are sealed to (host/exchange/sealed.ts), drawn once like the id. It lives in
    // the store's private file: whoever holds that file holds the shares too.
    const fresh = newSealingKey();
    this.db.prepare("INSERT OR IGNORE INTO meta (k, v) VALUES ('sealing_key', ?)").run(Buffer.from(fresh.secret).toString('hex'));
    fresh.secret.fill(0);
    const stored = Buffer.from(this.db.prepare("SELECT v FROM meta WHERE k = 'sealing_key'").pluck().get() as string, 'hex');
    this.sealingKey = sealingKeyFromSecret(stored);
    stored.fill(0);
  }

  static open(dataDir: string, limits: ShareStoreLimits = DEFAULT_SHARE_LIMITS): ShareStore {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    return new ShareStore(join(dataDir, STORE_FILE), limits);
  }

  /** Issue a bearer token for an MSS; only its hash is stored. */
  addMss(id: string, now = Date.now()): string {
    if (!MSS_ID_RE.test(id)) throw new ExchangeError('malformed', 'MSS id must match ' + MSS_ID_RE.source);
    const token = randomBytes(32).toString('base64url');
    try {
      this.db.prepare('INSERT INTO msses (id, token_hash, created_at) VALUES (?, ?, ?)').run(id, tokenHash(token), now);
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new ExchangeError('duplicate_mss', 'MSS ' + id + ' already has a token');
      throw e;
    }
    return token;
  }

  /**
   * The MSS a bearer token belongs to, or null. Every stored hash is compared, each in constant
   * time, so the time taken does not depend on which (if any) matched.
   */
  authenticate(token: string): string | null {
    const h = tokenHash(token);
    let who: string | null = null;
    for (const row of this.db.prepare('SELECT id, token_hash AS hash FROM msses').all() as { id: string; hash: Buffer }[]) {
      if (row.hash.length === h.length && timingSafeEqual(row.hash, h) && who === null) who = row.id;
    }
    return who;
  }

  /** Store a share; committed (fsync) before it returns. Same share again: 'unchanged'; a different one: conflict. */
  put(pseudonym: Uint8Array, share: Uint8Array, expiresAt: number, now = Date.now()): PutResult {
    if (pseudonym.length !== PSEUDONYM_LEN) throw new ExchangeError('malformed', 'pseudonym must be ' + PSEUDONYM_LEN + ' bytes');
    if (!isBucket(share.length)) throw new ExchangeError('malformed', 'share of ' + share.length + ' bytes is not a bucket size');
    const tx = this.db.transaction((): PutResult => {
      this.db.prepare('DELETE FROM shares WHERE pseudonym = ? AND expires_at <= ?').run(Buffer.from(pseudonym), now);
      const old = this.db.prepare('SELECT share FROM shares WHERE pseudonym = ?').pluck().get(Buffer.from(pseudonym)) as Buffer | undefined;
      if (old) {
        if (old.length === share.length && timingSafeEqual(old, Buffer.from(share))) return 'unchanged';
        throw new ExchangeError('conflict', 'a different share is stored under this pseudonym');
      }
      const u = this.usage();
      if (u.entries + 1 > this.limits.maxEntries) throw new ExchangeError('store_full', 'exchange store holds its maximum of ' + this.limits.maxEntries + ' shares');
      if (u.bytes + share.length > this.limits.maxBytes) throw new ExchangeError('store_full', 'exchange store holds its maximum of ' + this.limits.maxBytes + ' bytes');
      this.db.prepare('INSERT INTO shares (pseudonym, share, expires_at) VALUES (?, ?, ?)').run(Buffer.from(pseudonym), Buffer.from(share), Math.ceil(expiresAt));
      return 'stored';
    });
    return tx.immediate();
  }

  /**
   * A pickup (docs/exchange.md §3): for each pseudonym, the live share of exactly `size` bytes or
   * null. Nothing is deleted here: a round is collected from every server first and released
   * (`release`) only once all k answered, so a server that fails in the middle of a round costs no
   * entry. Every pseudonym costs the same query, hit or miss.
   */
  take(pseudonyms: Uint8Array[], size: number, now = Date.now()): (Uint8Array | null)[] {
    const sel = this.db.prepare('SELECT share FROM shares WHERE pseudonym = ? AND expires_at > ? AND length(share) = ?').pluck();
    return pseudonyms.map((p) => {
      const s = sel.get(Buffer.from(p), now, size) as Buffer | undefined;
      return s ? new Uint8Array(s) : null;
    });
  }

  /** The end of a round: delete the shares of `size` bytes under these pseudonyms (committed before it returns). */
  release(pseudonyms: Uint8Array[], size: number): void {
    const del = this.db.prepare('DELETE FROM shares WHERE pseudonym = ? AND length(share) = ?');
    this.db.transaction(() => {
      for (const p of pseudonyms) del.run(Buffer.from(p), size);
    }).immediate();
  }

  /** Drop expired shares; returns how many. */
  sweep(now = Date.now()): number {
    return this.db.prepare('DELETE FROM shares WHERE expires_at <= ?').run(now).changes;
  }

  usage(): { entries: number; bytes: number } {
    const r = this.db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(length(share)), 0) AS b FROM shares').get() as { n: number; b: number };
    return { entries: r.n, bytes: r.b };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
