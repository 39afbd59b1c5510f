/**
 * Running statistics of one mix lane, for the operator and the dashboard: how many messages left,
 * the anonymity each had (Danezis's entropy, host/mix/entropy.ts), the theoretical log2(λe/μ) at the
 * measured arrival rate, and the queue depth. One pino line per release carries only the entropy and
 * the depth: no recipient, TmpId, message id or time that would let a log reader link an output to
 * an input (the very link the mix exists to hide; paper §6.1).
 */
import type { Logger } from '../common/log';
import { RateWindow, theoryBits } from './entropy';

/** Releases kept for the percentile (a ring buffer, so memory is bounded). */
const RECENT = 4096;

export interface MixStatsSnapshot {
  lane: string;
  meanDelaySec: number;
  released: number;
  queued: number;
  meanBits: number;
  minBits: number;
  /** 10th percentile over the last releases (up to 4096). */
  p10Bits: number;
  theoryBits: number;
  lambdaPerSec: number;
  dropped: number;
  retried: number;
}

export class MixStats {
  private count = 0;
  private sum = 0;
  private min = Infinity;
  private readonly recent: number[] = [];
  private next = 0;
  private depth = 0;
  private dropped = 0;
  private retried = 0;
  private readonly rate: RateWindow;

  constructor(
    readonly lane: string,
    readonly mu: number,
    private readonly now: () => number,
    private readonly log: Logger | null,
    rateWindowSec: number,
  ) {
    this.rate = new RateWindow(rateWindowSec);
  }

  arrived(tSec: number, queued: number): void {
    this.rate.add(tSec);
    this.depth = queued;
  }

  released(bits: number, queued: number): void {
    this.count++;
    this.sum += bits;
    if (bits < this.min) this.min = bits;
    if (this.recent.length < RECENT) this.recent.push(bits);
    else this.recent[this.next] = bits;
    this.next = (this.next + 1) % RECENT;
    this.depth = queued;
    // Deliberately nothing that names the message (see the header).
    this.log?.info({ event: 'mix_release', lane: this.lane, entropyBits: Math.round(bits * 1000) / 1000, queueDepth: queued }, 'mix released a message');
  }

  droppedOne(queued: number): void {
    this.dropped++;
    this.depth = queued;
  }

  retriedOne(): void {
    this.retried++;
  }

  stats(): MixStatsSnapshot {
    const tSec = this.now() / 1000;
    const lambda = this.rate.rate(tSec);
    const sorted = this.recent.slice().sort((x, y) => x - y);
    const p10 = sorted.length ? sorted[Math.floor(0.1 * (sorted.length - 1))] : NaN;
    return {
      lane: this.lane,
      meanDelaySec: 1 / this.mu,
      released: this.count,
      queued: this.depth,
      meanBits: this.count ? this.sum / this.count : NaN,
      minBits: this.count ? this.min : NaN,
      p10Bits: p10,
      theoryBits: theoryBits(lambda, this.mu),
      lambdaPerSec: lambda,
      dropped: this.dropped,
      retried: this.retried,
    };
  }
}
