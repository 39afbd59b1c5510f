/**
 * The mix's durable queue: one SQLite file (better-sqlite3) in the MSS data dir, WAL journal and
 * synchronous=FULL, so a message is on disk before its sender is told it was accepted (the PDA's
 * status, the inbound SMTP 250). Stored release times survive a restart: nothing is lost and nothing
 * leaves before its time. Release is "deliver, then delete", so a crash between the two sends the
 * message again after the restart (at-least-once delivery). secure_delete overwrites released rows,
 * so the file does not keep who wrote to whom after a message has left. Lanes (outbound, inbound)
 * share the file and are counted and bounded separately.
 */
import type Database from 'better-sqlite3';
import { openPrivateDurableDb } from '../common/private-sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { MixEntry, MixQueue } from './queue';

export class MixStore {
  private readonly db: Database.Database;

  private constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = openPrivateDurableDb(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS mix_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      lane TEXT NOT NULL,
      arrived_at INTEGER NOT NULL,
      release_at INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      payload BLOB NOT NULL
    );
    CREATE INDEX IF NOT EXISTS mix_queue_release ON mix_queue (lane, release_at, id);`);
  }

  static open(file: string): MixStore {
    return new MixStore(file);
  }

  /** The queue of one lane (e.g. "out": mail to the smarthost, "in": replies to TmpIds). */
  lane(name: string): MixQueue {
    const db = this.db;
    const count = db.prepare('SELECT COUNT(*) AS n FROM mix_queue WHERE lane = ?').pluck();
    const insert = db.prepare('INSERT INTO mix_queue (lane, arrived_at, release_at, payload) VALUES (?, ?, ?, ?)');
    const earliest = db.prepare('SELECT id, release_at AS releaseAt FROM mix_queue WHERE lane = ? ORDER BY release_at, id LIMIT ?');
    const get = db.prepare('SELECT id, arrived_at AS arrivedAt, release_at AS releaseAt, attempts, payload FROM mix_queue WHERE lane = ? AND id = ?');
    const del = db.prepare('DELETE FROM mix_queue WHERE lane = ? AND id = ?');
    const resched = db.prepare('UPDATE mix_queue SET release_at = ?, attempts = ? WHERE lane = ? AND id = ?');
    const pending = db.prepare('SELECT arrived_at FROM mix_queue WHERE lane = ? AND attempts = 0 ORDER BY arrived_at').pluck();
    let size = count.get(name) as number;
    return {
      get size() {
        return size;
      },
      add(arrivedAt, releaseAt, payload) {
        // Arrival rounded down and release rounded up to the millisecond: never earlier than drawn.
        const r = insert.run(name, Math.floor(arrivedAt), Math.ceil(releaseAt), Buffer.from(payload));
        size++;
        return Number(r.lastInsertRowid);
      },
      earliest(limit) {
        return earliest.all(name, limit) as { id: number; releaseAt: number }[];
      },
      get(id) {
        const row = get.get(name, id) as (Omit<MixEntry, 'payload'> & { payload: Buffer }) | undefined;
        if (!row) return null;
        return { ...row, payload: new Uint8Array(row.payload) };
      },
      remove(id) {
        if (del.run(name, id).changes > 0) size--;
      },
      reschedule(id, releaseAt, attempts) {
        resched.run(Math.ceil(releaseAt), attempts, name, id);
      },
      pendingArrivals() {
        return pending.all(name) as number[];
      },
    };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
