/**
 * The Pseudo Tracker's rating (Extended Nymble §2.2, Algorithm 2 step 5 "any chosen function f") and
 * the NM's number of blocked linkability windows (Algorithm 3).
 *
 * - A new user starts at 10 (§2.3).
 * - The k-th offence (at most one counted per linkability window) lowers the rating by k:
 *   10 → 9 → 7 → 4 → 0. A first offence costs little; a habit costs fast.
 * - Blocked windows = 1 + ⌊(10 − rating)² / 4⌋: 1 (the rest of the current window, as in Nymble)
 *   at rating 9, 3 at 7, 10 at 4, 26 at 0. "Windows" counts the current one.
 * Ratings never recover here; a deployment that wants forgiveness adds it in nextRating.
 */
export const INITIAL_RATING = 10;

export function nextRating(rating: number, offences: number): number {
  return Math.max(0, rating - Math.max(1, offences));
}

export function blockWindows(rating: number): number {
  const r = Math.min(INITIAL_RATING, Math.max(0, rating));
  return 1 + Math.floor(((INITIAL_RATING - r) * (INITIAL_RATING - r)) / 4);
}
