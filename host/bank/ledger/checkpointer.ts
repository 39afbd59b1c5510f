/**
 * WAL checkpoints of the SQLite ledger on a worker thread, off the bank's event loop.
 *
 * In WAL mode every commit appends pages to the `-wal` file; a checkpoint copies them back into the
 * database file and fsyncs it, after which the next writer starts the WAL from the beginning
 * (https://sqlite.org/wal.html, "Checkpointing"). By default SQLite runs that checkpoint inside the
 * COMMIT that pushes the WAL past 1000 pages, on the committing connection: with better-sqlite3 that
 * is the bank's event loop, so every third or fourth group commit stalled for ~10 ms more, with
 * every request of the group waiting for it.
 *
 * Here a second connection on a worker thread runs `PRAGMA wal_checkpoint(PASSIVE)` after group
 * commits. PASSIVE never takes the writer lock and never waits for readers or writers, so it cannot
 * delay a commit; the pages it copies are already durable in the WAL, so nothing about when a
 * request is acknowledged changes. The checkpointing connection runs with synchronous=FULL like the
 * bank's, so the database file is fsynced before the WAL is reused. Checkpointing from another
 * connection is part of SQLite's design (sqlite3_wal_checkpoint_v2 may run on any connection).
 *
 * The bank's own connection keeps SQLite's automatic checkpoint at a higher threshold
 * (`FALLBACK_AUTOCHECKPOINT` pages) as a safety net: if the worker falls behind, stops or cannot
 * start, the WAL is still checkpointed and bounded, only on the event loop again.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** wal_autocheckpoint of the bank's connection while a worker checkpoints (SQLite's default is 1000). */
export const FALLBACK_AUTOCHECKPOINT = 8000;

/** Slots of the shared counters: written by the worker (RUNS, COMPLETE, FAILED) or the bank (NUDGES, STOP). */
const RUNS = 0;
const COMPLETE = 1;
const FAILED = 2;
const NUDGES = 3;
const STOP = 4;

/**
 * Worker source (CommonJS, evaluated as is: no TypeScript loader in the worker). It sleeps in
 * Atomics.wait until the bank bumps NUDGES, so a nudge costs the bank's loop one atomic add and a
 * futex wake, no message; nudges that arrive during a checkpoint are served by one more run.
 */
const WORKER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const c = new Int32Array(workerData.counters);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
let seen = 0;
for (;;) {
  Atomics.wait(c, ${NUDGES}, seen);
  if (Atomics.load(c, ${STOP})) break;
  seen = Atomics.load(c, ${NUDGES});
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    Atomics.add(c, ${RUNS}, 1);
    if (r && r.log === r.checkpointed) Atomics.add(c, ${COMPLETE}, 1);
  } catch (e) {
    // SQLITE_BUSY or a transient I/O error: the next nudge (or the fallback) checkpoints instead.
    Atomics.add(c, ${FAILED}, 1);
  }
}
db.close();
`;

export interface CheckpointStats {
  /** Checkpoints the worker ran. */
  runs: number;
  /** Of those, how many found the whole WAL copied back (the next writer then restarts the WAL). */
  complete: number;
  /** Checkpoints that failed (the next one, or the fallback, covers their frames). */
  failed: number;
  /** Whether the worker is alive (false: the bank's connection checkpoints by itself). */
  running: boolean;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly counters = new Int32Array(new SharedArrayBuffer(4 * 5));
  private alive = true;
  private closing: Promise<void> | null = null;

  /** `onFailure` runs once if the worker dies; the caller then restores automatic checkpoints. */
  constructor(path: string, onFailure: (e: unknown) => void) {
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { path, sqlite, counters: this.counters.buffer } });
    // The worker must never keep a finished process alive.
    this.worker.unref();
    const fail = (e: unknown) => {
      if (!this.alive) return;
      this.alive = false;
      if (!this.closing) onFailure(e);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error('checkpoint worker exited with code ' + code)));
  }

  get stats(): CheckpointStats {
    const c = this.counters;
    return { runs: Atomics.load(c, RUNS), complete: Atomics.load(c, COMPLETE), failed: Atomics.load(c, FAILED), running: this.alive };
  }

  /**
   * Ask for a checkpoint; called after every group commit. The worker starts at once, never held
   * back until an earlier checkpoint is acknowledged: the bank's loop is busy with the next group's
   * requests right after a commit, and a checkpoint that finishes before the next BEGIN lets that
   * transaction restart the WAL from its beginning instead of growing it.
   */
  nudge(): void {
    if (!this.alive || this.closing) return;
    Atomics.add(this.counters, NUDGES, 1);
    Atomics.notify(this.counters, NUDGES);
  }

  /** Close the worker's connection and end the thread (before the bank's connection closes). */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = new Promise<void>((resolve) => {
      if (!this.alive) return resolve();
      const timer = setTimeout(() => void this.worker.terminate(), 5000);
      this.worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      Atomics.store(this.counters, STOP, 1);
      Atomics.add(this.counters, NUDGES, 1);
      Atomics.notify(this.counters, NUDGES);
    });
    return this.closing;
  }
}
