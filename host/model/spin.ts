/**
 * Running Spin (G. J. Holzmann, "The model checker SPIN", IEEE TSE 23(5), 1997) on shared/model: copy the
 * Promela files into a private temp dir, generate the verifier (`spin -a`), compile it with gcc and run it,
 * each with a wall-time limit; parse what pan reports. Nothing here knows the protocol.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir, removeTempDir } from '../common/temp-dir';

export const MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/model');
export const MODEL_FILE = 'hood.pml';
/** Hand-off and resumption with session tickets (docs/model.md, "Hand-off"). */
export const HANDOFF_FILE = 'handoff.pml';

export interface Exec {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Run a program in `cwd` with a wall-time limit (the whole process group is killed when it is exceeded). */
export function exec(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    p.stdout.setEncoding('utf8').on('data', (d: string) => {
      // A runaway simulation must not eat the memory of the test runner.
      if (stdout.length < 64 * 1024 * 1024) stdout += d;
    });
    p.stderr.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 1024 * 1024) stderr += d;
    });
    const t = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-(p.pid as number), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    p.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** A private copy of the model (pan writes its trail and sources next to it). */
export function modelWorkdir(): string {
  const dir = makeTempDir('hood-model-');
  for (const f of readdirSync(MODEL_DIR)) if (f.endsWith('.pml')) copyFileSync(path.join(MODEL_DIR, f), path.join(dir, f));
  return dir;
}

export function removeWorkdir(dir: string): void {
  built.delete(dir);
  removeTempDir(dir);
}

/** `-DNAME=value` / `-DNAME` options for spin (model bounds and mutants). */
export function defineArgs(defines: Record<string, number | true>): string[] {
  return Object.keys(defines)
    .sort()
    .map((k) => (defines[k] === true ? '-D' + k : '-D' + k + '=' + defines[k]));
}

export interface PanResult {
  errors: number;
  statesStored: number;
  depth: number;
  seconds: number;
  /** false when pan stopped early (memory or depth bound): the search was a bounded one. */
  complete: boolean;
  /** The first violated assertion or claim pan names, if any. */
  violation: string | null;
  /** Counterexample: `spin -t -p` replay of the trail (kept short). */
  trail: string | null;
  timedOut: boolean;
  output: string;
}

function num(re: RegExp, s: string): number {
  const m = re.exec(s);
  return m ? Number(m[1]) : 0;
}

/** What pan printed: counts, completeness, the violation. */
export function parsePan(out: string): Omit<PanResult, 'trail' | 'timedOut' | 'output'> {
  const violation = /pan:\d+: (.*?) \(at depth \d+\)/.exec(out) || /pan: (acceptance cycle|non-progress cycle)/.exec(out);
  return {
    errors: num(/errors: (\d+)/, out),
    statesStored: num(/([\d.e+]+) states, stored/, out),
    depth: num(/depth reached (\d+)/, out),
    seconds: num(/pan: elapsed time ([\d.e+]+)/, out),
    complete: !/Search not completed|max search depth too small|out of memory/.test(out),
    violation: violation ? violation[1].trim() : null,
  };
}

export interface PanRun {
  defines: Record<string, number | true>;
  /** gcc -D flags for pan (SAFETY, NOCLAIM, HC4, BITSTATE, T_RAND, ...). */
  cflags: string[];
  /** pan run-time options (-m depth, -a -f -N claim, -RS seed, ...). */
  args: string[];
  timeoutMs: number;
  memLimitMb: number;
  /** The model file (default MODEL_FILE, the protocol; HANDOFF_FILE, hand-off and resumption). */
  file?: string;
  /** gcc optimisation: -O2 makes pan faster but compiling the model's pan.c takes about a minute on a
   * loaded two-core machine; at the test's memory bounds the search time is the same with -O0. */
  optimise?: boolean;
}

const built = new Map<string, string>();

/**
 * Generate, compile and run one verifier in `dir`. When pan finds an error, its trail is replayed with
 * `spin -t -p` and the last lines of that replay are returned as the counterexample.
 */
export async function runPan(dir: string, r: PanRun): Promise<PanResult> {
  const defs = defineArgs(r.defines);
  const cflags = [r.optimise ? '-O2' : '-O0', '-w', '-DMEMLIM=' + r.memLimitMb, ...r.cflags.map((f) => '-D' + f)];
  // The same verifier again (randomised searches differ only in -RS): keep the binary.
  const file = r.file ?? MODEL_FILE;
  const key = JSON.stringify([file, defs, cflags]);
  for (const f of readdirSync(dir)) if (f.endsWith('.trail')) rmSync(path.join(dir, f), { force: true });
  if (built.get(dir) !== key) {
    built.delete(dir);
    for (const f of readdirSync(dir)) if (f.startsWith('pan')) rmSync(path.join(dir, f), { force: true });
    const gen = await exec('spin', [...defs, '-a', file], dir, 60_000);
    if (gen.code !== 0) throw new Error('spin -a failed: ' + (gen.stdout + gen.stderr).slice(0, 2000));
    const cc = await exec('gcc', [...cflags, '-o', 'pan', 'pan.c'], dir, 600_000);
    if (cc.code !== 0) throw new Error('gcc failed: ' + cc.stderr.slice(0, 2000));
    built.set(dir, key);
  }
  const run = await exec('./pan', r.args, dir, r.timeoutMs);
  const out = run.stdout + run.stderr;
  const parsed = parsePan(out);
  let trail: string | null = null;
  if (parsed.errors > 0 && readdirSync(dir).some((f) => f.endsWith('.trail'))) {
    const t = await exec('spin', [...defs, '-t', '-p', '-B', file], dir, 60_000);
    trail = t.stdout.split('\n').slice(-60).join('\n');
  }
  return { ...parsed, complete: parsed.complete && !run.timedOut, trail, timedOut: run.timedOut, output: out.slice(-4000) };
}
