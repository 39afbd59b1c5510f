/**
 * `hood bench bank`: how many swaps (and mints) per second the mint commits on ONE core with
 * durable writes (SQLite WAL, synchronous=FULL, one transaction each), against the raw
 * secp256k1 constant-time point-multiplication rate measured in the same run.
 *
 * A 1-in/1-out swap costs the mint 3 constant-time multiplications by secret scalars (verify
 * k·Y == C, sign C_ = k·B_, DLEQ R2 = r·B_) plus one fixed-base r·G, one hash_to_curve and the
 * commit, so pointMulPerSec / 3 is the ceiling; `efficiency` says how close the mint gets.
 * Client-side work (blinding, DLEQ checks, unblinding) happens outside the timed sections.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { N, Point, bytesToScalar } from '../cashu/bdhke';
import { openMint } from './service';
import { finishProofs, prepareOutputs, wireOutputs } from '../wallet/blinding';
import { checkKeyset } from '../wallet/keyring';
import type { Proof } from '../wallet/types';

export interface BankBenchResult {
  swapsPerSec: number;
  mintsPerSec: number;
  pointMulPerSec: number;
  /** swapsPerSec / pointMulPerSec */
  ratio: number;
  /** constant-time multiplications the mint does per 1-in/1-out swap */
  mulsPerSwap: number;
  /** swapsPerSec / (pointMulPerSec / mulsPerSwap) */
  efficiency: number;
  swaps: number;
  mints: number;
  durable: { journal: string; synchronous: string };
  node: string;
}

function randScalar(): bigint {
  for (;;) {
    const s = bytesToScalar(randomBytes(32));
    if (s !== 0n && s < N) return s;
  }
}

export function measurePointMul(ms: number): number {
  const P = Point.BASE.multiply(randScalar());
  const scalars: bigint[] = [];
  for (let i = 0; i < 64; i++) scalars.push(randScalar());
  let n = 0;
  const t0 = performance.now();
  let acc = P;
  while (performance.now() - t0 < ms) {
    acc = P.multiply(scalars[n & 63]);
    n++;
  }
  if (acc.is0()) throw new Error('impossible');
  return n / ((performance.now() - t0) / 1000);
}

export async function benchBank(opts: { seconds?: number; onProgress?: (m: string) => void } = {}): Promise<BankBenchResult> {
  const phaseMs = (opts.seconds ?? 2) * 1000;
  const say = opts.onProgress || (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'hood-bench-bank-'));
  try {
    const mint = await openMint(dir);
    const { token } = await mint.createAccount('bench');
    await mint.creditAccount('bench', 1_000_000);
    const ks = checkKeyset(mint.keys().keysets[0], {});
    const auth = 'Bearer ' + token;
    const db = (mint.store as unknown as { db: { pragma(s: string, o: { simple: boolean }): unknown } }).db;
    const syncNames = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];
    const durable = {
      journal: String(db.pragma('journal_mode', { simple: true })),
      synchronous: syncNames[Number(db.pragma('synchronous', { simple: true }))] || 'unknown',
    };

    say('point multiplication');
    const pointMulPerSec = measurePointMul(Math.min(phaseMs, 1500));

    say('mints');
    // Mint: pay a 1-unit quote from the account and issue one signature (two transactions).
    const proofs: Proof[] = [];
    let mintMs = 0;
    let mints = 0;
    while (mintMs < phaseMs && mints < 2000) {
      const prep = prepareOutputs([1], ks);
      const body = { quote: '', outputs: wireOutputs(prep) };
      const t0 = performance.now();
      const q = (await mint.createMintQuote({ amount: 1, unit: 'sat' })) as { quote: string };
      await mint.payMintQuote(q.quote, auth);
      body.quote = q.quote;
      const r = await mint.mint(body);
      mintMs += performance.now() - t0;
      mints++;
      proofs.push(...finishProofs(prep, r.signatures, ks));
    }

    say('swaps');
    let swapMs = 0;
    let swaps = 0;
    let pool = proofs;
    while (swapMs < phaseMs && swaps < 4000) {
      const next: Proof[] = [];
      for (const p of pool) {
        if (swapMs >= phaseMs) break;
        const prep = prepareOutputs([1], ks);
        const body = { inputs: [{ amount: p.amount, id: p.id, secret: p.secret, C: p.C }], outputs: wireOutputs(prep) };
        const t0 = performance.now();
        const r = await mint.swap(body);
        swapMs += performance.now() - t0;
        swaps++;
        next.push(...finishProofs(prep, r.signatures, ks));
      }
      pool = next;
    }
    const audit = await mint.audit();
    await mint.store.close();
    if (!audit.ok) throw new Error('ledger audit failed after bench: ' + audit.problems.join('; '));

    const swapsPerSec = swaps / (swapMs / 1000);
    const mintsPerSec = mints / (mintMs / 1000);
    const mulsPerSwap = 3;
    const r3 = (x: number) => Math.round(x * 1000) / 1000;
    return {
      swapsPerSec: r3(swapsPerSec),
      mintsPerSec: r3(mintsPerSec),
      pointMulPerSec: r3(pointMulPerSec),
      ratio: r3(swapsPerSec / pointMulPerSec),
      mulsPerSwap,
      efficiency: r3(swapsPerSec / (pointMulPerSec / mulsPerSwap)),
      swaps,
      mints,
      durable,
      node: process.version,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
