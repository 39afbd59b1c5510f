/**
 * Cover cells (docs/protocol.md §3.5): the PDA's Poisson clock (firmware/src/cover.ts) and the MSS side
 * (host/mss/core.ts). The clock runs on a virtual clock with a seeded byte source standing in for the
 * hardware RNG, so long random runs are cheap; Kolmogorov–Smirnov tests check that the times an observer sees
 * are a Poisson process of the configured rate, and that they do not change when real traffic is mixed in.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CoverClock, coverGapMs, parseCoverConfig, uniform01 } from '../../firmware/src/cover';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import { MSG_ACCEPT, MSG_BYE, MSG_COVER, MSG_DATA, MSG_JOIN, SESSION_HEADER_LEN } from '../../shared/src/protocol/constants';
import { decodeMessage, encodeMessage, type Message } from '../../shared/src/protocol/messages';
import { deriveSessionKeys } from '../../shared/src/protocol/session-keys';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { newTmpMac } from '../../shared/src/tmpmac';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { createLogger } from '../../host/common/log';
import { DEFAULT_MSS_CONFIG, MssCore, type Outbound } from '../../host/mss/core';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { echoService } from '../../host/mss/services/echo';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A virtual clock: timers fire in deadline order when the test advances time. */
class VirtualClock {
  t = 0;
  private timers: { id: number; at: number; fn: () => void }[] = [];
  private next = 1;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ id, at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (id: number) => {
    this.timers = this.timers.filter((x) => x.id !== id);
  };
  /** Run every timer due up to `until` (bounded: at most `max` firings). */
  runUntil(until: number, max = 1_000_000): void {
    for (let i = 0; i < max; i++) {
      this.timers.sort((a, b) => a.at - b.at);
      const x = this.timers[0];
      if (!x || x.at > until) break;
      this.timers.shift();
      this.t = x.at;
      x.fn();
    }
    this.t = until;
  }
}

/** xorshift32 bytes: a reproducible stand-in for the board's hardware RNG. */
function seededBytes(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 255;
    }
    return out;
  };
}

/** Largest distance between the empirical CDF of `xs` and `cdf` (one-sample Kolmogorov–Smirnov statistic). */
function ks1(xs: number[], cdf: (x: number) => number): number {
  const s = xs.slice().sort((a, b) => a - b);
  let d = 0;
  for (let i = 0; i < s.length; i++) {
    const f = cdf(s[i]);
    d = Math.max(d, Math.abs((i + 1) / s.length - f), Math.abs(f - i / s.length));
  }
  return d;
}

/** Two-sample Kolmogorov–Smirnov statistic. */
function ks2(a: number[], b: number[]): number {
  const x = a.slice().sort((p, q) => p - q);
  const y = b.slice().sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/** Critical values at α = 1e-6, so a hundred property runs make a false alarm ~1e-4 likely. */
const C_ALPHA = Math.sqrt(-Math.log(1e-6 / 2) / 2);
const crit1 = (n: number) => C_ALPHA / Math.sqrt(n);
const crit2 = (n: number, m: number) => C_ALPHA * Math.sqrt((n + m) / (n * m));

interface Sent {
  at: number;
  m: Message;
}

/** Run a cover clock for `cells` ticks; `real` are times at which Bob hands the session a DATA cell. */
function simulate(seed: number, ratePerMin: number, cells: number, real: number[], sendAtOnce = false): { sent: Sent[]; clock: CoverClock } {
  const vc = new VirtualClock();
  const sent: Sent[] = [];
  const c = new CoverClock(vc, seededBytes(seed), { ratePerMin }, (m) => sent.push({ at: vc.t, m }), 1_000_000);
  c.start();
  const times = real.slice().sort((a, b) => a - b);
  for (const t of times) {
    vc.runUntil(t);
    const m: Message = { type: MSG_DATA, channel: 0x20, payload: new Uint8Array(3) };
    // The negative control: what a PDA without cover does (the cell leaves at once).
    if (sendAtOnce) sent.push({ at: vc.t, m });
    else c.enqueue(m);
    if (sent.length >= cells) break;
  }
  for (let i = 0; i < 100 && sent.length < cells; i++) vc.runUntil(vc.t + (60_000 / ratePerMin) * (cells - sent.length + 10));
  return { sent: sent.slice(0, cells), clock: c };
}

const gaps = (s: Sent[]) => s.slice(1).map((x, i) => x.at - s[i].at);

describe('the cover clock (firmware/src/cover.ts)', () => {
  it('uniform01 is in (0, 1] and coverGapMs is exponential with the configured mean', () => {
    expect(uniform01(() => new Uint8Array(4))).toBeGreaterThan(0);
    expect(uniform01(() => new Uint8Array([255, 255, 255, 255]))).toBe(1);
    const rnd = seededBytes(7);
    const xs = Array.from({ length: 20000 }, () => coverGapMs(rnd, 30));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.abs(mean - 2000) / 2000).toBeLessThan(0.05);
    expect(ks1(xs, (x) => 1 - Math.exp(-x / 2000))).toBeLessThan(crit1(xs.length));
  });

  it('what an observer sees is the same Poisson process with and without real traffic (KS, random runs)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.double({ min: 1, max: 120, noNaN: true }),
        fc.double({ min: 0.05, max: 0.9, noNaN: true }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        (seedA, seedB, rate, load, seedR) => {
          const cells = 1500;
          const meanGap = 60_000 / rate;
          // Real cells at `load` times the cover rate, in bursts (a mail is several fragments at once).
          const r = seededBytes(seedR);
          const real: number[] = [];
          let t = 0;
          while (real.length < cells * load) {
            t += coverGapMs(r, rate * load) * 4;
            for (let k = 0; k < 4; k++) real.push(t);
          }
          const quiet = simulate(seedA, rate, cells, []);
          const busy = simulate(seedB, rate, cells, real);
          expect(quiet.clock.sentReal).toBe(0);
          expect(busy.clock.sentReal).toBeGreaterThan(0);
          const gq = gaps(quiet.sent);
          const gb = gaps(busy.sent);
          const cdf = (x: number) => 1 - Math.exp(-x / meanGap);
          expect(ks1(gq, cdf)).toBeLessThan(crit1(gq.length));
          expect(ks1(gb, cdf)).toBeLessThan(crit1(gb.length));
          expect(ks2(gq, gb)).toBeLessThan(crit2(gq.length, gb.length));
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the test can fail: real cells sent at once (no cover queue) change the observed gaps', () => {
    const rate = 30;
    const r = seededBytes(99);
    const real: number[] = [];
    let t = 0;
    while (real.length < 800) {
      t += coverGapMs(r, rate) * 4;
      for (let k = 0; k < 4; k++) real.push(t);
    }
    const quiet = simulate(5, rate, 1500, []);
    const leaky = simulate(6, rate, 1500, real, true);
    leaky.sent.sort((a, b) => a.at - b.at);
    const gq = gaps(quiet.sent);
    const gl = gaps(leaky.sent);
    expect(ks2(gq, gl)).toBeGreaterThan(crit2(gq.length, gl.length));
  });

  it('real cells leave in order on the clock, in place of cover; the queue is bounded; BYE goes last', () => {
    const vc = new VirtualClock();
    const sent: Message[] = [];
    const c = new CoverClock(vc, seededBytes(3), { ratePerMin: 60, answerShare: 1 }, (m) => sent.push(m), 4);
    c.start();
    for (let i = 0; i < 4; i++) c.enqueue({ type: MSG_DATA, channel: 0, payload: new Uint8Array([i]) });
    expect(() => c.enqueue({ type: MSG_DATA, channel: 0, payload: new Uint8Array(1) })).toThrow(/queue full/);
    expect(sent).toHaveLength(0); // nothing leaves before a tick
    let done = 0;
    c.drain({ type: MSG_BYE, reason: 0 }, () => done++);
    expect(() => c.enqueue({ type: MSG_DATA, channel: 0, payload: new Uint8Array(1) })).toThrow(/closing/);
    vc.runUntil(10 * 60_000);
    expect(sent.map((m) => m.type)).toEqual([MSG_DATA, MSG_DATA, MSG_DATA, MSG_DATA, MSG_BYE]);
    expect(sent.slice(0, 4).map((m) => (m as any).payload[0])).toEqual([0, 1, 2, 3]);
    expect(done).toBe(1);
    expect(c.running()).toBe(false); // no cover after the BYE
  });

  it('cover asks for an answer in the configured share of cells', () => {
    const share = (s: number) => {
      const { sent } = (() => {
        const vc = new VirtualClock();
        const out: Sent[] = [];
        const c = new CoverClock(vc, seededBytes(11), { ratePerMin: 60, answerShare: s }, (m) => out.push({ at: vc.t, m }));
        c.start();
        vc.runUntil(4000 * 1000);
        return { sent: out };
      })();
      return sent.filter((x) => x.m.type === MSG_COVER && (x.m as any).answer === 1).length / sent.length;
    };
    expect(share(0)).toBe(0);
    expect(share(1)).toBe(1);
    expect(Math.abs(share(0.5) - 0.5)).toBeLessThan(0.05);
  });

  it('parseCoverConfig refuses what is not a cover configuration', () => {
    expect(parseCoverConfig(null)).toBeNull();
    expect(parseCoverConfig(undefined)).toBeNull();
    expect(parseCoverConfig({ ratePerMin: 6 })).toEqual({ ratePerMin: 6 });
    for (const bad of [1, 'x', {}, { ratePerMin: 0 }, { ratePerMin: -1 }, { ratePerMin: 1e9 }, { ratePerMin: NaN }, { ratePerMin: '6' }, { ratePerMin: 6, answerShare: 2 }])
      expect(() => parseCoverConfig(bad)).toThrow();
  });
});

describe('COVER in the MSS core (docs/protocol.md §3.5)', () => {
  const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

  const dir = mkdtempSync(join(tmpdir(), 'hood-cover-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function setup() {
    let now = 1_000_000;
    const out: Outbound[] = [];
    const keys = loadOrCreateMssKeys(dir);
    const core = new MssCore(keys, { ...DEFAULT_MSS_CONFIG, idleTimeoutSec: 10 }, quiet, (o) => out.push(o), () => now);
    const served: Uint8Array[] = [];
    core.addService({ ...echoService, onData: (ctx, p) => (served.push(p), echoService.onData(ctx, p)) });
    const b = decodeBeacon(core.beacon());
    const kbd = new Uint8Array(randomBytes(32));
    const esk = new Uint8Array(randomBytes(32));
    const epk = x25519Base(esk);
    const sk = deriveSessionKeys(kbd, epk);
    const j = sealJoin(b.boxKey, { type: MSG_JOIN, kbd, tmpMac: newTmpMac((n) => new Uint8Array(randomBytes(n))), joinNonce: new Uint8Array(16), beaconNonce: b.beaconNonce }, b.cellSize, esk, epk);
    expect(core.handleUp(j.cell)).toMatchObject({ ok: true, what: 'join' });
    const acc = out.shift()!;
    expect(openSession(sk.downKey, acc.payload, 0, DIR_DOWN).type).toBe(MSG_ACCEPT);
    let seq = 0;
    const up = (m: Message) => sealSession(sk.upKey, sk.upTag, seq++, DIR_UP, m, b.cellSize);
    return { core, out, served, sk, up, b, advance: (ms: number) => (now += ms) };
  }

  it('drops cover after authentication, answers answer=1 with one cover cell of the same size, refreshes the idle timer', () => {
    const t = setup();
    const data = t.up({ type: MSG_DATA, channel: 0, payload: new Uint8Array([1, 2]) });
    const cover0 = t.up({ type: MSG_COVER, answer: 0 });
    const cover1 = t.up({ type: MSG_COVER, answer: 1 });
    // On the broker: the same length, kind and tag; only seq and ciphertext differ.
    expect(cover0.length).toBe(data.length);
    expect(cover1.length).toBe(data.length);
    expect(Buffer.from(cover0.subarray(0, 18))).toEqual(Buffer.from(data.subarray(0, 18)));
    expect(t.core.handleUp(data)).toMatchObject({ ok: true, what: 'data' });
    const echo = t.out.shift()!;
    expect(t.core.handleUp(cover0)).toMatchObject({ ok: true, what: 'cover' });
    expect(t.out).toHaveLength(0);
    t.advance(9000);
    expect(t.core.handleUp(cover1)).toMatchObject({ ok: true, what: 'cover' });
    const back = t.out.shift()!;
    expect(back.topic).toBe(echo.topic);
    expect(back.payload.length).toBe(echo.payload.length);
    expect(openSession(t.sk.downKey, back.payload, (decodeCellHeader(back.payload, t.b.cellSize) as { seq: number }).seq, DIR_DOWN)).toEqual({ type: MSG_COVER, answer: 0 });
    expect(t.served).toHaveLength(1); // no service saw the cover
    expect(t.core.stats.coverIn).toBe(2);
    expect(t.core.stats.coverOut).toBe(1);
    // The cover at 9 s refreshed the idle timer (10 s): still alive at 15 s.
    t.advance(6000);
    t.core.tick();
    expect(t.core.sessions.size).toBe(1);
    expect(t.core.pending([...t.core.sessions.all()][0].tmpId)).toBe(false);
    // A replayed cover cell is rejected like any replayed cell.
    expect(t.core.handleUp(cover1)).toEqual({ ok: false, reason: 'replay' });
  });

  it('a session that only ever sent cover is still pending (§7.6): cover settles nothing', () => {
    const t = setup();
    t.core.handleUp(t.up({ type: MSG_COVER, answer: 0 }));
    expect(t.core.pending([...t.core.sessions.all()][0].tmpId)).toBe(true);
  });

  it('a cover body other than one byte 0/1 is refused, and the decoder is strict (random bodies)', () => {
    const t = setup();
    const cap = t.b.cellSize - SESSION_HEADER_LEN - 16;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 8 }), fc.uint8Array({ minLength: 0, maxLength: 4 }), (body, pad) => {
        const plain = new Uint8Array(cap);
        plain[0] = MSG_COVER;
        plain[1] = body.length >> 8;
        plain[2] = body.length & 255;
        plain.set(body, 3);
        plain.set(pad, 3 + body.length);
        const okBody = body.length === 1 && body[0] <= 1 && pad.every((x) => x === 0);
        if (okBody) expect(decodeMessage(plain)).toEqual({ type: MSG_COVER, answer: body[0] });
        else expect(() => decodeMessage(plain)).toThrow();
      }),
      { numRuns: 500 },
    );
    expect(() => encodeMessage({ type: MSG_COVER, answer: 2 }, cap)).toThrow();
  });
});
