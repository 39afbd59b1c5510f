/**
 * Time in Nymble (Extended Nymble §2.6): linkability windows of duration W, each split into L time
 * periods of duration T (W = L·T). Windows are numbered from 1 since the epoch, periods 1..L within a
 * window. Paper defaults: T = 5 min, W = 1 day, so L = 288.
 */
export const DEFAULT_PERIOD_MS = 5 * 60 * 1000;
export const DEFAULT_PERIODS_PER_WINDOW = 288;

export interface NymbleTime {
  /** Duration T of a time period, ms. */
  periodMs: number;
  /** L: time periods per linkability window. */
  periodsPerWindow: number;
}

export interface Epoch {
  /** Linkability window, 1-based. */
  w: number;
  /** Time period within the window, 1..L. */
  t: number;
}

export function defaultTime(): NymbleTime {
  return { periodMs: DEFAULT_PERIOD_MS, periodsPerWindow: DEFAULT_PERIODS_PER_WINDOW };
}

export function checkTime(tm: NymbleTime): NymbleTime {
  if (!Number.isInteger(tm.periodMs) || tm.periodMs < 1) throw new Error('time period T must be a positive integer (ms)');
  if (!Number.isInteger(tm.periodsPerWindow) || tm.periodsPerWindow < 1 || tm.periodsPerWindow > 0xffff) {
    throw new Error('periods per window L must be 1..65535');
  }
  return tm;
}

export function epochAt(tm: NymbleTime, nowMs: number): Epoch {
  const p = Math.floor(nowMs / tm.periodMs);
  return { w: Math.floor(p / tm.periodsPerWindow) + 1, t: (p % tm.periodsPerWindow) + 1 };
}

/** The start of period (w, t), ms since the epoch (for tests and clocks that step through time). */
export function startOf(tm: NymbleTime, e: Epoch): number {
  return ((e.w - 1) * tm.periodsPerWindow + (e.t - 1)) * tm.periodMs;
}
