/**
 * What one client of the embedded broker may cost the MSS (docs/protocol.md §7.6 "Admission under load").
 * A token bucket per connection for publishes and one for JOIN cells, a cap on subscriptions, a packet-size
 * cap, a total connection cap; every violation is dropped and counted by reason, and a connection that
 * keeps violating (its strike bucket runs dry) is disconnected. Nothing here records who a client is: the
 * buckets live and die with the connection (paper §5: the MSS keeps no account of devices).
 */

export interface BrokerLimits {
  /** Connections of clients other than the gateway, all together. */
  maxConnections: number;
  /** A socket that has not sent CONNECT by then is closed (it holds a connection slot meanwhile). */
  connectTimeoutMs: number;
  /** Largest MQTT packet (fixed header excluded) from a client; 0 = cellSize + 512 (a cell, its topic, slack). */
  maxPacketBytes: number;
  /** Largest packet from the gateway (beacons carry up to 16 extensions of 1 KiB). */
  gatewayMaxPacketBytes: number;
  /**
   * Publishes per connection. Beyond the rate the publish is dropped and the broker stops reading the
   * connection until a quarter of the burst is back (TCP backpressure: the excess is never even parsed).
   * A new connection starts with publishStart, so reconnecting buys little.
   */
  publishPerSec: number;
  publishBurst: number;
  publishStart: number;
  /** JOIN cells per connection: a PDA sends one per session, and retries after its JOIN timeout (15 s). */
  joinPerSec: number;
  joinBurst: number;
  joinStart: number;
  /** JOINs released to the MSS per second, all connections together, one waiting JOIN per connection. */
  joinReleasePerSec: number;
  maxSubscriptions: number;
  /** Violations a connection may commit in a burst, and how fast that allowance comes back. */
  strikeBurst: number;
  strikesPerSec: number;
}

export const DEFAULT_BROKER_LIMITS: BrokerLimits = {
  maxConnections: 1000,
  connectTimeoutMs: 10_000,
  maxPacketBytes: 0,
  gatewayMaxPacketBytes: 256 * 1024,
  publishPerSec: 50,
  publishBurst: 200,
  publishStart: 32,
  joinPerSec: 0.5,
  joinBurst: 3,
  joinStart: 2,
  joinReleasePerSec: 100,
  maxSubscriptions: 8,
  strikeBurst: 16,
  strikesPerSec: 1,
};

/** A token bucket (rate per second, capacity `burst`, `initial` tokens when made). The clock is passed in, in ms. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    now: number,
    initial = burst,
  ) {
    this.tokens = Math.min(burst, initial);
    this.last = now;
  }

  take(now: number, n = 1): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
      this.last = now;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }

  /** Milliseconds until `n` tokens are there (0 if they are now). */
  waitMs(now: number, n = 1): number {
    this.take(now, 0);
    if (this.tokens >= n) return 0;
    return this.ratePerSec > 0 ? Math.ceil(((n - this.tokens) / this.ratePerSec) * 1000) : Infinity;
  }
}

/** Drop counters by reason, and disconnections by the reason of the last strike. */
export interface BrokerStats {
  rejected: Record<string, number>;
  disconnected: Record<string, number>;
  connections: number;
  /** Publishes from clients other than the gateway that the broker parsed (taken, dropped or not). */
  publishesIn: number;
  joinsReleased: number;
}

export function newBrokerStats(): BrokerStats {
  return { rejected: {}, disconnected: {}, connections: 0, publishesIn: 0, joinsReleased: 0 };
}

export function count(m: Record<string, number>, reason: string): void {
  m[reason] = (m[reason] || 0) + 1;
}

export function checkLimits(l: BrokerLimits): void {
  for (const k of Object.keys(DEFAULT_BROKER_LIMITS) as (keyof BrokerLimits)[]) {
    const v = l[k];
    if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new Error('broker limit ' + k + ' must be a finite number >= 0');
  }
  if (l.maxConnections < 1 || l.publishBurst < 1 || l.joinBurst < 1 || l.strikeBurst < 1 || l.publishStart < 1 || l.joinStart < 1 || l.joinReleasePerSec <= 0) {
    throw new Error('broker limits: maxConnections, publishBurst, publishStart, joinBurst, joinStart, strikeBurst must be >= 1, joinReleasePerSec > 0');
  }
}
