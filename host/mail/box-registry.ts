/**
 * Drop-box registrations on disk (docs/mail.md §5, "Restart"), so a reply to a TmpId whose session ended
 * before an MSS restart still has a box to go to. Kept: TmpId, boxId, the box's seal public key
 * (host/mail/box-seal.ts), when the registration expires (NULL while its session lives) and the next
 * exchange slot. Never boxKey: a copy of the disk opens no entry. One private durable SQLite file
 * (mode 0600, WAL, synchronous FULL, secure_delete): a BOX is on disk before it is answered.
 */
import type Database from 'better-sqlite3';
import { openPrivateDurableDb } from '../common/private-sqlite';

export interface StoredRegistration {
  tmpId: string;
  boxId: Uint8Array;
  sealPublic: Uint8Array;
  /** Infinity while the session lives. */
  expiresAt: number;
  nextSlot: number;
}

interface Row {
  tmp_id: string;
  box_id: Buffer;
  seal_pub: Buffer;
  expires_at: number | null;
  next_slot: number;
}

export class BoxRegistry {
  private readonly db: Database.Database;

  constructor(file: string) {
    this.db = openPrivateDurableDb(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS boxes (
      tmp_id TEXT PRIMARY KEY,
      box_id BLOB NOT NULL,
      seal_pub BLOB NOT NULL,
      expires_at INTEGER,
      next_slot INTEGER NOT NULL
    ) WITHOUT ROWID`);
  }

  put(r: StoredRegistration): void {
    this.db
      .prepare('INSERT OR REPLACE INTO boxes (tmp_id, box_id, seal_pub, expires_at, next_slot) VALUES (?, ?, ?, ?, ?)')
      .run(r.tmpId, Buffer.from(r.boxId), Buffer.from(r.sealPublic), Number.isFinite(r.expiresAt) ? Math.ceil(r.expiresAt) : null, r.nextSlot);
  }

  ended(tmpId: string, expiresAt: number): void {
    this.db.prepare('UPDATE boxes SET expires_at = ? WHERE tmp_id = ?').run(Math.ceil(expiresAt), tmpId);
  }

  slot(tmpId: string, nextSlot: number): void {
    this.db.prepare('UPDATE boxes SET next_slot = ? WHERE tmp_id = ?').run(nextSlot, tmpId);
  }

  remove(tmpId: string): void {
    this.db.prepare('DELETE FROM boxes WHERE tmp_id = ?').run(tmpId);
  }

  all(): StoredRegistration[] {
    return (this.db.prepare('SELECT tmp_id, box_id, seal_pub, expires_at, next_slot FROM boxes').all() as Row[]).map((r) => ({
      tmpId: r.tmp_id,
      boxId: new Uint8Array(r.box_id),
      sealPublic: new Uint8Array(r.seal_pub),
      expiresAt: r.expires_at === null ? Infinity : r.expires_at,
      nextSlot: r.next_slot,
    }));
  }

  close(): void {
    this.db.close();
  }
}
