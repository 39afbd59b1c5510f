import { HoodError } from '../common/errors';

/** NUT-00 Proof as a wallet stores it; `dleq` carries NUT-12 (e, s, r) for offline checks by receivers. */
export interface Proof {
  amount: number;
  id: string;
  secret: string;
  C: string;
  dleq?: { e: string; s: string; r: string };
}

export type ProofState = 'UNSPENT' | 'PENDING' | 'SPENT';

/** Why a wallet refused or failed; stable strings the MSS maps onto its own refusal codes. */
export type WalletFailure =
  | 'malformed'
  | 'foreign_mint'
  | 'unknown_keyset'
  | 'keyset_mismatch'
  | 'bad_dleq'
  | 'already_spent'
  | 'invalid_proof'
  | 'insufficient'
  | 'bank_refused'
  | 'bank_unreachable';

export class WalletError extends HoodError<WalletFailure> {
  constructor(reason: WalletFailure, detail?: string, options?: { cause?: unknown }) {
    super(reason, detail ? reason + ': ' + detail : reason, options);
    this.name = 'WalletError';
  }
}

export function sumProofs(ps: { amount: number }[]): number {
  let s = 0;
  for (const p of ps) s += p.amount;
  return s;
}
