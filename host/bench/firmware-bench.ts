/**
 * `hood bench firmware`: the firmware's crypto on the real Espruino interpreter (built for Linux).
 *
 * 1. Builds a benchmark bundle with the firmware pipeline (host/build/firmware.ts: esbuild, ES5
 *    lowering, minify, checkEspruinoSource) holding our X25519 / Ed25519 / AEAD and, as the
 *    baseline, tweetnacl's `scalarMult` (nacl-fast.js, a devDependency: never in the firmware).
 * 2. Runs it on the given interpreter as a child process with a time limit; the bundle checks its
 *    own answers there (RFC 7748 §5.2 vector, ours == tweetnacl on the same inputs, RFC 8032 §7.1
 *    test 2, AEAD round trip) and prints one `@bench {json}` line per measurement.
 * 3. Boots the real firmware bundle (firmware/dist/hood.js) on the same interpreter and reports
 *    `process.memory()` after boot (usage = JsVars in use; target VARS_AFTER_BOOT_TARGET): booted from
 *    Storage as on a board, and, for comparison, run as a script whose source then sits in RAM.
 *
 * Both X25519 implementations run interleaved in the same process, so load on the machine hits
 * both alike; the ratio is tweetnacl ms / ours ms (above 1: ours is faster). Because wall time on
 * a shared machine still swings, the CPU time of each is measured too (separate processes, the
 * shell's `times`), and the target is judged on that ratio.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { HoodError } from '../common/errors';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { buildFirmware, ensureFirmware, REPO_ROOT } from '../build/firmware';
import { nymbleStatusFixture, NYMBLE_BENCH_ENTRIES, type NymbleStatusFixture } from './nymble-status-fixture';

/** At most this many Espruino variables in use after boot (docs/crypto-speed.md). */
export const VARS_AFTER_BOOT_TARGET = 4000;
/** Least speed-up of our X25519 over tweetnacl's scalarMult on the interpreter (docs/crypto-speed.md). */
export const X25519_RATIO_TARGET = 5;
/** Rounds of CPU-time processes (base, ours, tweetnacl) where the CPU time cannot be read per call. */
export const CPU_ROUNDS = 3;
/** Plaintext bytes of the AEAD measurement: about one protocol cell's payload. */
export const AEAD_BYTES = 256;

export interface FirmwareBenchOptions {
  /** Path of the Espruino interpreter built for Linux. Required. */
  espruino?: string;
  /** Timed calls per operation (default 3). */
  runs?: number;
  /** Wall-time limit for each interpreter process (default 15 minutes). */
  timeoutMs?: number;
  onProgress?: (msg: string) => void;
}

export interface OpTiming {
  /** Mean milliseconds per call over the timed runs. */
  ms: number;
  samples: number[];
}

export interface FirmwareBenchResult {
  interpreter: { path: string; version: string };
  runs: number;
  benchBundleBytes: number;
  /**
   * Each run times both back to back (alternating which goes first) in one interpreter process.
   * ratio = median over runs of (tweetnacl ms / ours ms); ratioOfMeans = tweetnacl.ms / ours.ms;
   * ratioOfMinima = fastest tweetnacl run / fastest run of ours (machine load only ever adds time).
   */
  x25519: {
    ours: OpTiming;
    tweetnacl: OpTiming;
    ratio: number;
    runRatios: number[];
    ratioOfMeans: number;
    ratioOfMinima: number;
    /**
     * CPU time per call and the median of the per-run ratios tweetnacl / ours, which meetsTarget
     * compares with the target. `per-call`: the interpreter's own CPU time (/proc/self/schedstat)
     * read around each interleaved call, so it is paired like the wall times and, unlike them, does
     * not grow when other jobs share the CPU. `processes` (an interpreter without fs or a system
     * without /proc): user + system of separate processes running `runs` calls, minus one that only
     * loads the bundle, in CPU_ROUNDS rounds with the order alternating.
     */
    cpu: { oursMs: number; tweetnaclMs: number; ratio: number; runRatios: number[]; clock: 'per-call' | 'processes' };
    target: number;
    meetsTarget: boolean;
  };
  x25519Base: OpTiming;
  ed25519Verify: OpTiming;
  aead: { bytes: number; seal: OpTiming; open: OpTiming };
  /**
   * Extended Nymble §2.7 on the PDA: checkOwnStatus on a signed blacklist of `entries` nymble*s (as many
   * as one request cell carries): one Ed25519 verify (its SHA-512 over the list) and a constant-time
   * scan; no other public-key work.
   */
  nymbleStatus: OpTiming & { entries: number };
  /** Answers checked on the interpreter itself. */
  checks: { rfc7748: boolean; matchesTweetnacl: boolean; rfc8032: boolean; aead: boolean; lowOrderRejected: boolean; nymbleStatus: boolean };
  firmware: {
    bundleBytes: number;
    /**
     * process.memory() 1 s after boot (it garbage-collects first; usage = variables in use), with
     * the bundle booted the way a board runs it: saved as `.bootcde` in Storage, then load().
     */
    memory: MemoryReport;
    varsAfterBoot: number;
    target: number;
    withinTarget: boolean;
    /** Error lines the interpreter printed while booting (empty when the boot was clean). */
    bootErrors: string[];
    /**
     * The same bundle run as a plain script file: its source then sits in RAM as variables, which
     * on a board it does not (it is saved as boot code in Storage and runs from flash).
     */
    scriptInRam: { memory: MemoryReport; varsAfterBoot: number; bootErrors: string[] };
  };
}

export interface MemoryReport {
  usage: number;
  free: number;
  total: number;
  blocksize?: number;
}

export class FirmwareBenchError extends HoodError<'cannot_measure'> {
  constructor(message: string) {
    super('cannot_measure', message);
    this.name = 'FirmwareBenchError';
  }
}

/** Clear failure when no interpreter path is given or it cannot be executed. */
export function checkInterpreter(p: string | undefined): string {
  if (!p) {
    throw new FirmwareBenchError(
      'hood bench firmware needs --espruino /path/to/espruino: the Espruino interpreter built for Linux ' +
        '(build github.com/espruino/Espruino with `make`); nothing was measured',
    );
  }
  const abs = path.resolve(p);
  let isFile = false;
  try {
    isFile = statSync(abs).isFile();
    accessSync(abs, constants.X_OK);
  } catch {
    isFile = false;
  }
  if (!isFile) throw new FirmwareBenchError('--espruino ' + JSON.stringify(p) + ' is not an executable file; nothing was measured');
  return abs;
}

/**
 * tweetnacl's nacl-fast.js as an ES module. Only its environment probing changes (none of it is
 * on the scalarMult path): the PRNG setup's `self.crypto` and `require('crypto')` become `null` (a
 * browser global and a Node module the firmware pipeline refuses), so nacl has no PRNG, which
 * scalarMult does not use; the exports go to a local `module` instead of `self.nacl`.
 */
export function tweetnaclModuleSource(): string {
  const file = path.join(REPO_ROOT, 'node_modules', 'tweetnacl', 'nacl-fast.js');
  let src: string;
  try {
    src = readFileSync(file, 'utf8');
  } catch {
    throw new FirmwareBenchError('tweetnacl is not installed (npm install): it is the baseline of this benchmark');
  }
  const patches: [string, string][] = [
    ["require('crypto')", 'null'],
    ['(self.crypto || self.msCrypto)', 'null'],
    ["(typeof module !== 'undefined' && module.exports ? module.exports : (self.nacl = self.nacl || {}))", '(module.exports)'],
  ];
  for (const [from, to] of patches) {
    const at = src.indexOf(from);
    if (at < 0 || src.indexOf(from, at + 1) >= 0) throw new FirmwareBenchError('unexpected tweetnacl source (' + from + '): ' + file);
    src = src.slice(0, at) + to + src.slice(at + from.length);
  }
  return 'var module = { exports: {} };\n' + src + '\nexport default module.exports;\n';
}

const repoPath = (rel: string): string => JSON.stringify(path.join(REPO_ROOT, rel));

/**
 * Plain JavaScript appended to the bench script on the interpreter for Linux (never part of a
 * bundle): `hoodCpuMs()`, this process's CPU time in ms, from the first field of
 * /proc/self/schedstat (ns run on a CPU); -1 where there is no fs module or no /proc.
 */
export const CPU_CLOCK_SOURCE =
  'var hoodFs=null;try{hoodFs=require("fs");}catch(e){}' +
  'global.hoodCpuMs=function(){if(!hoodFs)return -1;try{var ns=parseInt(String(hoodFs.readFileSync("/proc/self/schedstat")).split(" ")[0],10);return ns>=0?ns/1e6:-1;}catch(e){return -1;}};';

/** The benchmark entry (TypeScript): defines global `hoodBench.run(runs)`, which prints `@bench` lines. */
export function benchEntrySource(nym: NymbleStatusFixture = nymbleStatusFixture()): string {
  return `
import nacl from './nacl-baseline.js';
import { x25519, x25519Base, x25519Shared } from ${repoPath('shared/src/crypto/x25519')};
import { ed25519Verify } from ${repoPath('shared/src/crypto/ed25519')};
import { seal, open } from ${repoPath('shared/src/crypto/chacha20poly1305')};
import { fromHex, toHex } from ${repoPath('shared/src/bytes')};
import { checkOwnStatus } from ${repoPath('shared/src/nymble/blacklist')};
declare const getTime: () => number;
declare const print: (s: string) => void;

function emit(o: any): void { print('@bench ' + JSON.stringify(o)); }

// CPU time of this interpreter process in ms, from the run script's hoodCpuMs (CPU_CLOCK_SOURCE:
// /proc/self/schedstat, which the firmware build would rightly refuse to bundle); -1 without it.
// Read around each call, it gives CPU time per call interleaved like the wall times, so a change
// in how fast the host runs (other jobs, a shared VM's neighbours) hits both implementations alike.
function cpuMs(): number {
  const f = (global as any).hoodCpuMs;
  return typeof f === 'function' ? f() : -1;
}
let lastCpu = -1;

function time(fn: () => void): number {
  const c0 = cpuMs();
  const t0 = getTime();
  fn();
  const ms = (getTime() - t0) * 1000;
  const c1 = cpuMs();
  lastCpu = c0 >= 0 && c1 >= 0 ? c1 - c0 : -1;
  return ms;
}

function run(runs: number): void {
  // RFC 7748 §5.2, first test vector.
  const k = fromHex('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4');
  const u = fromHex('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c');
  const want = 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552';
  emit({ check: 'rfc7748', ok: toHex(x25519(k, u)) === want && toHex(nacl.scalarMult(k, u)) === want });
  let lowOrder = false;
  try { x25519Shared(k, new Uint8Array(32)); } catch (e) { lowOrder = true; }
  emit({ check: 'lowOrderRejected', ok: lowOrder });
  let same = true;
  const sk = new Uint8Array(32);
  const pk = new Uint8Array(32);
  for (let r = 0; r < runs; r++) {
    for (let i = 0; i < 32; i++) { sk[i] = (i * 29 + r * 71 + 5) & 255; pk[i] = (i * 53 + r * 17 + 11) & 255; }
    let a: Uint8Array = sk;
    let b: Uint8Array = pk;
    // Alternate which one runs first, so a change of machine load hits both alike.
    let tOurs = 0;
    let tNacl = 0;
    let cOurs = -1;
    let cNacl = -1;
    if (r % 2 === 0) {
      tOurs = time(function () { a = x25519(sk, pk); });
      cOurs = lastCpu;
      tNacl = time(function () { b = nacl.scalarMult(sk, pk); });
      cNacl = lastCpu;
    } else {
      tNacl = time(function () { b = nacl.scalarMult(sk, pk); });
      cNacl = lastCpu;
      tOurs = time(function () { a = x25519(sk, pk); });
      cOurs = lastCpu;
    }
    if (toHex(a) !== toHex(b)) same = false;
    emit({ op: 'x25519', run: r, ours: tOurs, tweetnacl: tNacl, oursCpu: cOurs, tweetnaclCpu: cNacl });
  }
  emit({ check: 'matchesTweetnacl', ok: same });
  for (let r = 0; r < runs; r++) {
    sk[0] = r;
    emit({ op: 'x25519Base', run: r, ms: time(function () { x25519Base(sk); }) });
  }
  // RFC 8032 §7.1 TEST 2 (one-byte message 0x72), and the same signature with one bit flipped.
  const edPub = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  const edSig = fromHex('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');
  const edMsg = fromHex('72');
  let edOk = true;
  for (let r = 0; r < runs; r++) {
    let ok = false;
    emit({ op: 'ed25519Verify', run: r, ms: time(function () { ok = ed25519Verify(edSig, edMsg, edPub); }) });
    if (!ok) edOk = false;
  }
  edSig[5] ^= 1;
  if (ed25519Verify(edSig, edMsg, edPub)) edOk = false;
  emit({ check: 'rfc8032', ok: edOk });
  const key = new Uint8Array(32);
  const nonce = new Uint8Array(12);
  const msg = new Uint8Array(${AEAD_BYTES});
  for (let i = 0; i < msg.length; i++) msg[i] = i & 255;
  let aeadOk = true;
  for (let r = 0; r < runs; r++) {
    key[0] = r;
    let sealed: Uint8Array = msg;
    let opened: Uint8Array | null = null;
    const ts = time(function () { sealed = seal(key, nonce, msg); });
    const to = time(function () { opened = open(key, nonce, sealed); });
    if (!opened || toHex(opened) !== toHex(msg)) aeadOk = false;
    emit({ op: 'aead', run: r, seal: ts, open: to });
  }
  emit({ check: 'aead', ok: aeadOk });
  // Extended Nymble §2.7: the status check before a ticket is presented, on a full one-cell list.
  const nymList = fromHex('${nym.listHex}');
  const nymKey = fromHex('${nym.nmPublicKeyHex}');
  const nymListed = fromHex('${nym.listedHex}');
  const nymClear = fromHex('${nym.clearHex}');
  const nymExpect = { sid: '${nym.sid}', w: ${nym.w}, t: ${nym.t}, lastVersion: 0 };
  let nymOk = true;
  for (let r = 0; r < runs; r++) {
    let st = { ok: false, reason: '', version: 0 };
    const who = r % 2 === 0 ? nymClear : nymListed;
    const ms = time(function () { st = checkOwnStatus(nymList, nymKey, nymExpect, who); });
    if (st.reason !== (r % 2 === 0 ? 'clear' : 'blacklisted') || st.version !== ${nym.version}) nymOk = false;
    emit({ op: 'nymbleStatus', run: r, ms: ms });
  }
  nymList[nymList.length - 1] ^= 1;
  if (checkOwnStatus(nymList, nymKey, nymExpect, nymClear).reason !== 'bad_signature') nymOk = false;
  emit({ check: 'nymbleStatus', ok: nymOk });
  emit({ done: true });
}

/** CPU-time mode: 'ours' or 'tweetnacl' X25519 n times on fixed inputs ('none': nothing, the baseline). */
function loop(which: string, n: number): void {
  const sk = new Uint8Array(32);
  const pk = new Uint8Array(32);
  for (let i = 0; i < 32; i++) { sk[i] = (i * 29 + 5) & 255; pk[i] = (i * 53 + 11) & 255; }
  for (let r = 0; r < n; r++) {
    if (which === 'ours') x25519(sk, pk);
    else if (which === 'tweetnacl') nacl.scalarMult(sk, pk);
  }
}

(global as any).hoodBench = { run: run, loop: loop };
`;
}

export interface EspruinoRun {
  stdout: string;
  stderr: string;
  code: number | null;
  timedOut: boolean;
}

/** Run `espruino script` with stdin closed (the interpreter exits when idle); killed after timeoutMs. */
export function runEspruino(espruino: string, script: string, timeoutMs: number, cwd?: string): Promise<EspruinoRun> {
  return new Promise((resolve, reject) => {
    // cwd: the Linux build keeps its emulated flash (Storage) in ./espruino.flash.
    const child = spawn(espruino, [script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: cwd ?? path.dirname(script) });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (stdout.length < 4_000_000) stdout += d;
    });
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 1_000_000) stderr += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, timedOut });
    });
  });
}

/** Children's user + system seconds from POSIX `times` output (second line, e.g. "0m1.230000s 0m0.010000s"). */
export function parseTimes(out: string): number {
  const lines = out.trim().split(/\n/);
  const m = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec((lines[1] || '').trim());
  if (lines.length !== 2 || !m) throw new FirmwareBenchError('could not read the CPU time of the interpreter: ' + JSON.stringify(out));
  return Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4]);
}

/**
 * CPU seconds (user + system) of one interpreter process running `script`, from the shell's
 * `times` (its children's line). Unlike wall time this does not grow when other jobs share the
 * CPU, so it compares the two implementations fairly on a loaded machine.
 */
export function cpuSeconds(espruino: string, script: string, timeoutMs: number, cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', '"$0" "$1" </dev/null >/dev/null 2>&1; times', espruino, script], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      if (out.length < 10_000) out += d;
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', () => {
      clearTimeout(timer);
      try {
        resolve(parseTimes(out));
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** The JSON of every `<tag> {...}` line (Espruino's prompt and escape codes may precede it). */
export function taggedLines(out: string, tag: string): any[] {
  const found: any[] = [];
  for (const line of out.split(/\r?\n/)) {
    const at = line.indexOf(tag + ' {');
    if (at < 0) continue;
    try {
      found.push(JSON.parse(line.slice(at + tag.length + 1)));
    } catch {
      // a line cut off by a crash: ignored, the missing result is reported by the caller
    }
  }
  return found;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** Median (mean of the middle two for an even count). */
export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = xs.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : round2((s[mid - 1] + s[mid]) / 2);
}

function timing(samples: number[]): OpTiming {
  const ms = samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);
  return { ms: Math.round(ms * 10) / 10, samples: samples.map((s) => Math.round(s * 10) / 10) };
}

/** Build the benchmark bundle into dir with the firmware pipeline; returns its path and size. */
export async function buildBenchBundle(dir: string): Promise<{ file: string; bytes: number }> {
  writeFileSync(path.join(dir, 'nacl-baseline.js'), tweetnaclModuleSource());
  const entry = path.join(dir, 'bench-entry.ts');
  writeFileSync(entry, benchEntrySource());
  const r = await buildFirmware({ entry, outFile: path.join(dir, 'bench.js'), budget: 1024 * 1024 });
  return { file: r.outFile, bytes: r.bytes };
}

/** Interpreter lines that report an error (ANSI escapes removed), at most 10. */
export function errorLines(out: string): string[] {
  return out
    .split(/\r?\n/)
    .map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trim())
    .filter((l) => /Uncaught|Error|not found|is not/.test(l) && l.indexOf('@bench') < 0 && l.indexOf('@mem') < 0)
    .slice(0, 10);
}

/**
 * Boot the firmware bundle on the interpreter and read process.memory() 1 s later (the board
 * boot is deferred with setTimeout 0). 'storage': written to Storage as `.bootcde` (the Linux
 * build keeps its flash in ./espruino.flash, here in the temporary dir) and started with load(),
 * as on a board; 'ram': run as a script file.
 */
export async function bootAndMeasure(
  espruino: string,
  dir: string,
  fwCode: string,
  how: 'storage' | 'ram',
  timeoutMs: number,
): Promise<{ memory: MemoryReport; errors: string[] }> {
  const boot = fwCode + '\nsetTimeout(function(){print("@mem "+JSON.stringify(process.memory()));},1000);\n';
  const script = path.join(dir, 'boot-' + how + '.js');
  if (how === 'ram') writeFileSync(script, boot);
  else writeFileSync(script, 'require("Storage").write(".bootcde",' + JSON.stringify(boot) + ');\nload();\n');
  const f = await runEspruino(espruino, script, timeoutMs, dir);
  const mem = taggedLines(f.stdout, '@mem')[0];
  if (!mem) throw new FirmwareBenchError('the firmware (' + how + ') did not report memory after boot:\n' + errorLines(f.stdout + f.stderr).join('\n'));
  return { memory: { usage: mem.usage, free: mem.free, total: mem.total, blocksize: mem.blocksize }, errors: errorLines(f.stdout + f.stderr) };
}

export async function benchFirmware(opts: FirmwareBenchOptions): Promise<FirmwareBenchResult> {
  const espruino = checkInterpreter(opts.espruino);
  const runs = opts.runs ?? 5;
  if (!(runs >= 1 && runs <= 50)) throw new FirmwareBenchError('--runs must be between 1 and 50');
  const timeoutMs = opts.timeoutMs ?? 15 * 60_000;
  const progress = opts.onProgress ?? (() => {});
  const dir = makeTempDir('hood-fwbench-');
  try {
    progress('building the benchmark bundle (firmware pipeline)');
    const bundle = await buildBenchBundle(dir);
    const script = path.join(dir, 'run-bench.js');
    writeFileSync(
      script,
      readFileSync(bundle.file, 'utf8') + '\n' + CPU_CLOCK_SOURCE + '\nprint("@bench "+JSON.stringify({version:process.env.VERSION}));\nhoodBench.run(' + runs + ');\n',
    );
    progress('running on ' + espruino + ' (' + runs + ' timed calls per operation)');
    const b = await runEspruino(espruino, script, timeoutMs);
    if (b.timedOut) throw new FirmwareBenchError('the interpreter did not finish the benchmark within ' + timeoutMs + ' ms');
    const lines = taggedLines(b.stdout, '@bench');
    if (!lines.some((l) => l.done)) {
      throw new FirmwareBenchError('the benchmark did not complete on the interpreter:\n' + errorLines(b.stdout + b.stderr).join('\n'));
    }
    const ofOp = (op: string) => lines.filter((l) => l.op === op);
    const check = (name: string) => lines.some((l) => l.check === name && l.ok === true);
    const ours = timing(ofOp('x25519').map((l) => l.ours));
    const nacl = timing(ofOp('x25519').map((l) => l.tweetnacl));
    const runRatios = ofOp('x25519').map((l) => round2(l.tweetnacl / l.ours));
    const ratio = median(runRatios);

    // CPU time per call: read around each interleaved call where the interpreter can (schedstat);
    // else separate processes, in rounds close in time with their order alternating.
    const xs = ofOp('x25519');
    const perCall = xs.every((l) => typeof l.oursCpu === 'number' && l.oursCpu > 0 && typeof l.tweetnaclCpu === 'number' && l.tweetnaclCpu > 0);
    let oursMsR: number[] = [];
    let naclMsR: number[] = [];
    let cpuRatios: number[] = [];
    if (perCall) {
      oursMsR = xs.map((l) => l.oursCpu);
      naclMsR = xs.map((l) => l.tweetnaclCpu);
      cpuRatios = xs.map((l) => round2(l.tweetnaclCpu / l.oursCpu));
    } else {
      progress('CPU time of ' + runs + ' X25519 calls each, in separate interpreter processes, ' + CPU_ROUNDS + ' rounds');
      const cpuOf = async (which: string): Promise<number> => {
        const f = path.join(dir, 'cpu-' + which + '.js');
        writeFileSync(f, readFileSync(bundle.file, 'utf8') + '\nhoodBench.loop(' + JSON.stringify(which) + ',' + runs + ');\n');
        return cpuSeconds(espruino, f, timeoutMs, dir);
      };
      for (let r = 0; r < CPU_ROUNDS; r++) {
        const base = await cpuOf('none');
        const first = r % 2 === 0 ? 'ours' : 'tweetnacl';
        const a = (Math.max(0, (await cpuOf(first)) - base) * 1000) / runs;
        const b = (Math.max(0, (await cpuOf(first === 'ours' ? 'tweetnacl' : 'ours')) - base) * 1000) / runs;
        const o = first === 'ours' ? a : b;
        const n = first === 'ours' ? b : a;
        oursMsR.push(o);
        naclMsR.push(n);
        cpuRatios.push(o > 0 ? round2(n / o) : 0);
      }
    }
    const cpuOurs = median(oursMsR);
    const cpuNacl = median(naclMsR);
    const cpuRatio = round2(median(cpuRatios));

    progress('booting the firmware bundle on the interpreter (from Storage, and as a script in RAM)');
    const fw = await ensureFirmware();
    const fwCode = readFileSync(fw.outFile, 'utf8');
    const flashBoot = await bootAndMeasure(espruino, dir, fwCode, 'storage', Math.min(timeoutMs, 120_000));
    const ramBoot = await bootAndMeasure(espruino, dir, fwCode, 'ram', Math.min(timeoutMs, 120_000));
    const version = (lines.find((l) => typeof l.version === 'string') || { version: '?' }).version;
    return {
      interpreter: { path: espruino, version },
      runs,
      benchBundleBytes: bundle.bytes,
      x25519: {
        ours,
        tweetnacl: nacl,
        ratio,
        runRatios,
        ratioOfMeans: round2(nacl.ms / ours.ms),
        ratioOfMinima: round2(Math.min(...nacl.samples) / Math.min(...ours.samples)),
        cpu: { oursMs: Math.round(cpuOurs), tweetnaclMs: Math.round(cpuNacl), ratio: cpuRatio, runRatios: cpuRatios, clock: perCall ? 'per-call' : 'processes' },
        target: X25519_RATIO_TARGET,
        meetsTarget: cpuRatio >= X25519_RATIO_TARGET,
      },
      x25519Base: timing(ofOp('x25519Base').map((l) => l.ms)),
      ed25519Verify: timing(ofOp('ed25519Verify').map((l) => l.ms)),
      aead: { bytes: AEAD_BYTES, seal: timing(ofOp('aead').map((l) => l.seal)), open: timing(ofOp('aead').map((l) => l.open)) },
      nymbleStatus: { ...timing(ofOp('nymbleStatus').map((l) => l.ms)), entries: NYMBLE_BENCH_ENTRIES },
      checks: {
        rfc7748: check('rfc7748'),
        matchesTweetnacl: check('matchesTweetnacl'),
        rfc8032: check('rfc8032'),
        aead: check('aead'),
        lowOrderRejected: check('lowOrderRejected'),
        nymbleStatus: check('nymbleStatus'),
      },
      firmware: {
        bundleBytes: Buffer.byteLength(fwCode),
        memory: flashBoot.memory,
        varsAfterBoot: flashBoot.memory.usage,
        target: VARS_AFTER_BOOT_TARGET,
        withinTarget: flashBoot.memory.usage <= VARS_AFTER_BOOT_TARGET,
        bootErrors: flashBoot.errors,
        scriptInRam: { memory: ramBoot.memory, varsAfterBoot: ramBoot.memory.usage, bootErrors: ramBoot.errors },
      },
    };
  } finally {
    removeTempDir(dir);
  }
}
