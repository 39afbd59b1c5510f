/**
 * Wallet-side NUT-00 blinding and unblinding with NUT-12 checks. Only the host (laptop / MSS)
 * runs this; the PDA never blinds, it only stores finished proofs.
 *
 * Prepared outputs are plain JSON (secret, r, B_) so a wallet can persist them BEFORE it asks
 * the mint to sign: after a crash it resends the same request, and the mint's idempotent answer
 * (same outputs -> same signatures) lets it finish the proofs instead of losing the money.
 */
import { randomBytes } from 'node:crypto';
import { N, blind, bytesToScalar, parsePoint, pointHex, scalarHex, unblind } from '../cashu/bdhke';
import { dleqVerify } from '../cashu/dleq';
import { fromHex } from '../../shared/src/bytes';
import type { WireOutput, WireSignature } from './client';
import type { WalletKeyset } from './keyring';
import { WalletError, type Proof } from './types';

export interface PreparedOutput {
  amount: number;
  secret: string;
  r: string;
  B_: string;
}

export interface PreparedOutputs {
  keysetId: string;
  items: PreparedOutput[];
}

/** Binary decomposition into key amounts, ascending (NUT-03 privacy note: ordered outputs). */
export function splitAmount(amount: number, keyset: WalletKeyset): number[] {
  if (!Number.isSafeInteger(amount) || amount <= 0) throw new WalletError('malformed', 'amount must be a positive integer');
  const out: number[] = [];
  let rest = amount;
  const avail = [...keyset.points.keys()].sort((a, b) => b - a);
  for (const a of avail) {
    while (rest >= a) {
      out.push(a);
      rest -= a;
    }
  }
  if (rest !== 0) throw new WalletError('malformed', 'amount cannot be represented by the keyset');
  return out.sort((a, b) => a - b);
}

function randomScalar(): bigint {
  for (let i = 0; i < 64; i++) {
    const r = bytesToScalar(randomBytes(32));
    if (r !== 0n && r < N) return r;
  }
  throw new Error('rng failure');
}

export function prepareOutputs(amounts: number[], keyset: WalletKeyset): PreparedOutputs {
  const items = amounts.map((amount) => {
    if (!keyset.points.has(amount)) throw new WalletError('malformed', 'no key for amount ' + amount);
    const secret = randomBytes(32).toString('hex');
    const r = randomScalar();
    return { amount, secret, r: scalarHex(r), B_: pointHex(blind(secret, r)) };
  });
  return { keysetId: keyset.id, items };
}

export function wireOutputs(p: PreparedOutputs): WireOutput[] {
  return p.items.map((o) => ({ amount: o.amount, id: p.keysetId, B_: o.B_ }));
}

/**
 * Check each blind signature (right count, amount and keyset; a DLEQ proof that verifies against
 * the PINNED key for that amount) and unblind it into a Proof carrying (e, s, r) for receivers.
 */
export function finishProofs(p: PreparedOutputs, sigs: WireSignature[], keyset: WalletKeyset): Proof[] {
  if (!Array.isArray(sigs) || sigs.length !== p.items.length) throw new WalletError('bank_refused', 'mint returned a wrong number of signatures');
  if (keyset.id !== p.keysetId) throw new Error('finishProofs: keyset mismatch');
  return p.items.map((o, i) => {
    const s = sigs[i];
    if (!s || s.amount !== o.amount || s.id !== p.keysetId) throw new WalletError('keyset_mismatch', 'signature ' + i + ' is for another amount or keyset');
    const K = keyset.points.get(o.amount)!;
    let C_;
    try {
      C_ = parsePoint(s.C_);
    } catch {
      throw new WalletError('bad_dleq', 'signature ' + i + ' is not a point');
    }
    if (!s.dleq || typeof s.dleq.e !== 'string' || typeof s.dleq.s !== 'string') {
      throw new WalletError('bad_dleq', 'signature ' + i + ' has no DLEQ proof (NUT-12)');
    }
    let ok = false;
    try {
      ok = dleqVerify({ e: fromHex(s.dleq.e), s: fromHex(s.dleq.s) }, K, parsePoint(o.B_), C_);
    } catch {
      ok = false;
    }
    if (!ok) throw new WalletError('bad_dleq', 'DLEQ proof of signature ' + i + ' does not verify against the pinned key');
    const C = unblind(C_, BigInt('0x' + o.r), K);
    return { amount: o.amount, id: p.keysetId, secret: o.secret, C: pointHex(C), dleq: { e: s.dleq.e, s: s.dleq.s, r: o.r } };
  });
}
