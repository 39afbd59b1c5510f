/**
 * Fair release of JOIN cells to the MSS (docs/protocol.md §7.6). Every JOIN costs the MSS one X25519
 * (§3.1), so the broker lets each connection have at most one JOIN waiting, and releases waiting JOINs
 * in the order their connections queued them, at a fixed rate for all connections together. A flood on
 * many connections then delays an honest JOIN by at most (waiting connections) / rate, whatever the
 * flooders send; a connection that closes takes its waiting JOIN with it.
 */
import { TokenBucket } from './broker-limits';

export class FairJoinScheduler<K> {
  /** Insertion order of a Map is the release order: one entry per connection. */
  private readonly waiting = new Map<K, Uint8Array>();
  private readonly bucket: TokenBucket;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    ratePerSec: number,
    private readonly release: (cell: Uint8Array) => void,
    private readonly now: () => number = Date.now,
  ) {
    // A burst of a tenth of a second's worth smooths release without letting a backlog out at once.
    this.bucket = new TokenBucket(ratePerSec, Math.max(1, Math.ceil(ratePerSec / 10)), now());
  }

  get size(): number {
    return this.waiting.size;
  }

  /** Queue `cell` for connection `key`; false if that connection already has a JOIN waiting. */
  offer(key: K, cell: Uint8Array): boolean {
    if (this.closed || this.waiting.has(key)) return false;
    this.waiting.set(key, cell);
    this.pump();
    return true;
  }

  /** The connection went away: its waiting JOIN is not worth an X25519 any more. */
  forget(key: K): void {
    this.waiting.delete(key);
  }

  /** Release what the rate allows now; come back when the next token is due. */
  pump(): void {
    if (this.closed) return;
    const now = this.now();
    for (const [key, cell] of this.waiting) {
      if (!this.bucket.take(now)) break;
      this.waiting.delete(key);
      this.release(cell);
    }
    if (this.waiting.size > 0 && !this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.pump();
      }, Math.max(1, this.bucket.waitMs(this.now())));
      this.timer.unref();
    }
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.waiting.clear();
  }
}
