/**
 * Test-side blinding and unblinding on libsecp256k1 (the curve seam), so tests can drive hundreds
 * of swaps without the pure-JS wallet's cost. Same algebra as host/wallet/blinding.ts (NUT-00).
 */
import { randomBytes } from 'node:crypto';
import { loadCurve } from '../../host/cashu/curve';
import { blind, isScalar, secretToY, unblind } from '../../host/cashu/curve/bdhke';
import type { Mint } from '../../host/bank/mint';
import { fromHex, toHex } from '../../shared/src/bytes';

export const curve = loadCurve('libsecp256k1');

export interface KeysetKeys {
  id: string;
  keys: Record<string, string>;
}

export interface Prepared {
  secret: string;
  r: Uint8Array;
  amount: number;
  B_: string;
}

export interface TestProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
}

function scalar(): Uint8Array {
  for (;;) {
    const s = randomBytes(32);
    if (isScalar(s)) return s;
  }
}

export function activeKeys(mint: Mint): KeysetKeys {
  const k = mint.keys().keysets[0];
  return { id: k.id, keys: k.keys };
}

/** Every output prepared in this process, by B_ (so a test can finish any answer it receives). */
export const preparedByB = new Map<string, Prepared>();

export function prepare(amounts: number[]): Prepared[] {
  return amounts.map((amount) => {
    const secret = toHex(randomBytes(32));
    const r = scalar();
    const p = { secret, r, amount, B_: toHex(blind(curve, secretToY(curve, secret), r)) };
    preparedByB.set(p.B_, p);
    return p;
  });
}

export function wire(prep: Prepared[], ks: KeysetKeys): { amount: number; id: string; B_: string }[] {
  return prep.map((p) => ({ amount: p.amount, id: ks.id, B_: p.B_ }));
}

export function finish(prep: Prepared[], sigs: { amount: number; C_: string }[], ks: KeysetKeys): TestProof[] {
  if (sigs.length !== prep.length) throw new Error('signature count');
  return prep.map((p, i) => ({
    amount: p.amount,
    id: ks.id,
    secret: p.secret,
    C: toHex(unblind(curve, fromHex(sigs[i].C_), p.r, fromHex(ks.keys[String(p.amount)]))),
  }));
}

/** `n` one-unit proofs from one account-paid quote (the account must hold n). */
export async function mintOnes(mint: Mint, auth: string, n: number): Promise<TestProof[]> {
  const ks = activeKeys(mint);
  const q = (await mint.createMintQuote({ amount: n, unit: 'sat' })) as { quote: string };
  await mint.payMintQuote(q.quote, auth);
  const prep = prepare(new Array(n).fill(1));
  const r = await mint.mint({ quote: q.quote, outputs: wire(prep, ks) });
  return finish(prep, r.signatures, ks);
}
