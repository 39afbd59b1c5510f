/**
 * Cover cells (docs/protocol.md §3.5, docs/anonymity.md "Cover cells"): while in session the PDA sends one
 * uplink cell at each tick of a Poisson clock (exponential gaps, Loopix-style), whatever Bob does. A real cell
 * waits in a queue and takes the place of the next tick's cover cell, so the rate an observer of the air or
 * of the broker sees does not change when Bob writes (paper §6.1: the burst of cells before a mail is what
 * links Bob to it). Real traffic above the rate waits (latency grows, the visible rate does not); beyond
 * `maxQueue` waiting cells `enqueue` throws.
 *
 * The clock is the board's clock and the gaps come from the board's hardware RNG, never Math.random.
 * Runs on Espruino: no Map/Set, no closures over loop variables, function expressions only.
 */
import { COVER_ANSWER, COVER_NO_ANSWER, MSG_COVER } from '../../shared/src/protocol/constants';
import type { Message } from '../../shared/src/protocol/messages';
import type { Clock } from './board';

export interface CoverConfig {
  /** Mean cells per minute of the Poisson clock (0.1..600). */
  ratePerMin: number;
  /** Share of cover cells the MSS answers with one cover cell (0..1; default 0.5), see §3.5. */
  answerShare?: number;
}

export const COVER_MIN_RATE = 0.1;
export const COVER_MAX_RATE = 600;
export const COVER_MAX_QUEUE = 64;

/** A valid cover configuration from untrusted JSON, or null (cover off). Throws on a malformed one. */
export function parseCoverConfig(v: any): CoverConfig | null {
  if (v === null || v === undefined || v === false) return null;
  if (typeof v !== 'object') throw new Error('cover must be {ratePerMin: n} or null');
  const r = v.ratePerMin;
  if (typeof r !== 'number' || !(r >= COVER_MIN_RATE && r <= COVER_MAX_RATE)) throw new Error('cover.ratePerMin must be ' + COVER_MIN_RATE + '..' + COVER_MAX_RATE);
  const c: CoverConfig = { ratePerMin: r };
  if (v.answerShare !== undefined) {
    if (typeof v.answerShare !== 'number' || !(v.answerShare >= 0 && v.answerShare <= 1)) throw new Error('cover.answerShare must be 0..1');
    c.answerShare = v.answerShare;
  }
  return c;
}

/** A uniform number in (0, 1] from 32 random bits (never 0, so its logarithm is finite). */
export function uniform01(random: (n: number) => Uint8Array): number {
  const b = random(4);
  const x = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
  return (x + 1) / 4294967296;
}

/** One exponential gap of a Poisson process of `ratePerMin` (inverse transform: −ln U / λ), in ms. */
export function coverGapMs(random: (n: number) => Uint8Array, ratePerMin: number): number {
  return (-Math.log(uniform01(random)) * 60000) / ratePerMin;
}

/**
 * The class is made inside buildCoverClock(), when the first session with cover starts
 * (coverClockClass()), not at boot: on Espruino every method that exists costs variables
 * (docs/crypto-speed.md, variables after boot).
 */
function buildCoverClock() {
  /**
   * The Poisson clock and its queue. `send` seals and publishes one message as the next session cell (the
   * session's own seq counter: one key, one nonce, §3.4); `onIdle` is called after a tick that found the queue
   * empty while `draining` (the session is closing and its last cell went out).
   */
  class CoverClock {
    private clock: Clock;
    private random: (n: number) => Uint8Array;
    private cfg: CoverConfig;
    private send: (m: Message) => void;
    private queue: Message[] = [];
    private timer = -1;
    private draining = false;
    private onDrained: (() => void) | null = null;
    maxQueue: number;
    /** Cells sent: cover, real. */
    sentCover = 0;
    sentReal = 0;

    constructor(clock: Clock, random: (n: number) => Uint8Array, cfg: CoverConfig, send: (m: Message) => void, maxQueue?: number) {
      this.clock = clock;
      this.random = random;
      this.cfg = cfg;
      this.send = send;
      this.maxQueue = maxQueue || COVER_MAX_QUEUE;
    }

    running(): boolean {
      return this.timer >= 0;
    }

    queued(): number {
      return this.queue.length;
    }

    start(): void {
      if (this.timer >= 0) return;
      this.schedule();
    }

    /** Stop the clock and forget what waits (the session is being torn down). */
    stop(): void {
      if (this.timer >= 0) this.clock.clearTimeout(this.timer);
      this.timer = -1;
      this.queue = [];
      this.draining = false;
      this.onDrained = null;
    }

    /** A real message: sent at the next tick in place of a cover cell. */
    enqueue(m: Message): void {
      if (this.draining) throw new Error('session closing');
      if (this.queue.length >= this.maxQueue) throw new Error('cover queue full (' + this.maxQueue + ' cells wait)');
      this.queue.push(m);
    }

    /**
     * End of session: `last` (BYE) goes after what waits, still on the clock; then no more cover, and `done`
     * runs right after the tick that sent `last`.
     */
    drain(last: Message, done: () => void): void {
      this.queue.push(last);
      this.draining = true;
      this.onDrained = done;
      if (this.timer < 0) this.schedule();
    }

    private schedule(): void {
      const self = this;
      this.timer = this.clock.setTimeout(function () {
        self.timer = -1;
        self.tick();
      }, coverGapMs(this.random, this.cfg.ratePerMin));
    }

    private tick(): void {
      const m = this.queue.shift();
      try {
        if (m) {
          this.sentReal++;
          this.send(m);
        } else if (!this.draining) {
          this.sentCover++;
          this.send({ type: MSG_COVER, answer: this.answer() });
        }
      } catch (e) {
        // A cell that could not go out is lost like a cell lost on the air; the clock keeps its rate.
      }
      if (this.draining && this.queue.length === 0) {
        const done = this.onDrained;
        this.draining = false;
        this.onDrained = null;
        if (done) done();
        return;
      }
      if (this.timer < 0) this.schedule();
    }

    private answer(): number {
      const share = this.cfg.answerShare === undefined ? 0.5 : this.cfg.answerShare;
      return uniform01(this.random) <= share ? COVER_ANSWER : COVER_NO_ANSWER;
    }
  }
  return CoverClock;
}

let built: ReturnType<typeof buildCoverClock> | null = null;

/** The class, created on the first call and kept from then on. */
export function coverClockClass(): ReturnType<typeof buildCoverClock> {
  if (!built) built = buildCoverClock();
  return built;
}

export type CoverClock = InstanceType<ReturnType<typeof buildCoverClock>>;

/** `new CoverClock(...)` for host code and tests; the firmware constructs through coverClockClass() and the bundler drops this. */
export const CoverClock = function (clock: Clock, random: (n: number) => Uint8Array, cfg: CoverConfig, send: (m: Message) => void, maxQueue?: number) {
  const C = coverClockClass();
  return new C(clock, random, cfg, send, maxQueue);
} as unknown as new (clock: Clock, random: (n: number) => Uint8Array, cfg: CoverConfig, send: (m: Message) => void, maxQueue?: number) => CoverClock;
