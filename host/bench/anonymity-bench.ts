/**
 * `hood bench anonymity`: Poisson arrivals at rate λ into the real exponential mix (host/mix/exp-mix.ts,
 * in-memory queue, a hand-moved clock, so hours of mix time take milliseconds), several mean delays 1/μ
 * per λ. Each row compares the mean sender anonymity measured at the mix's releases with Danezis's
 * limit log2(λe/μ) (valid for μ < λe). Writes the JSON and an SVG plot (entropy against mean delay:
 * measured points, theory curves) to --out.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExpMix, cryptoUniform } from '../mix/exp-mix';
import { theoryBits } from '../mix/entropy';
import { ManualClock } from '../mix/manual-clock';
import { MemoryQueue } from '../mix/queue';
import { round } from './stats';

export interface AnonymityRow {
  lambda: number;
  mu: number;
  meanDelaySec: number;
  measuredBits: number;
  theoryBits: number | null;
  relErr: number | null;
  /** Releases averaged (after the warm-up, before the drain). */
  samples: number;
}

export interface AnonymityBenchResult {
  messagesPerRow: number;
  rows: AnonymityRow[];
  /** Over the rows with μ < λe. */
  maxRelErr: number;
  rowsWithin5pct: number;
  json: string;
  svg: string;
}

export interface AnonymityBenchOptions {
  lambdas?: number[];
  /** Mean delays as multiples of the mean inter-arrival time 1/λ (λ/μ). */
  loads?: number[];
  messages?: number;
  out?: string;
}

const PAYLOAD = new Uint8Array(0);

/** One row: N Poisson arrivals at λ through an ExpMix with mean delay 1/μ. */
export function runAnonymityRow(lambda: number, meanDelaySec: number, messages: number): AnonymityRow {
  const clock = new ManualClock(0);
  const releases: { bits: number; at: number }[] = [];
  const mix = new ExpMix({
    lane: 'bench',
    meanDelaySec,
    maxQueued: messages + 1,
    queue: new MemoryQueue(),
    deliver: () => {},
    clock,
    log: null,
    onRelease: (r) => releases.push({ bits: r.bits, at: r.at }),
  });
  mix.start();
  let t = 0;
  for (let i = 0; i < messages; i++) {
    t += (-Math.log(cryptoUniform()) / lambda) * 1000;
    clock.advanceTo(t);
    mix.accept(PAYLOAD);
  }
  const lastArrival = t;
  for (let k = 0; k < 1000 && mix.size > 0; k++) clock.advanceTo(clock.now() + 100 * meanDelaySec * 1000);
  // Skip the start (the mix fills up) and the drain after the last arrival (nothing new comes in).
  const warmup = Math.min(10 * meanDelaySec * 1000, 0.2 * lastArrival);
  const kept = releases.filter((r) => r.at >= warmup && r.at <= lastArrival);
  const measured = kept.reduce((s, r) => s + r.bits, 0) / (kept.length || 1);
  const mu = 1 / meanDelaySec;
  const th = theoryBits(lambda, mu);
  return {
    lambda,
    mu: round(mu, 6),
    meanDelaySec: round(meanDelaySec, 6),
    measuredBits: round(measured, 4),
    theoryBits: Number.isNaN(th) ? null : round(th, 4),
    relErr: Number.isNaN(th) ? null : round(Math.abs(measured - th) / th, 4),
    samples: kept.length,
  };
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

/** Entropy (bits) against mean delay (log axis): one theory curve and the measured points per λ. */
export function renderSvg(rows: AnonymityRow[]): string {
  const W = 720;
  const H = 440;
  const m = { l: 60, r: 150, t: 30, b: 50 };
  const xs = rows.map((r) => r.meanDelaySec);
  const lx0 = Math.floor(Math.log10(Math.min(...xs)));
  const lx1 = Math.ceil(Math.log10(Math.max(...xs)));
  const ymax = Math.ceil(Math.max(1, ...rows.map((r) => Math.max(r.measuredBits, r.theoryBits ?? 0))) + 0.5);
  const px = (d: number) => m.l + ((Math.log10(d) - lx0) / (lx1 - lx0 || 1)) * (W - m.l - m.r);
  const py = (b: number) => H - m.b - (Math.max(0, b) / ymax) * (H - m.t - m.b);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${m.l}" y="18" font-size="14">Sender anonymity of the exponential mix: measured (points) vs log2(λe/μ) (lines)</text>`);
  out.push(`<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="black"/>`);
  out.push(`<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="black"/>`);
  for (let e = lx0; e <= lx1; e++) {
    const x = px(10 ** e);
    out.push(`<line x1="${x}" y1="${H - m.b}" x2="${x}" y2="${H - m.b + 5}" stroke="black"/><text x="${x}" y="${H - m.b + 18}" text-anchor="middle">${10 ** e >= 1 ? 10 ** e : (10 ** e).toPrecision(1)}</text>`);
  }
  for (let b = 0; b <= ymax; b++) {
    const y = py(b);
    out.push(`<line x1="${m.l - 5}" y1="${y}" x2="${m.l}" y2="${y}" stroke="black"/><text x="${m.l - 8}" y="${y + 4}" text-anchor="end">${b}</text>`);
    out.push(`<line x1="${m.l}" y1="${y}" x2="${W - m.r}" y2="${y}" stroke="#eee"/>`);
  }
  out.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">mean delay 1/μ (s, log scale)</text>`);
  out.push(`<text x="16" y="${(m.t + H - m.b) / 2}" transform="rotate(-90 16 ${(m.t + H - m.b) / 2})" text-anchor="middle">entropy (bits)</text>`);
  const lambdas = [...new Set(rows.map((r) => r.lambda))];
  lambdas.forEach((lambda, i) => {
    const c = COLORS[i % COLORS.length];
    // The theory curve from where it becomes valid (1/μ > 1/(λe)) across the plotted range.
    const pts: string[] = [];
    for (let k = 0; k <= 200; k++) {
      const d = 10 ** (lx0 + ((lx1 - lx0) * k) / 200);
      const th = theoryBits(lambda, 1 / d);
      if (!Number.isNaN(th)) pts.push(`${px(d).toFixed(1)},${py(th).toFixed(1)}`);
    }
    if (pts.length > 1) out.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${pts.join(' ')}"/>`);
    for (const r of rows.filter((x) => x.lambda === lambda)) out.push(`<circle cx="${px(r.meanDelaySec).toFixed(1)}" cy="${py(r.measuredBits).toFixed(1)}" r="4" fill="${c}"/>`);
    const ly = m.t + 20 + i * 20;
    out.push(`<line x1="${W - m.r + 10}" y1="${ly}" x2="${W - m.r + 30}" y2="${ly}" stroke="${c}" stroke-width="1.5"/><circle cx="${W - m.r + 20}" cy="${ly}" r="4" fill="${c}"/><text x="${W - m.r + 36}" y="${ly + 4}">λ = ${lambda}/s</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export function benchAnonymity(o: AnonymityBenchOptions = {}): AnonymityBenchResult {
  const lambdas = o.lambdas || [0.1, 1];
  const loads = o.loads || [0.25, 1, 4, 16, 64];
  const messages = o.messages ?? 20000;
  if (!(messages >= 100)) throw new Error('at least 100 messages per row');
  const rows: AnonymityRow[] = [];
  for (const lambda of lambdas) for (const load of loads) rows.push(runAnonymityRow(lambda, load / lambda, messages));
  const valid = rows.filter((r) => r.relErr !== null);
  const dir = resolve(o.out || '.');
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'anonymity-bench.json');
  const svg = join(dir, 'anonymity-bench.svg');
  const result: AnonymityBenchResult = {
    messagesPerRow: messages,
    rows,
    maxRelErr: valid.length ? Math.max(...valid.map((r) => r.relErr as number)) : NaN,
    rowsWithin5pct: valid.filter((r) => (r.relErr as number) <= 0.05).length,
    json,
    svg,
  };
  writeFileSync(svg, renderSvg(rows));
  writeFileSync(json, JSON.stringify(result, null, 2) + '\n');
  return result;
}
