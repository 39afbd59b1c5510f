/** The board Clock on Node timers, with numeric ids (as Espruino's) and a way to stop them all at power-off. */
import type { Clock } from '../../firmware/src/board';

export interface NodeClock extends Clock {
  /** Cancel every pending timer (the board's power switch). */
  stopAll(): void;
}

export function nodeClock(): NodeClock {
  const timers = new Map<number, NodeJS.Timeout>();
  let next = 1;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = next++;
      timers.set(
        id,
        setTimeout(() => {
          timers.delete(id);
          fn();
        }, ms),
      );
      return id;
    },
    clearTimeout(id) {
      const t = timers.get(id);
      if (t) clearTimeout(t);
      timers.delete(id);
    },
    stopAll() {
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
    },
  };
}
