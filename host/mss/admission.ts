/**
 * Admission under load, on the MSS side of the broker (docs/protocol.md §7.6).
 *
 * JoinQueue: JOIN cells wait in a bounded queue (the oldest is dropped when it is full: it is the one
 * closest to its PDA's timeout) and are opened at most `maxJoinsPerSec` per second, in slices of at most
 * `sliceMs` of CPU every `periodMs`, so SESSION cells, which never wait behind it, are never starved.
 * The rate also bounds how many JOINs one beacon epoch can record (§5), so the replay record never fills.
 *
 * PendingSessions: at most `maxPendingSessions` sessions may be pending (not yet settled, e.g. not paid);
 * beyond that the oldest pending one is ended. Valid JOINs therefore cannot fill the session table, and a
 * new session lives at least maxPendingSessions / (JOIN rate) seconds, however fast a flood admits others.
 */
import { TokenBucket, count } from './broker-limits';

export interface AdmissionOptions {
  maxQueuedJoins: number;
  maxJoinsPerSec: number;
  sliceMs: number;
  periodMs: number;
  maxPendingSessions: number;
}

export const DEFAULT_ADMISSION: AdmissionOptions = {
  maxQueuedJoins: 256,
  maxJoinsPerSec: 400,
  sliceMs: 4,
  periodMs: 10,
  maxPendingSessions: 2000,
};

/** JOINs one beacon epoch may record (§5); an epoch accepts JOINs for two beacon periods. */
export const JOIN_REPLAY_PER_EPOCH = 100_000;

/** The JOIN rate that keeps one epoch's replay record under its cap for this beacon period. */
export function joinRateFor(o: AdmissionOptions, beaconPeriodSec: number): number {
  return Math.max(1, Math.min(o.maxJoinsPerSec, Math.floor(JOIN_REPLAY_PER_EPOCH / (2 * beaconPeriodSec))));
}

export function checkAdmission(o: AdmissionOptions): void {
  for (const k of Object.keys(DEFAULT_ADMISSION) as (keyof AdmissionOptions)[]) {
    if (typeof o[k] !== 'number' || !Number.isFinite(o[k]) || !(o[k] >= 1)) throw new Error('admission option ' + k + ' must be a number >= 1');
  }
  if (o.sliceMs >= o.periodMs) throw new Error('admission: sliceMs must be below periodMs (JOINs may not take all the CPU)');
}

export interface JoinQueueStats {
  queued: number;
  processed: number;
  dropped: Record<string, number>;
  maxLength: number;
}

export class JoinQueue {
  private q: Uint8Array[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly bucket: TokenBucket;
  readonly stats: JoinQueueStats = { queued: 0, processed: 0, dropped: {}, maxLength: 0 };

  constructor(
    private readonly o: { maxQueuedJoins: number; ratePerSec: number; sliceMs: number; periodMs: number },
    private readonly process: (cell: Uint8Array) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.bucket = new TokenBucket(o.ratePerSec, Math.max(1, Math.ceil((o.ratePerSec * o.periodMs) / 1000)), now());
  }

  get length(): number {
    return this.q.length - this.head;
  }

  push(cell: Uint8Array): void {
    if (this.closed) return;
    if (this.length >= this.o.maxQueuedJoins) {
      this.head++;
      count(this.stats.dropped, 'join_queue_full');
    }
    this.q.push(cell);
    this.stats.queued++;
    if (this.length > this.stats.maxLength) this.stats.maxLength = this.length;
    this.schedule(0);
  }

  private shift(): Uint8Array {
    const c = this.q[this.head++];
    // Compact now and then so the array does not keep what was taken.
    if (this.head > 1024 && this.head * 2 > this.q.length) {
      this.q = this.q.slice(this.head);
      this.head = 0;
    }
    return c;
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, ms);
  }

  /** One slice: open JOINs until the queue is empty, the slice is used up or the rate says stop. */
  run(): void {
    const t0 = this.now();
    while (this.length > 0 && this.now() - t0 < this.o.sliceMs && this.bucket.take(this.now())) {
      this.stats.processed++;
      this.process(this.shift());
    }
    if (this.length > 0) {
      const spent = this.now() - t0;
      this.schedule(Math.max(this.o.periodMs - spent, this.bucket.waitMs(this.now()), 1));
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.q = [];
    this.head = 0;
  }
}

/** What PendingSessions needs of the MSS core. */
export interface PendingAuthority {
  pending(tmpId: string): boolean | undefined;
  evict(tmpId: string): boolean;
}

export class PendingSessions {
  /** TmpIds of admitted sessions, oldest first; entries no longer pending are pruned when it overflows. */
  private fifo: string[] = [];
  readonly stats = { evicted: 0 };

  constructor(
    private readonly max: number,
    private readonly core: PendingAuthority,
  ) {}

  get tracked(): number {
    return this.fifo.length;
  }

  /** A JOIN was just accepted: track the session, and end the oldest pending ones beyond the cap. */
  admitted(tmpId: string): void {
    this.fifo.push(tmpId);
    if (this.fifo.length <= this.max) return;
    this.fifo = this.fifo.filter((id) => this.core.pending(id) === true);
    while (this.fifo.length > this.max) {
      if (this.core.evict(this.fifo.shift()!)) this.stats.evicted++;
    }
  }
}
