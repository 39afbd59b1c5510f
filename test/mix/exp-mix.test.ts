/**
 * The exponential mix (host/mix/exp-mix.ts) on a hand-moved clock: delays are Exp(μ) (Kolmogorov–
 * Smirnov at α = 0.001 on the observed release times), nothing leaves early, the bound holds,
 * failed deliveries are retried then dropped, and the log lines carry no identifier.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createLogger } from '../../host/common/log';
import { ExpMix, MixFullError, PermanentDeliveryError, cryptoUniform, expDelaySec } from '../../host/mix/exp-mix';
import { ManualClock } from '../../host/mix/manual-clock';
import { MemoryQueue } from '../../host/mix/queue';

const enc = (i: number) => new Uint8Array(new Uint32Array([i]).buffer);
const dec = (b: Uint8Array) => new Uint32Array(b.slice(0, 4).buffer)[0];

/** KS statistic of samples against the Exp(μ) CDF. */
function ksExp(samples: number[], mu: number): number {
  const s = samples.slice().sort((a, b) => a - b);
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const f = 1 - Math.exp(-mu * s[i]);
    d = Math.max(d, Math.abs(f - i / s.length), Math.abs((i + 1) / s.length - f));
  }
  return d;
}
/** Critical value at α = 0.001: sqrt(−ln(α/2)/2)/sqrt(n). */
const ksCritical = (n: number) => Math.sqrt(-Math.log(0.001 / 2) / 2) / Math.sqrt(n);

/** Run n Poisson arrivals through a mix; observed delay of each message = release time − arrival time. */
function observedDelays(n: number, meanDelaySec: number, lambda: number) {
  const clock = new ManualClock(1_000_000);
  const arrived: number[] = [];
  const delays: number[] = [];
  let early = 0;
  const releaseAt: number[] = [];
  const mix = new ExpMix({
    lane: 'test',
    meanDelaySec,
    maxQueued: n + 1,
    queue: new MemoryQueue(),
    clock,
    log: null,
    deliver: (p) => {
      const i = dec(p);
      if (clock.now() < releaseAt[i]) early++;
      delays.push((clock.now() - arrived[i]) / 1000);
    },
  });
  mix.start();
  let t = clock.now();
  for (let i = 0; i < n; i++) {
    t += (-Math.log(cryptoUniform()) / lambda) * 1000;
    clock.advanceTo(t);
    arrived[i] = clock.now();
    releaseAt[i] = mix.accept(enc(i)).releaseAt;
  }
  for (let k = 0; k < 100 && mix.size > 0; k++) clock.advanceTo(clock.now() + 1000 * 1000 * meanDelaySec);
  return { delays, early, left: mix.size, mix };
}

describe('delays', () => {
  it('observed release delays are Exp(μ): KS test at α = 0.001 on 3000 messages, and a wrong μ is rejected', () => {
    const mu = 1 / 20;
    const { delays, early, left } = observedDelays(3000, 20, 0.5);
    expect(left).toBe(0);
    expect(delays).toHaveLength(3000);
    expect(early).toBe(0);
    expect(ksExp(delays, mu)).toBeLessThan(ksCritical(delays.length));
    // The test has power: 20% off in μ is caught.
    expect(ksExp(delays, mu * 1.2)).toBeGreaterThan(ksCritical(delays.length));
    expect(ksExp(delays, mu / 1.2)).toBeGreaterThan(ksCritical(delays.length));
  });

  it('the CSPRNG uniform lies in (0, 1] with mean 1/2; −ln(U)/μ has mean 1/μ; no Math.random in the mix', () => {
    let s = 0;
    let d = 0;
    for (let i = 0; i < 20000; i++) {
      const u = cryptoUniform();
      expect(u).toBeGreaterThan(0);
      expect(u).toBeLessThanOrEqual(1);
      s += u;
      d += expDelaySec(0.25);
    }
    expect(Math.abs(s / 20000 - 0.5)).toBeLessThan(0.01);
    expect(Math.abs(d / 20000 - 4) / 4).toBeLessThan(0.05);
    expect(expDelaySec(2, () => 1)).toBe(0);
    expect(readFileSync('host/mix/exp-mix.ts', 'utf8')).not.toMatch(/Math\.random/);
  });

  it('nothing is released before its time, whatever the interleaving of arrivals and clock moves', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5000 }), add: fc.boolean() }), { maxLength: 300 }), (ops) => {
        const clock = new ManualClock(0);
        const due: number[] = [];
        let released = 0;
        const mix = new ExpMix({
          lane: 't',
          meanDelaySec: 2,
          maxQueued: 1000,
          queue: new MemoryQueue(),
          clock,
          log: null,
          deliver: (p) => {
            expect(clock.now()).toBeGreaterThanOrEqual(due[dec(p)]);
            released++;
          },
        });
        mix.start();
        let n = 0;
        for (const op of ops) {
          clock.advanceTo(clock.now() + op.dt);
          if (op.add) due[n] = mix.accept(enc(n++)).releaseAt;
        }
        clock.advanceTo(clock.now() + 10_000_000);
        expect(released).toBe(n);
        expect(mix.size).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});

describe('bound, retries, drops', () => {
  it('refuses beyond maxQueued with MixFullError and takes more once one left', () => {
    const clock = new ManualClock(0);
    const mix = new ExpMix({ lane: 't', meanDelaySec: 10, maxQueued: 3, queue: new MemoryQueue(), clock, log: null, deliver: () => {} });
    mix.start();
    for (let i = 0; i < 3; i++) mix.accept(enc(i));
    expect(() => mix.accept(enc(3))).toThrow(MixFullError);
    expect(mix.size).toBe(3);
    clock.advanceTo(10_000_000);
    expect(mix.size).toBe(0);
    mix.accept(enc(4));
    expect(mix.size).toBe(1);
    expect(() => new ExpMix({ lane: 't', meanDelaySec: 0, maxQueued: 3, queue: new MemoryQueue(), deliver: () => {} })).toThrow(RangeError);
    expect(() => new ExpMix({ lane: 't', meanDelaySec: 1, maxQueued: 0, queue: new MemoryQueue(), deliver: () => {} })).toThrow(RangeError);
  });

  it('a failing delivery is retried with a growing delay, then dropped; a permanent failure is dropped at once', async () => {
    const clock = new ManualClock(0);
    const tries: number[] = [];
    const drops: unknown[] = [];
    const mix = new ExpMix({
      lane: 't',
      meanDelaySec: 1,
      maxQueued: 10,
      queue: new MemoryQueue(),
      clock,
      log: null,
      retryDelaySec: 10,
      maxAttempts: 3,
      onDrop: (e) => drops.push(e),
      deliver: (p) => {
        tries.push(clock.now());
        if (dec(p) === 1) throw new PermanentDeliveryError('no such mailbox');
        return Promise.reject(new Error('smarthost down'));
      },
    });
    mix.start();
    mix.accept(enc(0));
    for (let k = 0; k < 20; k++) {
      clock.advanceTo(clock.now() + 60_000);
      await new Promise((r) => setImmediate(r));
    }
    expect(tries).toHaveLength(3);
    expect(tries[1] - tries[0]).toBeGreaterThanOrEqual(10_000);
    expect(tries[2] - tries[1]).toBeGreaterThanOrEqual(20_000);
    expect(drops).toHaveLength(1);
    mix.accept(enc(1));
    clock.advanceTo(clock.now() + 10_000_000);
    expect(drops).toHaveLength(2);
    expect(drops[1]).toBeInstanceOf(PermanentDeliveryError);
    expect(mix.size).toBe(0);
    expect(mix.stats()).toMatchObject({ dropped: 2, retried: 2, released: 2 });
    await mix.stop();
  });

  it('stop() waits for deliveries in flight and keeps the rest stored', async () => {
    const clock = new ManualClock(0);
    const q = new MemoryQueue();
    let finish!: () => void;
    const mix = new ExpMix({ lane: 't', meanDelaySec: 1, maxQueued: 10, queue: q, clock, log: null, maxInFlight: 1, deliver: () => new Promise<void>((r) => (finish = r)) });
    mix.start();
    mix.accept(enc(0));
    mix.accept(enc(1));
    clock.advanceTo(10_000_000);
    let stopped = false;
    const s = mix.stop().then(() => (stopped = true));
    await new Promise((r) => setImmediate(r));
    expect(stopped).toBe(false);
    finish();
    await s;
    expect(q.size).toBe(1);
  });
});

describe('statistics and log lines', () => {
  it('stats() reports count, entropy, theory at the measured λ, depth; each log line has only entropy and depth', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
    const clock = new ManualClock(0);
    const mix = new ExpMix({ lane: 'out', meanDelaySec: 10, maxQueued: 100_000, queue: new MemoryQueue(), clock, log, deliver: () => {} });
    mix.start();
    let t = 0;
    for (let i = 0; i < 5000; i++) {
      t += (-Math.log(cryptoUniform()) / 1) * 1000;
      clock.advanceTo(t);
      mix.accept(new TextEncoder().encode('alice@example.org abcdefgh' + i));
    }
    const st = mix.stats();
    expect(st.released).toBeGreaterThan(4500);
    expect(st.lambdaPerSec).toBeGreaterThan(0.9);
    expect(st.lambdaPerSec).toBeLessThan(1.1);
    expect(st.theoryBits).toBeCloseTo(Math.log2(st.lambdaPerSec * Math.E * 10), 9);
    expect(Math.abs(st.meanBits - st.theoryBits) / st.theoryBits).toBeLessThan(0.05);
    expect(st.minBits).toBeLessThanOrEqual(st.p10Bits);
    expect(st.p10Bits).toBeLessThanOrEqual(st.meanBits);
    expect(st.queued).toBe(mix.size);
    expect(lines.length).toBe(st.released);
    for (const l of lines) {
      const o = JSON.parse(l);
      expect(Object.keys(o).sort()).toEqual(['entropyBits', 'event', 'lane', 'level', 'msg', 'queueDepth', 'time']);
      expect(l).not.toMatch(/alice|example|abcdefgh/);
    }
  });
});
