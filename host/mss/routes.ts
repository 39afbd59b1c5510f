/**
 * What an MSS keeps on disk so that a session outlives a restart, a broker restart or a move to another MSS
 * (docs/handoff.md; paper §6.3): per TmpId the verifier of its current session ticket, when the ticket and
 * the session expire, what the services must keep (paid-until), and — once handed off — where the TmpId
 * went, so replies to it can follow. Never a session key, K_BD, TmpMAC or anything of the air: an MSS seized
 * later must not decrypt or link old traffic. The ticket secret itself is not kept either, only SHA-256 of
 * it, compared in constant time.
 *
 * One SQLite file (WAL, synchronous FULL, secure_delete, 0600: host/common/private-sqlite.ts); a ticket is
 * written before it is handed to the PDA, and a redemption is one transaction (a ticket is redeemed once).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { TICKET_ID_LEN, TICKET_SECRET_LEN } from '../../shared/src/protocol/constants';
import { openPrivateDurableDb } from '../common/private-sqlite';

export type RouteStatus = 'live' | 'moved';

export interface Route {
  tmpId: string;
  status: RouteStatus;
  /** Unix ms after which the session may not go on anywhere (its maximum length, paper step 8). */
  sessionExpiresAt: number;
  /** Service state a resumed session keeps (payment: paid-until), by service channel. */
  state: Record<string, unknown>;
  /** For a moved TmpId: the MSS that took it over. */
  movedTo: string | null;
  /** Unix ms after which the row is deleted. */
  keepUntil: number;
}

export interface IssuedTicketRow {
  id: Uint8Array;
  secret: Uint8Array;
  expiresAt: number;
}

/** Why a ticket was not redeemed (logged and counted; the PDA only learns REFUSE 5). */
export type RedeemRefusal = 'unknown' | 'forged' | 'expired' | 'session_expired';

export interface Redeemed {
  tmpId: string;
  sessionExpiresAt: number;
  state: Record<string, unknown>;
}

interface Row {
  tmp_id: string;
  status: RouteStatus;
  ticket_id: Buffer | null;
  verifier: Buffer | null;
  ticket_expires_at: number | null;
  session_expires_at: number;
  state: string;
  moved_to: string | null;
  moved_at: number | null;
  keep_until: number;
}

/** How long the member a TmpId moved to may redeem its ticket again (its first answer lost): twice a peer time-out and more. */
export const REDEEM_AGAIN_MS = 60_000;

const verifierOf = (secret: Uint8Array) => createHash('sha256').update(secret).digest();

function toRoute(r: Row): Route {
  return { tmpId: r.tmp_id, status: r.status, sessionExpiresAt: r.session_expires_at, state: JSON.parse(r.state), movedTo: r.moved_to, keepUntil: r.keep_until };
}

export class RouteStore {
  private readonly db: Database.Database;

  /** `file` = ':memory:' keeps nothing across a restart (tests, and an MSS without a data dir). */
  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.db = file === ':memory:' ? new Database(':memory:') : openPrivateDurableDb(file);
    this.db.exec(`CREATE TABLE IF NOT EXISTS routes (
      tmp_id TEXT PRIMARY KEY,
      status TEXT NOT NULL CHECK (status IN ('live','moved')),
      ticket_id BLOB UNIQUE,
      verifier BLOB,
      ticket_expires_at INTEGER,
      session_expires_at INTEGER NOT NULL,
      state TEXT NOT NULL,
      moved_to TEXT,
      moved_at INTEGER,
      keep_until INTEGER NOT NULL
    )`);
  }

  /**
   * A fresh ticket for the live session `tmpId` (the previous one is void from now on). Stored before it is
   * returned, so a ticket the PDA holds is always one the MSS can redeem after a crash.
   */
  issue(tmpId: string, sessionExpiresAt: number, state: Record<string, unknown>, now: number, ttlMs: number): IssuedTicketRow {
    const id = new Uint8Array(randomBytes(TICKET_ID_LEN));
    const secret = new Uint8Array(randomBytes(TICKET_SECRET_LEN));
    const expiresAt = Math.min(now + ttlMs, sessionExpiresAt);
    this.db
      .prepare(
        `INSERT INTO routes (tmp_id, status, ticket_id, verifier, ticket_expires_at, session_expires_at, state, moved_to, keep_until)
         VALUES (?, 'live', ?, ?, ?, ?, ?, NULL, ?)
         ON CONFLICT(tmp_id) DO UPDATE SET status = 'live', ticket_id = excluded.ticket_id, verifier = excluded.verifier,
           ticket_expires_at = excluded.ticket_expires_at, session_expires_at = excluded.session_expires_at,
           state = excluded.state, moved_to = NULL, moved_at = NULL, keep_until = excluded.keep_until`,
      )
      .run(tmpId, Buffer.from(id), verifierOf(secret), expiresAt, sessionExpiresAt, JSON.stringify(state), sessionExpiresAt);
    return { id, secret, expiresAt };
  }

  /** The services' state of a live session changed (a payment): keep it with its route, if it has one. */
  update(tmpId: string, state: Record<string, unknown>): void {
    this.db.prepare(`UPDATE routes SET state = ? WHERE tmp_id = ? AND status = 'live'`).run(JSON.stringify(state), tmpId);
  }

  /**
   * Redeem a ticket once. `to` = null: resumed here (the row stays live, without a ticket until a new one is
   * issued); otherwise the TmpId moved to MSS `to` and the row remembers that until `forwardUntil`, so
   * replies can follow it. Any refusal changes nothing.
   */
  redeem(id: Uint8Array, secret: Uint8Array, now: number, to: string | null, forwardUntil: number): Redeemed | RedeemRefusal {
    if (id.length !== TICKET_ID_LEN || secret.length !== TICKET_SECRET_LEN) return 'unknown';
    const tx = this.db.transaction((): Redeemed | RedeemRefusal => {
      const r = this.db.prepare(`SELECT * FROM routes WHERE ticket_id = ?`).get(Buffer.from(id)) as Row | undefined;
      if (!r || !r.verifier) return 'unknown';
      const v = verifierOf(secret);
      if (!timingSafeEqual(v, r.verifier)) return 'forged';
      if (r.status === 'moved') {
        // The same member asking again within REDEEM_AGAIN_MS: our answer was lost on the way (a time-out);
        // it gets the same answer. Anyone else, or later: spent.
        if (to !== null && r.moved_to === to && now - (r.moved_at ?? 0) < REDEEM_AGAIN_MS) return { tmpId: r.tmp_id, sessionExpiresAt: r.session_expires_at, state: JSON.parse(r.state) };
        return 'unknown';
      }
      if ((r.ticket_expires_at ?? 0) <= now) return 'expired';
      if (r.session_expires_at <= now) return 'session_expired';
      if (to === null) this.db.prepare(`UPDATE routes SET ticket_id = NULL, verifier = NULL, ticket_expires_at = NULL WHERE tmp_id = ?`).run(r.tmp_id);
      else
        // The ticket id and verifier stay a little (REDEEM_AGAIN_MS) to answer a repeated redeem; sweep() clears them.
        this.db
          .prepare(`UPDATE routes SET status = 'moved', ticket_expires_at = NULL, moved_to = ?, moved_at = ?, keep_until = ? WHERE tmp_id = ?`)
          .run(to, now, forwardUntil, r.tmp_id);
      return { tmpId: r.tmp_id, sessionExpiresAt: r.session_expires_at, state: JSON.parse(r.state) };
    });
    return tx.immediate();
  }

  /** Run `fn` in one transaction (one fsync for all it writes). */
  inTransaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  get(tmpId: string): Route | undefined {
    const r = this.db.prepare(`SELECT * FROM routes WHERE tmp_id = ?`).get(tmpId) as Row | undefined;
    return r ? toRoute(r) : undefined;
  }

  /** May a session that is not live here now come back under `tmpId` (a valid ticket is out)? */
  resumable(tmpId: string, now: number): boolean {
    const r = this.db.prepare(`SELECT ticket_expires_at FROM routes WHERE tmp_id = ? AND status = 'live' AND ticket_id IS NOT NULL`).get(tmpId) as
      | { ticket_expires_at: number }
      | undefined;
    return !!r && r.ticket_expires_at > now;
  }

  /** The session ended for good (BYE, timeout): its ticket is void and its route gone. A moved route stays. */
  ended(tmpId: string): void {
    this.db.prepare(`DELETE FROM routes WHERE tmp_id = ? AND status = 'live'`).run(tmpId);
  }

  /** Delete what is past its time: routes of sessions past their limit, moved routes past forwarding. */
  sweep(now: number): number {
    this.db.prepare(`UPDATE routes SET ticket_id = NULL, verifier = NULL WHERE status = 'moved' AND ticket_id IS NOT NULL AND moved_at <= ?`).run(now - REDEEM_AGAIN_MS);
    return this.db.prepare(`DELETE FROM routes WHERE keep_until <= ?`).run(now).changes;
  }

  get size(): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM routes`).get() as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }
}
