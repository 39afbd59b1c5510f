/**
 * Group commit for the SQLite ledger: requests that arrive while the ledger is busy share ONE
 * `BEGIN IMMEDIATE … COMMIT` and so one fsync (synchronous=FULL), instead of one each.
 *
 * better-sqlite3 is synchronous: a COMMIT (with its fsync) blocks the event loop, and requests that
 * arrive meanwhile wait in the kernel's socket buffers. `run()` only queues the job; the queue is
 * drained on the next turn of the loop (setImmediate; COMMIT_DELAY_MS later under concurrent load),
 * after every request that became readable meanwhile has done its CPU work (verification, signing)
 * and queued its rows. So the busier the bank, the larger the group, and one fsync is paid per group.
 *
 * Why every invariant of one-transaction-per-request still holds:
 *  - Each job runs inside its own SAVEPOINT. A job that throws (double spend: UNIQUE on spent.y;
 *    output already signed: UNIQUE on promises.b_; a quote in the wrong state) is rolled back to
 *    its savepoint alone; the others in the group are unaffected. Jobs run one after the other in
 *    arrival order and each sees the rows of the jobs before it, so two spends of one proof in the
 *    same group conflict exactly as in two consecutive transactions, and a repeated request finds
 *    the first one's rows and gets its answer (NUT-03/NUT-04 idempotency).
 *  - No job's promise settles before COMMIT has returned: an answer (a swap's signatures, a
 *    refusal) is only sent for state that is on disk. If BEGIN or COMMIT fails, or SQLite itself
 *    rolls the transaction back (SQLITE_FULL, I/O error), every job of the group fails and nothing
 *    was acknowledged. A crash before COMMIT leaves none of the group (WAL recovery), a crash after
 *    it leaves all of it: a job is all-or-nothing either way.
 */
import type Database from 'better-sqlite3';

interface Job {
  fn: () => unknown;
  resolve(v: unknown): void;
  reject(e: unknown): void;
}

export interface GroupCommitStats {
  /** Committed groups. */
  groups: number;
  /** Jobs run (committed or refused). */
  jobs: number;
  /** Largest group so far. */
  largest: number;
}

/** Largest group: bounds the time one COMMIT holds back the answers of its first members. */
export const MAX_GROUP = 512;

/**
 * How long a group waits for more members once the bank is seen under concurrent load (the last
 * group had more than one request), like PostgreSQL's commit_delay: clients in another process
 * send their next request a moment after their answer, and without the wait each would pay its own
 * fsync. A lone request (last group of one) is committed on the next turn, not delayed.
 */
export const COMMIT_DELAY_MS = Number(process.env.HOOD_LEDGER_COMMIT_DELAY_MS ?? 2);

export class GroupCommit {
  private queue: Job[] = [];
  private scheduled = false;
  private lastSize = 0;
  readonly stats: GroupCommitStats = { groups: 0, jobs: 0, largest: 0 };
  /** Each job's savepoint, prepared once (SQLite SAVEPOINT / RELEASE / ROLLBACK TO). */
  private readonly savepoint: Database.Statement;
  private readonly release: Database.Statement;
  private readonly rollbackTo: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly maxGroup = MAX_GROUP,
    private readonly delayMs = COMMIT_DELAY_MS,
    /** Called after every successful COMMIT (the ledger nudges its WAL checkpointer). */
    private readonly afterCommit?: () => void,
  ) {
    this.savepoint = db.prepare('SAVEPOINT group_job');
    this.release = db.prepare('RELEASE group_job');
    this.rollbackTo = db.prepare('ROLLBACK TO group_job');
  }

  /** One job in its own savepoint: its writes are undone alone if it throws. */
  private runJob(fn: () => unknown): { ok: boolean; v: unknown } {
    this.savepoint.run();
    try {
      const v = fn();
      this.release.run();
      return { ok: true, v };
    } catch (e) {
      // After an abort SQLite has already rolled the whole transaction back; nothing to undo here.
      if (this.db.inTransaction) {
        this.rollbackTo.run();
        this.release.run();
      }
      return { ok: false, v: e };
    }
  }

  /** Run `fn` inside the next group's transaction (in a savepoint); settles after COMMIT. */
  run<T>(fn: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        if (this.lastSize > 1 && this.delayMs > 0) setTimeout(() => this.drain(), this.delayMs);
        else setImmediate(() => this.drain());
      }
    });
  }

  /** Jobs queued and not yet committed. */
  pending(): number {
    return this.queue.length;
  }

  /** Commit everything queued now (close() calls this so no queued job is dropped). */
  drain(): void {
    this.scheduled = false;
    for (let guard = 0; this.queue.length > 0 && guard < 1_000_000; guard++) this.commitOne();
  }

  private commitOne(): void {
    const group = this.queue.splice(0, this.maxGroup);
    if (!this.db.open) {
      for (const j of group) j.reject(new Error('ledger closed'));
      return;
    }
    const outcomes: { ok: boolean; v: unknown }[] = [];
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (e) {
      for (const j of group) j.reject(e);
      return;
    }
    let aborted: unknown = null;
    for (let i = 0; i < group.length; i++) {
      try {
        outcomes.push(this.runJob(group[i].fn));
      } catch (e) {
        // SAVEPOINT, RELEASE or ROLLBACK TO itself failed (I/O error): checked just below.
        outcomes.push({ ok: false, v: e });
      }
      if (!this.db.inTransaction) {
        // SQLite rolled the whole transaction back (disk full, I/O error): the jobs before this one
        // are gone too. Fail all of them; the rest wait for the next group.
        aborted = outcomes[i].ok ? new Error('ledger transaction aborted') : outcomes[i].v;
        this.queue.unshift(...group.splice(i + 1));
        break;
      }
    }
    if (aborted === null) {
      try {
        this.db.exec('COMMIT');
      } catch (e) {
        aborted = e;
        if (this.db.inTransaction) {
          try {
            this.db.exec('ROLLBACK');
          } catch {
            // the connection is unusable; every job of the group is refused below either way
          }
        }
      }
    }
    if (aborted !== null) {
      for (const j of group) j.reject(aborted);
      return;
    }
    if (this.afterCommit) this.afterCommit();
    this.stats.groups++;
    this.stats.jobs += group.length;
    this.lastSize = group.length;
    if (group.length > this.stats.largest) this.stats.largest = group.length;
    for (let i = 0; i < group.length; i++) {
      const o = outcomes[i];
      if (o.ok) group[i].resolve(o.v);
      else group[i].reject(o.v);
    }
  }
}
