/**
 * Admission under load (docs/protocol.md §7.6): the token bucket, the broker's fair JOIN scheduler, the
 * gateway's JOIN queue with its CPU slice, and the cap on pending sessions, each driven by long random
 * sequences against a simulated clock; the core's pending/evict hooks against the real core.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { JoinQueue, PendingSessions, joinRateFor, DEFAULT_ADMISSION, checkAdmission } from '../../host/mss/admission';
import { TokenBucket, checkLimits, DEFAULT_BROKER_LIMITS } from '../../host/mss/broker-limits';
import { FairJoinScheduler } from '../../host/mss/join-scheduler';
import { BYE_IDLE_TIMEOUT, MSG_ACCEPT, MSG_BYE, MSG_DATA } from '../../shared/src/protocol/constants';
import { RefPda, makeCore } from '../helpers/mss-fixture';

afterEach(() => {
  vi.useRealTimers();
});

describe('TokenBucket', () => {
  it('never grants more than initial + rate × elapsed, nor more than the burst at once', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 300 }),
        (rate, burst, initial, steps) => {
          const b = new TokenBucket(rate, burst, 0, initial);
          let t = 0;
          let granted = 0;
          for (const dt of steps) {
            t += dt;
            let now = 0;
            while (b.take(t)) now++;
            expect(now).toBeLessThanOrEqual(burst);
            granted += now;
            expect(granted).toBeLessThanOrEqual(Math.min(burst, initial) + (rate * t) / 1000 + 1e-9);
          }
        },
      ),
    );
  });

  it('refuses limits that are not finite numbers >= 0, and admission slices that take all the CPU', () => {
    expect(() => checkLimits({ ...DEFAULT_BROKER_LIMITS, publishPerSec: NaN })).toThrow(/publishPerSec/);
    expect(() => checkLimits({ ...DEFAULT_BROKER_LIMITS, maxConnections: 0 })).toThrow(/maxConnections/);
    expect(() => checkLimits({ ...DEFAULT_BROKER_LIMITS, joinReleasePerSec: 0 })).toThrow();
    expect(() => checkAdmission({ ...DEFAULT_ADMISSION, sliceMs: 10, periodMs: 10 })).toThrow(/sliceMs/);
    expect(() => checkAdmission({ ...DEFAULT_ADMISSION, maxQueuedJoins: 0 })).toThrow(/maxQueuedJoins/);
  });

  it('keeps one epoch of JOINs under the replay record cap, whatever the beacon period', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.integer({ min: 1, max: 10_000 }), (period, rate) => {
        const r = joinRateFor({ ...DEFAULT_ADMISSION, maxJoinsPerSec: rate }, period);
        expect(r).toBeGreaterThanOrEqual(1);
        expect(r).toBeLessThanOrEqual(rate);
        if (r > 1) expect(r * 2 * period).toBeLessThanOrEqual(100_000);
      }),
    );
  });
});

describe('FairJoinScheduler', () => {
  it('holds at most one JOIN per connection, releases in queueing order, within the rate', () => {
    vi.useFakeTimers();
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({ k: fc.constant('offer' as const), conn: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ k: fc.constant('forget' as const), conn: fc.integer({ min: 0, max: 9 }) }),
            fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 300 }) }),
          ),
          { maxLength: 400 },
        ),
        (ops) => {
          let now = 0;
          const released: number[] = [];
          const s = new FairJoinScheduler<number>(20, (cell) => released.push(cell[0]), () => now);
          const waiting: number[] = [];
          let seq = 0;
          let total = 0;
          for (const o of ops) {
            if (o.k === 'offer') {
              // The model: one waiting JOIN per connection, in queueing order.
              const expectOk = !waiting.includes(o.conn);
              if (expectOk) waiting.push(o.conn);
              expect(s.offer(o.conn, new Uint8Array([o.conn, seq++ & 255]))).toBe(expectOk);
            } else if (o.k === 'forget') {
              s.forget(o.conn);
              const i = waiting.indexOf(o.conn);
              if (i >= 0) waiting.splice(i, 1);
            } else {
              now += o.ms;
              vi.advanceTimersByTime(o.ms);
            }
            expect(s.size).toBeLessThanOrEqual(10);
            total += released.length;
            // Never faster than the rate (plus its small burst).
            expect(total).toBeLessThanOrEqual(2 + (20 * now) / 1000 + 1e-9);
            // Whatever was released came out in the order the connections queued it.
            while (released.length > 0 && waiting.length > 0 && released[0] === waiting[0]) {
              released.shift();
              waiting.shift();
            }
            expect(s.size).toBe(waiting.length);
            expect(released).toEqual([]);
          }
          s.close();
        },
      ),
      { numRuns: 100 },
    );
  });

  it('refuses a second JOIN from a connection that has one waiting', () => {
    let now = 0;
    const out: number[] = [];
    const s = new FairJoinScheduler<string>(1, (c) => out.push(c[0]), () => now);
    expect(s.offer('a', new Uint8Array([1]))).toBe(true); // released at once (burst 1)
    expect(s.offer('a', new Uint8Array([2]))).toBe(true); // waits
    expect(s.offer('a', new Uint8Array([3]))).toBe(false);
    expect(s.offer('b', new Uint8Array([4]))).toBe(true);
    expect(out).toEqual([1]);
    now = 1000;
    s.pump();
    expect(out).toEqual([1, 2]);
    s.forget('b');
    now = 5000;
    s.pump();
    expect(out).toEqual([1, 2]);
    s.close();
  });
});

describe('JoinQueue', () => {
  it('stays bounded, drops the oldest, never opens faster than its rate, never takes more than its slice', () => {
    vi.useFakeTimers();
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.oneof(fc.integer({ min: 1, max: 30 }).map((n) => ({ push: n })), fc.integer({ min: 1, max: 100 }).map((ms) => ({ wait: ms }))), { maxLength: 200 }),
        (max, ops) => {
          let now = 0;
          let next = 0;
          const opened: number[] = [];
          let sliceStart = -1;
          const q = new JoinQueue({ maxQueuedJoins: max, ratePerSec: 200, sliceMs: 4, periodMs: 10 }, (c) => {
            opened.push(c[0] | (c[1] << 8));
            now += 1; // each JOIN costs 1 ms of CPU
            if (sliceStart >= 0) expect(now - sliceStart).toBeLessThanOrEqual(4 + 1);
          }, () => now);
          const run = q.run.bind(q);
          q.run = () => {
            sliceStart = now;
            run();
            sliceStart = -1;
          };
          for (const o of ops) {
            if ('push' in o) for (let i = 0; i < o.push; i++) q.push(new Uint8Array([next & 255, (next++ >> 8) & 255]));
            else {
              now += o.wait;
              vi.advanceTimersByTime(o.wait);
            }
            expect(q.length).toBeLessThanOrEqual(max);
            expect(opened.length).toBeLessThanOrEqual(Math.ceil((200 * 10) / 1000) + (200 * now) / 1000 + 1e-9);
            // Opened in arrival order (the oldest are dropped, never reordered).
            for (let i = 1; i < opened.length; i++) expect(opened[i]).toBeGreaterThan(opened[i - 1]);
          }
          expect(q.stats.processed + q.length + (q.stats.dropped.join_queue_full || 0)).toBe(q.stats.queued);
          q.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('PendingSessions', () => {
  it('never lets more than the cap be pending, and evicts only the oldest pending', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.oneof(fc.constant({ k: 'admit' as const }), fc.nat(60).map((i) => ({ k: 'settle' as const, i })), fc.nat(60).map((i) => ({ k: 'end' as const, i }))), { maxLength: 300 }),
        (max, ops) => {
          const live = new Map<string, { pending: boolean; n: number }>();
          const evicted: string[] = [];
          const p = new PendingSessions(max, {
            pending: (id) => live.get(id)?.pending,
            evict: (id) => {
              const s = live.get(id);
              expect(s?.pending).toBe(true);
              // Only the oldest pending one goes.
              const older = [...live.entries()].filter(([, v]) => v.pending && v.n < s!.n);
              expect(older).toEqual([]);
              live.delete(id);
              evicted.push(id);
              return true;
            },
          });
          let n = 0;
          for (const o of ops) {
            if (o.k === 'admit') {
              const id = 's' + n;
              live.set(id, { pending: true, n: n++ });
              p.admitted(id);
            } else if (o.k === 'settle') {
              const s = live.get('s' + o.i);
              if (s) s.pending = false;
            } else live.delete('s' + o.i);
            expect([...live.values()].filter((v) => v.pending).length).toBeLessThanOrEqual(max);
            expect(p.tracked).toBeLessThanOrEqual(max + 1);
          }
          expect(p.stats.evicted).toBe(evicted.length);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the core: pending until the first DATA, evict ends with BYE(1) and frees the session', () => {
    const f = makeCore();
    const a = new RefPda(f);
    const r = f.core.handleUp(a.joinCell());
    expect(r).toMatchObject({ ok: true, what: 'join' });
    const tmpId = (r as { tmpId: string }).tmpId;
    expect(a.inbox()[0].type).toBe(MSG_ACCEPT);
    expect(f.core.pending(tmpId)).toBe(true);
    f.core.handleUp(a.cell({ type: MSG_DATA, channel: 0, payload: new Uint8Array([1]) }));
    expect(f.core.pending(tmpId)).toBe(false);
    expect(f.core.pending('nosuchsession')).toBeUndefined();
    a.inbox();
    expect(f.core.evict(tmpId)).toBe(true);
    expect(a.inbox()).toEqual([{ type: MSG_BYE, reason: BYE_IDLE_TIMEOUT }]);
    expect(f.core.sessions.size).toBe(0);
    expect(f.core.stats.ended.evicted_pending).toBe(1);
    expect(f.core.evict(tmpId)).toBe(false);
  });
});
