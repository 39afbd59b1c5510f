/**
 * Sender anonymity of a continuous-time mix as Danezis measures it ("The Traffic Analysis of
 * Continuous-Time Mixes", the anonymity metric): for a message leaving at time t, the attacker who
 * saw every arrival time t_i gives input i the probability p_i ∝ f(t − t_i), f the delay density
 * μe^{−μx}, over the inputs that could still be inside; the anonymity is the entropy −Σ p_i log p_i.
 * For Poisson arrivals at rate λ it tends to ln(λe/μ) nats (valid for μ < λe); hood reports bits.
 *
 * "Could still be inside": the attacker counts arrivals and departures, so whenever the two counts
 * are equal the mix is provably empty and every earlier input is out of the candidate set.
 *
 * With w_i = e^{−μ(t − t_i)}, W = Σ w_i and p_i = w_i / W:
 *   H = ln W − (1/W) Σ w_i ln w_i = ln A − μ·B/A,
 * where A = Σ e^{μ(t_i − T0)}, B = Σ (t_i − T0) e^{μ(t_i − T0)} for any anchor T0. The release time t
 * cancels (the exponential is memoryless), so A and B are kept as running sums: O(1) per arrival and
 * per release, whatever the queue depth. The anchor moves forward before the exponents get large.
 */

const LN2 = Math.LN2;
/** Largest μ·(t_i − T0) before the sums are rebased (e^30 ≈ 1e13 keeps every sum exact to ~1e-3 of a weight). */
const REBASE_AT = 30;

/** Entropy in bits of the distribution p_i ∝ μe^{−μ(t − t_i)} over the arrivals t_i ≤ t (seconds). Direct O(n). */
export function entropyBits(arrivalsSec: readonly number[], tSec: number, mu: number): number {
  if (!(mu > 0)) throw new RangeError('mu must be positive');
  const ws: number[] = [];
  let newest = -Infinity;
  for (const a of arrivalsSec) if (a <= tSec && a > newest) newest = a;
  if (newest === -Infinity) return 0;
  let sum = 0;
  for (const a of arrivalsSec) {
    if (a > tSec) continue;
    // Relative to the newest arrival: the common factor cancels in p_i and nothing overflows.
    const w = Math.exp(-mu * (newest - a));
    ws.push(w);
    sum += w;
  }
  let h = 0;
  for (const w of ws) {
    const p = w / sum;
    if (p > 0) h -= p * Math.log(p);
  }
  return h / LN2;
}

/** Danezis's limit log2(λe/μ) for Poisson arrivals at λ per second and mean delay 1/μ; NaN outside μ < λe. */
export function theoryBits(lambda: number, mu: number): number {
  if (!(lambda > 0) || !(mu > 0) || !(mu < lambda * Math.E)) return NaN;
  return Math.log2((lambda * Math.E) / mu);
}

/**
 * The running candidate set of one mix: arrive() for each message in, release() for each message out
 * (returns the entropy in bits of that output). Forgets everything when the mix is provably empty.
 */
export class EntropyTracker {
  private a = 0;
  private b = 0;
  private t0 = 0;
  private inside = 0;
  private candidates = 0;

  constructor(readonly mu: number) {
    if (!(mu > 0)) throw new RangeError('mu must be positive');
  }

  /** Messages in the mix as the attacker counts them. */
  get depth(): number {
    return this.inside;
  }

  /** Inputs the next output could be. */
  get candidateCount(): number {
    return this.candidates;
  }

  arrive(tSec: number): void {
    if (this.candidates === 0) {
      this.t0 = tSec;
      this.a = 0;
      this.b = 0;
    }
    let x = this.mu * (tSec - this.t0);
    if (x > REBASE_AT) {
      const d = tSec - this.t0;
      const f = Math.exp(-this.mu * d);
      this.b = f * (this.b - d * this.a);
      this.a = f * this.a;
      this.t0 = tSec;
      x = 0;
    }
    const w = Math.exp(x);
    this.a += w;
    this.b += (tSec - this.t0) * w;
    this.inside++;
    this.candidates++;
  }

  /** One message leaves now: its anonymity in bits (0 if the mix was empty as far as anyone knows). */
  release(): number {
    if (this.inside === 0 || this.a <= 0) return 0;
    const h = Math.max(0, Math.log(this.a) - (this.mu * this.b) / this.a) / LN2;
    this.inside--;
    if (this.inside === 0) {
      this.candidates = 0;
      this.a = 0;
      this.b = 0;
    }
    return h;
  }
}

/** Arrival rate over a sliding window, in fixed buckets so memory stays bounded whatever the rate. */
export class RateWindow {
  private readonly counts: number[];
  private readonly bucketSec: number;
  private head = 0;
  private headStart = 0;
  private started = NaN;

  constructor(readonly windowSec: number, buckets = 60) {
    if (!(windowSec > 0) || buckets < 1) throw new RangeError('bad window');
    this.counts = new Array(buckets).fill(0);
    this.bucketSec = windowSec / buckets;
  }

  private advance(tSec: number): void {
    if (Number.isNaN(this.started)) {
      this.started = tSec;
      this.headStart = tSec;
      return;
    }
    let steps = 0;
    while (tSec >= this.headStart + this.bucketSec && steps < this.counts.length) {
      this.head = (this.head + 1) % this.counts.length;
      this.counts[this.head] = 0;
      this.headStart += this.bucketSec;
      steps++;
    }
    if (tSec >= this.headStart + this.bucketSec) {
      // A gap longer than the window: every bucket was cleared above.
      this.headStart = tSec - ((tSec - this.headStart) % this.bucketSec);
    }
  }

  add(tSec: number): void {
    this.advance(tSec);
    this.counts[this.head]++;
  }

  /** Arrivals per second over the window ending at tSec (over the time observed, if shorter). */
  rate(tSec: number): number {
    if (Number.isNaN(this.started)) return 0;
    this.advance(tSec);
    let n = 0;
    for (const c of this.counts) n += c;
    // The buckets cover (buckets − 1) whole buckets plus the part of the current one already elapsed.
    const covered = (this.counts.length - 1) * this.bucketSec + (tSec - this.headStart);
    const span = Math.max(Math.min(tSec - this.started, covered), this.bucketSec);
    return n / span;
  }
}
