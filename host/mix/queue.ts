/**
 * What an exponential mix keeps per message (host/mix/exp-mix.ts) and the queue interface it keeps it
 * in: durable on SQLite for the MSS (host/mix/mix-store.ts), in memory for the bench.
 */

export interface MixEntry {
  id: number;
  /** Milliseconds on the mix's clock. */
  arrivedAt: number;
  releaseAt: number;
  /** Failed delivery attempts so far (0: never released). */
  attempts: number;
  payload: Uint8Array;
}

export interface MixQueue {
  /** Messages held, in flight included. */
  readonly size: number;
  add(arrivedAt: number, releaseAt: number, payload: Uint8Array): number;
  /** The `limit` entries with the earliest release times, earliest first. */
  earliest(limit: number): { id: number; releaseAt: number }[];
  get(id: number): MixEntry | null;
  remove(id: number): void;
  reschedule(id: number, releaseAt: number, attempts: number): void;
  /** Arrival times of the entries never released yet (to rebuild the entropy metric after a restart). */
  pendingArrivals(): number[];
}

/** The bench's queue: a sorted array (release time, id), enough for the depths a bench row reaches. */
export class MemoryQueue implements MixQueue {
  private readonly byId = new Map<number, MixEntry>();
  private readonly order: MixEntry[] = [];
  private nextId = 1;

  get size(): number {
    return this.byId.size;
  }

  private indexOf(e: { releaseAt: number; id: number }): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const m = this.order[mid];
      if (m.releaseAt < e.releaseAt || (m.releaseAt === e.releaseAt && m.id < e.id)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(arrivedAt: number, releaseAt: number, payload: Uint8Array): number {
    const e: MixEntry = { id: this.nextId++, arrivedAt, releaseAt, attempts: 0, payload };
    this.byId.set(e.id, e);
    this.order.splice(this.indexOf(e), 0, e);
    return e.id;
  }

  earliest(limit: number): { id: number; releaseAt: number }[] {
    return this.order.slice(0, limit).map((e) => ({ id: e.id, releaseAt: e.releaseAt }));
  }

  get(id: number): MixEntry | null {
    return this.byId.get(id) || null;
  }

  remove(id: number): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.byId.delete(id);
    const i = this.indexOf(e);
    if (this.order[i] === e) this.order.splice(i, 1);
  }

  reschedule(id: number, releaseAt: number, attempts: number): void {
    const e = this.byId.get(id);
    if (!e) return;
    this.remove(id);
    e.releaseAt = releaseAt;
    e.attempts = attempts;
    this.byId.set(id, e);
    this.order.splice(this.indexOf(e), 0, e);
  }

  pendingArrivals(): number[] {
    const out: number[] = [];
    for (const e of this.byId.values()) if (e.attempts === 0) out.push(e.arrivedAt);
    return out.sort((a, b) => a - b);
  }
}
