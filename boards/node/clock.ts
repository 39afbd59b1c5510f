/**
 * The board Clock (firmware/src/board.ts) on Node timers, for every board that runs the firmware in a
 * Node process. Ids are numbers, as Espruino's; stopAll() is the board's power switch.
 */
import type { Clock } from '../../firmware/src/board';

export class NodeClock implements Clock {
  private timers = new Map<number, NodeJS.Timeout>();
  private next = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, ms),
    );
    return id;
  }

  clearTimeout(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  /** Timers not yet fired or cleared (a closed client should leave none). */
  get active(): number {
    return this.timers.size;
  }

  /** Cancel every pending timer (the board's power switch). */
  stopAll(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
