/**
 * A SQLite file that holds what must survive a crash and must not outlive its use: created mode 0600,
 * WAL journal with synchronous=FULL (a commit is on disk before the caller acknowledges anything), and
 * secure_delete, so deleted rows are overwritten rather than left in free pages. The mix queue and an
 * exchange server's share store open their files this way.
 */
import Database from 'better-sqlite3';
import { chmodSync, existsSync } from 'node:fs';

export function openPrivateDurableDb(file: string): Database.Database {
  const fresh = !existsSync(file);
  const db = new Database(file);
  if (fresh) chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('secure_delete = ON');
  return db;
}
