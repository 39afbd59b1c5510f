/**
 * `hood bench targets`: the four performance benches one after the other, in one sitting, each in a
 * process of its own (`hood bench <name> --json`, exactly what a user runs alone, so no bench inherits
 * another's heap, workers or open files), and every target judged from their JSON:
 *  - mss: cells/s ratio to the same broker relaying the same cells, and the gateway's own p99;
 *  - sessions: 10,000 sessions joined and held, bytes per session;
 *  - bank: durable swaps/s and efficiency against the fastest constant-time k·P;
 *  - firmware: X25519 against tweetnacl on the Espruino interpreter (CPU time), variables after boot.
 * Without an interpreter the firmware targets are reported as not run, and `allMet` is false: a target
 * that was not measured is not met.
 */
import { spawn } from 'node:child_process';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { X25519_RATIO_TARGET, VARS_AFTER_BOOT_TARGET } from './firmware-bench';
import { MSS_TARGET_P99_MS, MSS_TARGET_RATIO } from './mss-bench';

const HOOD = fileURLToPath(new URL('../../bin/hood.js', import.meta.url));

export const SESSIONS_TARGET_N = 10_000;
export const SESSIONS_TARGET_BYTES = 4096;
export const BANK_TARGET_SWAPS_PER_SEC = 1000;
export const BANK_TARGET_EFFICIENCY = 0.3;

export type BenchName = 'mss' | 'sessions' | 'bank' | 'firmware';

export interface TargetRow {
  bench: BenchName;
  /** The figure, by its path in that bench's JSON. */
  figure: string;
  value: number | null;
  /** e.g. ">= 0.5" */
  target: string;
  met: boolean;
}

export interface TargetsResult {
  rows: TargetRow[];
  allMet: boolean;
  /** Each bench's whole JSON (null when it was not run), and its wall time. */
  benches: Record<BenchName, { ms: number; result: unknown } | { notRun: string }>;
  loadAverage: { before: number; after: number };
  cores: number;
}

export class TargetsBenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TargetsBenchError';
  }
}

interface Check {
  bench: BenchName;
  figure: string;
  op: '>=' | '<' | '<=' | '==';
  limit: number;
}

/** The targets, as the performance work set them (README "Performance"). */
export const TARGETS: readonly Check[] = [
  { bench: 'mss', figure: 'ratio', op: '>=', limit: MSS_TARGET_RATIO },
  { bench: 'mss', figure: 'mssAddedMs.p99', op: '<', limit: MSS_TARGET_P99_MS },
  { bench: 'sessions', figure: 'joined', op: '==', limit: SESSIONS_TARGET_N },
  { bench: 'sessions', figure: 'bytesPerSession', op: '<', limit: SESSIONS_TARGET_BYTES },
  { bench: 'bank', figure: 'swapsPerSec', op: '>=', limit: BANK_TARGET_SWAPS_PER_SEC },
  { bench: 'bank', figure: 'efficiency', op: '>=', limit: BANK_TARGET_EFFICIENCY },
  { bench: 'firmware', figure: 'x25519.cpu.ratio', op: '>=', limit: X25519_RATIO_TARGET },
  { bench: 'firmware', figure: 'firmware.varsAfterBoot', op: '<=', limit: VARS_AFTER_BOOT_TARGET },
];

/** The value at a dotted path of a bench's JSON, if it is a finite number. */
export function figureAt(result: unknown, path: string): number | null {
  let x: unknown = result;
  for (const k of path.split('.')) {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return null;
    x = (x as Record<string, unknown>)[k];
  }
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function holds(v: number, op: Check['op'], limit: number): boolean {
  if (op === '>=') return v >= limit;
  if (op === '<') return v < limit;
  if (op === '<=') return v <= limit;
  return v === limit;
}

/** Judge every target against the benches' JSON (a bench missing from `results` was not run: not met). */
export function judgeTargets(results: Partial<Record<BenchName, unknown>>): { rows: TargetRow[]; allMet: boolean } {
  const rows = TARGETS.map((c) => {
    const value = c.bench in results ? figureAt(results[c.bench], c.figure) : null;
    return { bench: c.bench, figure: c.figure, value, target: c.op + ' ' + c.limit, met: value !== null && holds(value, c.op, c.limit) };
  });
  return { rows, allMet: rows.every((r) => r.met) };
}

/** Argv of each bench after `hood bench`. */
function benchArgs(name: BenchName, espruino: string | undefined): string[] {
  if (name === 'sessions') return ['sessions', '--n', String(SESSIONS_TARGET_N), '--json'];
  if (name === 'bank') return ['bank', '--seconds', '4', '--json'];
  if (name === 'firmware') return ['firmware', '--espruino', espruino!, '--json'];
  return ['mss', '--json'];
}

/** Run `hood bench <args>` in a child; its one JSON line, or an error with the end of its stderr. */
export function runBenchChild(args: string[], timeoutMs: number, hood = HOOD): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [hood, 'bench', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => (clearTimeout(timer), reject(e)));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const what = 'hood bench ' + args[0];
      if (code !== 0) return reject(new TargetsBenchError(what + ' failed (' + (sig ?? 'exit ' + code) + '): ' + err.trim().split('\n').slice(-3).join(' | ')));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() || ''));
      } catch {
        reject(new TargetsBenchError(what + ' printed no JSON: ' + out.slice(0, 200)));
      }
    });
  });
}

export async function benchTargets(o: { espruino?: string; only?: BenchName[]; onProgress?: (msg: string) => void; timeoutMs?: number }): Promise<TargetsResult> {
  const names: BenchName[] = o.only && o.only.length ? o.only : ['mss', 'sessions', 'bank', 'firmware'];
  const before = loadavg()[0];
  const results: Partial<Record<BenchName, unknown>> = {};
  const benches = {} as TargetsResult['benches'];
  for (const name of ['mss', 'sessions', 'bank', 'firmware'] as BenchName[]) {
    if (!names.includes(name)) {
      benches[name] = { notRun: 'not asked for (--only)' };
      continue;
    }
    if (name === 'firmware' && !o.espruino) {
      benches[name] = { notRun: 'no --espruino <interpreter>: the firmware targets are not measured' };
      continue;
    }
    o.onProgress?.('running hood bench ' + benchArgs(name, o.espruino).join(' '));
    const t0 = Date.now();
    const result = await runBenchChild(benchArgs(name, o.espruino), o.timeoutMs ?? 30 * 60_000);
    results[name] = result;
    benches[name] = { ms: Date.now() - t0, result };
    o.onProgress?.(name + ' done in ' + Math.round((Date.now() - t0) / 1000) + ' s');
  }
  const judged = judgeTargets(results);
  return { rows: judged.rows, allMet: judged.allMet, benches, loadAverage: { before, after: loadavg()[0] }, cores: cpus().length };
}

/** The text form: one line per target. */
export function formatTargets(r: TargetsResult): string {
  const lines = r.rows.map((x) => (x.met ? 'met     ' : 'NOT MET ') + x.bench + ' ' + x.figure + ' = ' + (x.value === null ? 'not measured' : String(x.value)) + ' (target ' + x.target + ')');
  lines.push(r.allMet ? 'all targets met in this run' : 'not every target was met in this run');
  return lines.join('\n');
}
