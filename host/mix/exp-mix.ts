/**
 * An exponential (continuous-time) mix (Danezis, "The Traffic Analysis of Continuous-Time Mixes"):
 * every message is held for its own independent delay drawn from Exp(μ), mean 1/μ, whatever else is
 * in the queue. For a given mean delay this mix gives the most anonymity, log2(λe/μ) bits for
 * Poisson arrivals at λ (host/mix/entropy.ts). It answers the weakness of paper §6.1: whoever watches
 * the air near the MSS and the mail leaving it can otherwise match Bob's burst of cells to the mail
 * a moment later.
 *
 * Delays come from the CSPRNG (−ln U / μ with U uniform in (0, 1] from crypto.randomFillSync): a
 * predictable generator would let the attacker undo the mix. Clock and timers are injected, so the
 * bench and the tests run hours of mix time without waiting. Release is deliver-then-delete; a
 * failed delivery is retried with a growing delay, a permanent failure (or too many) drops it.
 */
import { randomFillSync } from 'node:crypto';
import type { Logger } from '../common/log';
import { EntropyTracker } from './entropy';
import { MixStats, type MixStatsSnapshot } from './mix-stats';
import type { MixQueue } from './queue';

export interface MixClock {
  /** Milliseconds. */
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: MixClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimer: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** The queue holds --mix-max-queued messages already; the sender should try again later. */
export class MixFullError extends Error {
  readonly reason = 'mix_full';
}

/** Thrown by a deliver function when retrying cannot help (e.g. a 5xx from the smarthost). */
export class PermanentDeliveryError extends Error {}

const pool = Buffer.alloc(4096);
let poolAt = pool.length;

/** A uniform number in (0, 1] with 53 random bits from the CSPRNG (never 0, so −ln U is finite). */
export function cryptoUniform(): number {
  if (poolAt + 8 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hi = pool.readUInt32BE(poolAt) >>> 11; // 21 bits
  const lo = pool.readUInt32BE(poolAt + 4); // 32 bits
  pool.fill(0, poolAt, poolAt + 8);
  poolAt += 8;
  return (hi * 4294967296 + lo + 1) / 9007199254740992;
}

/** Inverse-CDF sample of Exp(μ) in seconds: −ln(U)/μ. */
export function expDelaySec(mu: number, uniform: () => number = cryptoUniform): number {
  // + 0 turns −0 (U = 1) into 0.
  return -Math.log(uniform()) / mu + 0;
}

export interface ExpMixOptions {
  /** "out" or "in": a name for the log and the statistics, never an identifier of a message. */
  lane: string;
  meanDelaySec: number;
  maxQueued: number;
  queue: MixQueue;
  /** Hand the message on; throw/reject to retry later, PermanentDeliveryError to drop it. */
  deliver(payload: Uint8Array): void | Promise<void>;
  clock?: MixClock;
  /** Uniform in (0, 1]; default the CSPRNG. Only tests replace it. */
  uniform?: () => number;
  log?: Logger | null;
  /** Window over which the arrival rate λ is measured (default 3600 s). */
  rateWindowSec?: number;
  maxInFlight?: number;
  retryDelaySec?: number;
  maxAttempts?: number;
  onRelease?(r: { bits: number; queued: number; at: number }): void;
  onDrop?(err: unknown): void;
}

export class ExpMix {
  readonly mu: number;
  private readonly clock: MixClock;
  private readonly tracker: EntropyTracker;
  private readonly statsLog: MixStats;
  private readonly inFlight = new Set<number>();
  private timer: unknown = null;
  private timerAt = Infinity;
  private stopped = false;
  private pumping = false;
  private idle: (() => void)[] = [];

  constructor(private readonly o: ExpMixOptions) {
    if (!(o.meanDelaySec > 0) || !Number.isFinite(o.meanDelaySec)) throw new RangeError('mean delay must be a positive number of seconds');
    if (!(o.maxQueued >= 1)) throw new RangeError('maxQueued must be at least 1');
    this.mu = 1 / o.meanDelaySec;
    this.clock = o.clock || systemClock;
    this.tracker = new EntropyTracker(this.mu);
    this.statsLog = new MixStats(o.lane, this.mu, () => this.clock.now(), o.log ?? null, o.rateWindowSec ?? 3600);
    // After a restart the stored messages are still inside as far as anyone watching knows.
    for (const a of o.queue.pendingArrivals()) this.tracker.arrive(a / 1000);
  }

  /** Messages held (in flight included). */
  get size(): number {
    return this.o.queue.size;
  }

  stats(): MixStatsSnapshot {
    return this.statsLog.stats();
  }

  /** Arm the timer for what is stored (call once, after a restart too). */
  start(): void {
    this.pump();
  }

  /**
   * Take a message: stored (durably, for a durable queue) before this returns, so the caller may
   * acknowledge it to its sender then. Throws MixFullError at the bound.
   */
  accept(payload: Uint8Array): { releaseAt: number } {
    if (this.stopped) throw new Error('mix stopped');
    if (this.o.queue.size >= this.o.maxQueued) throw new MixFullError('mix queue full (' + this.o.maxQueued + ' messages)');
    const now = this.clock.now();
    const releaseAt = now + expDelaySec(this.mu, this.o.uniform) * 1000;
    this.o.queue.add(now, releaseAt, payload);
    this.tracker.arrive(now / 1000);
    this.statsLog.arrived(now / 1000, this.tracker.depth);
    if (releaseAt < this.timerAt) this.pump();
    return { releaseAt };
  }

  private arm(at: number, now: number): void {
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timerAt = at;
    // Node timers hold at most 2^31−1 ms; re-check at least hourly.
    const ms = Math.min(Math.max(0, at - now), 3_600_000);
    this.timer = this.clock.setTimer(() => {
      this.timer = null;
      this.timerAt = Infinity;
      this.pump();
    }, ms);
  }

  private next(): { id: number; releaseAt: number } | null {
    for (const e of this.o.queue.earliest(this.inFlight.size + 1)) if (!this.inFlight.has(e.id)) return e;
    return null;
  }

  private pump(): void {
    if (this.stopped || this.pumping) return;
    this.pumping = true;
    try {
      const maxInFlight = this.o.maxInFlight ?? 8;
      while (this.inFlight.size < maxInFlight) {
        const e = this.next();
        const now = this.clock.now();
        if (!e) {
          if (this.timer !== null) this.clock.clearTimer(this.timer);
          this.timer = null;
          this.timerAt = Infinity;
          break;
        }
        if (e.releaseAt > now) {
          if (e.releaseAt !== this.timerAt || this.timer === null) this.arm(e.releaseAt, now);
          break;
        }
        this.release(e.id, now);
      }
    } finally {
      this.pumping = false;
    }
    if (this.inFlight.size === 0) for (const f of this.idle.splice(0)) f();
  }

  private release(id: number, now: number): void {
    const entry = this.o.queue.get(id);
    if (!entry) return;
    this.inFlight.add(id);
    if (entry.attempts === 0) {
      const bits = this.tracker.release();
      this.statsLog.released(bits, this.tracker.depth);
      this.o.onRelease?.({ bits, queued: this.tracker.depth, at: now });
    }
    let r: void | Promise<void>;
    try {
      r = this.o.deliver(entry.payload);
    } catch (e) {
      this.settle(id, entry.attempts, e);
      return;
    }
    if (r && typeof (r as Promise<void>).then === 'function') {
      (r as Promise<void>).then(
        () => {
          this.settle(id, entry.attempts, null);
          this.pump();
        },
        (e) => {
          this.settle(id, entry.attempts, e);
          this.pump();
        },
      );
    } else this.settle(id, entry.attempts, null);
  }

  private settle(id: number, attempts: number, err: unknown): void {
    this.inFlight.delete(id);
    const maxAttempts = this.o.maxAttempts ?? 8;
    if (err === null) this.o.queue.remove(id);
    else if (err instanceof PermanentDeliveryError || attempts + 1 >= maxAttempts) {
      this.o.queue.remove(id);
      this.statsLog.droppedOne(this.tracker.depth);
      this.o.onDrop?.(err);
    } else {
      const retrySec = (this.o.retryDelaySec ?? 60) * Math.pow(2, attempts);
      this.o.queue.reschedule(id, this.clock.now() + retrySec * 1000, attempts + 1);
      this.statsLog.retriedOne();
    }
    if (this.stopped && this.inFlight.size === 0) for (const f of this.idle.splice(0)) f();
  }

  /** Stop releasing; waits for deliveries in flight. What is stored stays stored. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) this.clock.clearTimer(this.timer);
    this.timer = null;
    if (this.inFlight.size > 0) await new Promise<void>((res) => this.idle.push(res));
  }
}
