/** Rows of the ledger's tables as the store's types, shared by the SQLite and PostgreSQL stores (same column names). */
import type { AccountRow, IssuedOutput, MeltQuoteRow, MintQuoteRow } from './store';

type Row = Record<string, any>;

export function sum(outs: { amount: number }[]): number {
  let s = 0;
  for (const o of outs) s += o.amount;
  return s;
}

export function accountFromRow(r: Row): AccountRow {
  return { id: r.id, name: r.name, tokenHash: r.token_hash, balance: r.balance, createdAt: r.created_at };
}

export function mintQuoteFromRow(r: Row): MintQuoteRow {
  return { id: r.id, amount: r.amount, unit: r.unit, state: r.state, expiry: r.expiry, payerAccountId: r.payer };
}

export function meltQuoteFromRow(r: Row): MeltQuoteRow {
  return { id: r.id, amount: r.amount, unit: r.unit, accountId: r.account_id, request: r.request, state: r.state, expiry: r.expiry };
}

export function outputFromRow(r: Row): IssuedOutput {
  return { B_: r.b_, amount: r.amount, keysetId: r.keyset_id, C_: r.c_, dleqE: r.dleq_e, dleqS: r.dleq_s };
}
