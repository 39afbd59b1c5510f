/**
 * Replay protection for JOIN (docs/protocol.md §5). A JOIN echoes the beacon nonce of the beacon it
 * answers; the MSS accepts only the current and the previous beacon nonce, and remembers, per beacon
 * nonce, the ephemeral keys of JOINs it has processed. A replayed JOIN (same epk) is ignored silently,
 * before it can look like a K_BD collision. Memory is bounded: entries die with their beacon nonce,
 * and each epoch holds at most `maxPerEpoch` entries (beyond that JOINs are dropped and counted).
 */
import { equalBytes, toHex } from '../../shared/src/bytes';

interface Epoch {
  nonce: Uint8Array;
  seen: Set<string>;
}

export class JoinReplayCache {
  private epochs: Epoch[] = [];
  constructor(private readonly maxPerEpoch = 100_000) {}

  /** Start a new beacon epoch; the one before stays valid, older ones are forgotten. */
  rotate(nonce: Uint8Array): void {
    this.epochs.unshift({ nonce, seen: new Set() });
    if (this.epochs.length > 2) this.epochs.length = 2;
  }

  /** 'fresh' (recorded now), 'replay', 'stale_beacon' (nonce not current/previous) or 'full'. */
  admit(beaconNonce: Uint8Array, epk: Uint8Array): 'fresh' | 'replay' | 'stale_beacon' | 'full' {
    const e = this.epochs.find((x) => equalBytes(x.nonce, beaconNonce));
    if (!e) return 'stale_beacon';
    const k = toHex(epk);
    for (const x of this.epochs) if (x.seen.has(k)) return 'replay';
    if (e.seen.size >= this.maxPerEpoch) return 'full';
    e.seen.add(k);
    return 'fresh';
  }

  size(): number {
    return this.epochs.reduce((n, e) => n + e.seen.size, 0);
  }
}
