/**
 * A clock the caller moves by hand, for the bench and the tests: hours of mix time in milliseconds of
 * real time. Timers fire in time order as the clock passes them.
 */
import type { MixClock } from './exp-mix';

export class ManualClock implements MixClock {
  private t: number;
  private seq = 0;
  private readonly timers: { at: number; id: number; fn: () => void }[] = [];

  constructor(startMs = 0) {
    this.t = startMs;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.push({ at: this.t + Math.max(0, ms), id, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    const i = this.timers.findIndex((x) => x.id === handle);
    if (i >= 0) this.timers.splice(i, 1);
  }

  /** Timers still armed. */
  get pending(): number {
    return this.timers.length;
  }

  /** Move to `ms`, firing every timer due on the way in order (at most maxFires, a guard against a runaway loop). */
  advanceTo(ms: number, maxFires = 10_000_000): void {
    for (let fired = 0; fired < maxFires; fired++) {
      let k = -1;
      for (let i = 0; i < this.timers.length; i++) if (this.timers[i].at <= ms && (k < 0 || this.timers[i].at < this.timers[k].at)) k = i;
      if (k < 0) break;
      const tm = this.timers.splice(k, 1)[0];
      if (tm.at > this.t) this.t = tm.at;
      tm.fn();
    }
    if (ms > this.t) this.t = ms;
  }
}
