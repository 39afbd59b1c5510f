/**
 * `hood bench bank`: how many swaps (and mints) per second the mint commits with durable writes
 * (SQLite WAL, synchronous=FULL), against the secp256k1 multiplication rate of every curve library
 * measured in the same run.
 *
 * A 1-in/1-out swap costs the mint 3 constant-time multiplications by secret scalars (verify
 * k·Y == C, sign C_ = k·B_, DLEQ R2 = r·B_) plus one fixed-base r·G, one hash_to_curve and its
 * share of a group commit. So (fastest library's mul/s) / 3 is the ceiling and `efficiency` the
 * fraction of it reached. The mul/s is measured on the same `Curve.mul` the mint calls
 * (libsecp256k1's ecmult_const); `variableTime` adds the rate of libsecp256k1's variable-time
 * multiplication, which the mint must not use (curve/native.ts), and the efficiency against it.
 *
 * Swaps are driven by `concurrency` clients (default 48), each sending its next swap as soon as the
 * previous one is answered, so requests arrive while a commit is in flight and share the next one
 * (ledger/group-commit.ts). `swapsPerSec` is over HTTP: the bank runs as its own process (as the
 * MSS runs it, embedded.ts) and the clients in this one, over keep-alive loopback connections,
 * writing requests serialised before the timed phase (bench-load.ts); `generator` and `bankBusy`
 * show which side used the CPU.
 * `inProcessSwapsPerSec` calls the mint directly with the same concurrency: the mint without HTTP.
 * Client work (blinding, unblinding) happens before the timed sections. Mints are timed one after
 * the other, in process (quote + account payment + one signature).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { availableCurves, selectCurve, type Curve, type CurveName } from '../cashu/curve';
import { isScalar } from '../cashu/curve/bdhke';
import { randomBytes } from 'node:crypto';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { drive, finishOnes, prepareOnes, rawHttpClient, serializePost, swapBodies, type BenchProof, type KeysetKeys } from './bench-load';
import { spawnBank } from './embedded';
import type { SqliteLedgerStore } from './ledger/sqlite';
import type { Mint } from './mint';
import { openMint } from './service';

export interface BankBenchResult {
  /** Durable swaps per second over HTTP with `concurrency` clients. */
  swapsPerSec: number;
  /** The same load calling the mint in process (no HTTP). */
  inProcessSwapsPerSec: number;
  /**
   * Swaps per second of CPU time used by the bank (user + system; over HTTP the bank process's
   * own, from /proc). Unlike the wall-clock rates it hardly moves when other work shares the cores:
   * it is the rate one otherwise idle core would reach.
   */
  swapsPerCpuSec: { http: number; inProcess: number };
  /**
   * The HTTP load generator (this process) during the timed phase: `busy` is its CPU time over the
   * wall time (1 = one core fully used), `cpuPerSwapUs` its CPU per swap. With `bankBusy` (the bank
   * process's CPU over wall time) it shows who limits the rate: the bank near 1 and the generator
   * far below it means the generator has headroom.
   */
  generator: { busy: number; cpuPerSwapUs: number };
  bankBusy: number;
  mintsPerSec: number;
  /** Constant-time k·P per second of the library the mint uses (`library`). */
  pointMulPerSec: number;
  library: CurveName;
  /** k·P per second of every library that loads here, fastest first (tiny-secp256k1's is variable-time). */
  curves: { library: CurveName; mulPerSec: number }[];
  /** swapsPerSec / pointMulPerSec */
  ratio: number;
  /** constant-time multiplications the mint does per 1-in/1-out swap */
  mulsPerSwap: number;
  /**
   * swapsPerSec / (fastest library's mulPerSec / mulsPerSwap), with that library's rate measured
   * right before and right after the HTTP phase (`yardstick`, its mean): the host's speed drifts
   * (other jobs, a shared VM's neighbours), and a rate taken half a minute earlier would judge the
   * swaps against another machine.
   */
  efficiency: number;
  yardstick: { library: CurveName; before: number; after: number; mulPerSec: number };
  /**
   * libsecp256k1's variable-time k·P (publicKeyTweakMul, secp256k1_ecmult) per second, and
   * `efficiency` against it. Not what the mint may use (curve/native.ts: its time follows the
   * secret scalar); reported because bank figures before the mint moved to ecmult_const were
   * measured against it.
   */
  variableTime: { mulPerSec: number; efficiency: number } | null;
  concurrency: number;
  transport: 'http';
  swaps: number;
  mints: number;
  /** Group commit in the in-process run: commits and the mean and largest number of requests per commit. */
  groups: { commits: number; meanSize: number; largest: number };
  durable: { journal: string; synchronous: string };
  /** 1-minute load average when the run ended (the machine may be shared). */
  load1: number;
  cores: number;
  node: string;
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (Linux; NaN elsewhere). */
function processCpuSec(pid: number): number {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields 14 and 15 of proc(5) (utime, stime) are 11 and 12 after the command name
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return NaN;
  }
}

function ownCpuSec(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function randomScalar(): Uint8Array {
  for (;;) {
    const s = randomBytes(32);
    if (isScalar(s)) return s;
  }
}

/** Constant-time k·P per second on one library (64 random scalars in turn). */
export function measureMul(c: Curve, ms: number): number {
  const P = c.mulG(randomScalar());
  const ks: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) ks.push(randomScalar());
  let n = 0;
  let acc = P;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    acc = c.mul(P, ks[n & 63]);
    n++;
  }
  if (acc.length !== 33) throw new Error('impossible');
  return n / ((performance.now() - t0) / 1000);
}

/** libsecp256k1's variable-time publicKeyTweakMul per second (a reference rate only), or null. */
function measureVariableTimeMul(ms: number): number | null {
  let s: { publicKeyTweakMul(p: Uint8Array, k: Uint8Array, compressed: boolean): Uint8Array; publicKeyCreate(k: Uint8Array, compressed: boolean): Uint8Array };
  try {
    s = createRequire(import.meta.url)('secp256k1/bindings');
  } catch {
    return null;
  }
  const P = s.publicKeyCreate(randomScalar(), true);
  const ks: Uint8Array[] = [];
  for (let i = 0; i < 64; i++) ks.push(randomScalar());
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    s.publicKeyTweakMul(P, ks[n & 63], true);
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Kept for callers that want the rate of the library in use. */
export function measurePointMul(ms: number): number {
  return measureMul(selectCurve(), ms);
}

function activeKeys(mint: Mint): KeysetKeys {
  const k = mint.keys().keysets[0];
  return { id: k.id, keys: k.keys };
}

/** Up to 1000 outputs per mint request (wire.ts MAX_OUTPUTS). */
const MINT_CHUNK = 1000;

async function mintProofs(c: Curve, n: number, ks: KeysetKeys, issue: (amount: number, outputs: { amount: number; id: string; B_: string }[]) => Promise<{ C_: string }[]>): Promise<BenchProof[]> {
  const out: BenchProof[] = [];
  while (out.length < n) {
    const k = Math.min(MINT_CHUNK, n - out.length);
    const prep = prepareOnes(c, k);
    const sigs = await issue(
      k,
      prep.map((p) => ({ amount: 1, id: ks.id, B_: p.B_ })),
    );
    out.push(...finishOnes(c, prep, sigs, ks));
  }
  return out;
}

export async function benchBank(
  opts: { seconds?: number; concurrency?: number; maxSwaps?: number; onProgress?: (m: string) => void } = {},
): Promise<BankBenchResult> {
  const phaseMs = (opts.seconds ?? 2) * 1000;
  const concurrency = opts.concurrency ?? 48;
  const say = opts.onProgress || (() => undefined);
  const curve = selectCurve({ warn: (f) => say('curve library ' + f.library + ' not available (' + f.reason + '), falling back') });
  // Enough prepared swaps for the phase at a rate well above the target; the phase ends early if they run out.
  const swapTarget = Math.min(opts.maxSwaps ?? 30_000, 4000 * Math.ceil(phaseMs / 1000));
  const dir = makeTempDir('hood-bench-bank-');
  try {
    say('point multiplication: ' + availableCurves().map((c) => c.name).join(', '));
    const curves = availableCurves()
      .map((c) => ({ library: c.name, mulPerSec: r3(measureMul(c, c.name === 'noble' ? 1000 : 600)) }))
      .sort((a, b) => b.mulPerSec - a.mulPerSec);
    const pointMulPerSec = curves.find((c) => c.library === curve.name)!.mulPerSec;
    const vtMul = measureVariableTimeMul(600);

    // ---- in process: mints one by one, then concurrent swaps ----
    // Checkpoints on a worker thread, as the serving bank (service.ts) runs them.
    const mint = await openMint(join(dir, 'in-process'), { curve, backgroundCheckpoint: true });
    const { token } = await mint.createAccount('bench');
    const auth = 'Bearer ' + token;
    await mint.creditAccount('bench', 10_000_000);
    const ks = activeKeys(mint);
    const db = (mint.store as SqliteLedgerStore).db;
    const syncNames = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
    const durable = {
      journal: String(db.pragma('journal_mode', { simple: true })),
      synchronous: syncNames[Number(db.pragma('synchronous', { simple: true }))] || 'unknown',
    };

    say('mints');
    let mintMs = 0;
    let mints = 0;
    while (mintMs < phaseMs && mints < 5000) {
      const prep = prepareOnes(curve, 1);
      const outputs = [{ amount: 1, id: ks.id, B_: prep[0].B_ }];
      const t0 = performance.now();
      const q = (await mint.createMintQuote({ amount: 1, unit: 'sat' })) as { quote: string };
      await mint.payMintQuote(q.quote, auth);
      await mint.mint({ quote: q.quote, outputs });
      mintMs += performance.now() - t0;
      mints++;
    }

    say('in-process swaps: minting ' + swapTarget + ' proofs');
    const issueInProcess = async (amount: number, outputs: { amount: number; id: string; B_: string }[]) => {
      const q = (await mint.createMintQuote({ amount, unit: 'sat' })) as { quote: string };
      await mint.payMintQuote(q.quote, auth);
      return (await mint.mint({ quote: q.quote, outputs })).signatures;
    };
    const local = swapBodies(curve, await mintProofs(curve, swapTarget, ks, issueInProcess), ks);
    say('in-process swaps: ' + concurrency + ' clients');
    const store = mint.store as SqliteLedgerStore;
    const g0 = { ...store.group.stats };
    const cpu0 = ownCpuSec();
    const inProc = await drive(local, concurrency, phaseMs, (b) => mint.swap(b).then(
      () => true,
      () => false,
    ));
    const inProcCpu = ownCpuSec() - cpu0;
    const g1 = store.group.stats;
    const commits = g1.groups - g0.groups;
    const groups = { commits, meanSize: r3(commits ? (g1.jobs - g0.jobs) / commits : 0), largest: g1.largest };
    const audit1 = await mint.audit();
    await mint.store.close();
    if (!audit1.ok) throw new Error('ledger audit failed after bench: ' + audit1.problems.join('; '));
    if (inProc.failed) throw new Error('bench: ' + inProc.failed + ' in-process swaps refused');

    // ---- over HTTP: the bank in its own process ----
    say('http swaps: starting the bank process');
    const bank = await spawnBank({ dataDir: join(dir, 'http'), host: '127.0.0.1', port: 0, log: silentLogger() });
    let http: Awaited<ReturnType<typeof rawHttpClient>> | null = null;
    let viaHttp;
    let swapsHttp = 0;
    let httpCpu = NaN;
    let genCpu = NaN;
    // The yardstick: the fastest library, measured around the timed phase.
    const fastest = availableCurves().find((c) => c.name === curves[0].library)!;
    let yardBefore = NaN;
    let yardAfter = NaN;
    let vtBefore: number | null = null;
    let vtAfter: number | null = null;
    try {
      const acct = await bank.mint.createAccount('bench');
      await bank.mint.creditAccount('bench', 10_000_000);
      const keys = (await (await fetch(bank.url + '/v1/keys')).json()) as { keysets: KeysetKeys[] };
      const hks = { id: keys.keysets[0].id, keys: keys.keysets[0].keys };
      const must = async (path: string, body: unknown, headers?: Record<string, string>) => {
        const res = await fetch(bank.url + path, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
        const j = (await res.json()) as Record<string, unknown>;
        if (res.status !== 200) throw new Error('bench: ' + path + ' refused: ' + JSON.stringify(j));
        return j;
      };
      say('http swaps: minting ' + swapTarget + ' proofs');
      const proofs = await mintProofs(curve, swapTarget, hks, async (amount, outputs) => {
        const q = (await must('/v1/mint/quote/account', { amount, unit: 'sat' })) as { quote: string };
        await must('/v1/mint/quote/account/' + q.quote + '/pay', {}, { authorization: 'Bearer ' + acct.token });
        return ((await must('/v1/mint/account', { quote: q.quote, outputs })) as { signatures: { C_: string }[] }).signatures;
      });
      // Whole requests, bytes ready to write: the clients' work stays out of the timed phase.
      const host = new URL(bank.url).host;
      const requests = swapBodies(curve, proofs, hks).map((b) => serializePost(host, '/v1/swap', b));
      say('http swaps: ' + concurrency + ' clients');
      const client = (http = await rawHttpClient(bank.url, concurrency));
      yardBefore = measureMul(fastest, 600);
      vtBefore = measureVariableTimeMul(600);
      const bankCpu0 = processCpuSec(bank.pid);
      const genCpu0 = ownCpuSec();
      viaHttp = await drive(requests, concurrency, phaseMs, (r) => client.send(r).then((status) => status === 200));
      genCpu = ownCpuSec() - genCpu0;
      httpCpu = processCpuSec(bank.pid) - bankCpu0;
      yardAfter = measureMul(fastest, 600);
      vtAfter = measureVariableTimeMul(600);
      if (viaHttp.failed) throw new Error('bench: ' + viaHttp.failed + ' swaps refused over HTTP');
      swapsHttp = viaHttp.done;
      const audit2 = await bank.mint.audit();
      if (!audit2.ok) throw new Error('ledger audit failed after bench: ' + audit2.problems.join('; '));
    } finally {
      if (http) http.close();
      await bank.close();
    }

    const swapsPerSec = swapsHttp / (viaHttp.ms / 1000);
    const mintsPerSec = mints / (mintMs / 1000);
    const mulsPerSwap = 3;
    const yard = (yardBefore + yardAfter) / 2;
    const vt = vtMul === null || vtBefore === null || vtAfter === null ? null : (vtBefore + vtAfter) / 2;
    return {
      swapsPerSec: r3(swapsPerSec),
      inProcessSwapsPerSec: r3(inProc.done / (inProc.ms / 1000)),
      swapsPerCpuSec: { http: r3(swapsHttp / httpCpu), inProcess: r3(inProc.done / inProcCpu) },
      generator: { busy: r3(genCpu / (viaHttp.ms / 1000)), cpuPerSwapUs: r3((genCpu * 1e6) / swapsHttp) },
      bankBusy: r3(httpCpu / (viaHttp.ms / 1000)),
      mintsPerSec: r3(mintsPerSec),
      pointMulPerSec,
      library: curve.name,
      curves,
      ratio: r3(swapsPerSec / pointMulPerSec),
      mulsPerSwap,
      efficiency: r3(swapsPerSec / (yard / mulsPerSwap)),
      yardstick: { library: fastest.name, before: r3(yardBefore), after: r3(yardAfter), mulPerSec: r3(yard) },
      variableTime: vt === null ? null : { mulPerSec: r3(vt), efficiency: r3(swapsPerSec / (vt / mulsPerSwap)) },
      concurrency,
      transport: 'http',
      swaps: swapsHttp,
      mints,
      groups,
      durable,
      load1: r3(loadavg()[0]),
      cores: (await import('node:os')).availableParallelism(),
      node: process.version,
    };
  } finally {
    removeTempDir(dir);
  }
}
