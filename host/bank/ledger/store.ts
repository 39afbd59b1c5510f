/**
 * The bank's durable state behind one interface, so the embedded SQLite store can be replaced by
 * PostgreSQL when several MSSs share a bank. Every mutating method is ONE atomic transaction and
 * idempotent: the caller does the (slow, CPU-bound) signing first, then hands the finished rows to
 * the store, which either commits all of them or none. Methods are async so a networked store fits.
 *
 * Double spending is prevented by the store, not by the caller: spent proofs are keyed by
 * Y = hash_to_curve(secret) under a UNIQUE constraint, blind signatures by B_.
 */
import { HoodError } from '../../common/errors';

export interface KeysetRow {
  id: string;
  unit: string;
  index: number;
  active: boolean;
  inputFeePpk: number;
}

export interface AccountRow {
  id: string;
  name: string;
  tokenHash: string;
  balance: number;
  createdAt: number;
}

/** A proof being spent (NUT-00 Proof reduced to what the ledger needs). */
export interface SpentInput {
  Y: string;
  amount: number;
  keysetId: string;
}

/** A blind signature being issued (NUT-00 BlindSignature + NUT-12 DLEQ). */
export interface IssuedOutput {
  B_: string;
  amount: number;
  keysetId: string;
  C_: string;
  dleqE: string;
  dleqS: string;
}

export type QuoteState = 'UNPAID' | 'PAID' | 'ISSUED';
export type MeltState = 'UNPAID' | 'PAID';

export interface MintQuoteRow {
  id: string;
  amount: number;
  unit: string;
  state: QuoteState;
  expiry: number;
  payerAccountId: string | null;
}

export interface MeltQuoteRow {
  id: string;
  amount: number;
  unit: string;
  /** Destination account (the "payment request" of the account method). */
  accountId: string;
  request: string;
  state: MeltState;
  expiry: number;
}

export interface AuditReport {
  ok: boolean;
  issued: number;
  spent: number;
  outstanding: number;
  accountsTotal: number;
  deposits: number;
  counts: { promises: number; spent: number; operations: number; accounts: number };
  problems: string[];
}

/** Why a store operation refused; mapped to NUT error codes by the mint. */
export type StoreRefusal =
  | 'already_spent'
  | 'already_signed'
  | 'quote_unknown'
  | 'quote_not_paid'
  | 'quote_issued'
  | 'quote_paid'
  | 'quote_expired'
  | 'insufficient_funds'
  | 'account_unknown'
  | 'account_exists'
  | 'too_many_quotes';

export class StoreError extends HoodError<StoreRefusal> {
  constructor(refusal: StoreRefusal, detail?: string) {
    super(refusal, detail || refusal);
    this.name = 'StoreError';
  }
  /** The refusal, by the ledger's name for it (the same as `reason`). */
  get refusal(): StoreRefusal {
    return this.reason;
  }
}

/** The first answer of an idempotent operation; `replay` tells that it was stored, not made now. */
export interface OpResult<T> {
  value: T;
  replay: boolean;
}

/**
 * Where the bank's money lives: accounts, quotes, issued blind signatures and spent proofs. The mint
 * does the cryptography and hands the store finished rows; each mutating call is one transaction
 * that commits all of its rows or none, so a crash between two calls leaves the books balanced
 * (`audit()`). The calls that pay, sign or spend are idempotent, keyed by quote id or operation
 * key: the same key returns the first answer with `replay: true`, which is how a wallet that lost an
 * answer gets it back. Refusals are `StoreError`s with a `StoreRefusal` reason, never
 * partial writes. `SqliteLedgerStore` implements it on one SQLite file, `PgLedgerStore` on a
 * PostgreSQL database that several bank processes may share.
 *
 * @example
 * ```ts
 * const store: LedgerStore = new SqliteLedgerStore(join(dataDir, 'ledger.sqlite'));
 * // NUT-03 swap: inputs are spent and outputs recorded together, or not at all
 * try {
 *   const r = await store.swap(opKey, [{ Y, amount: 8, keysetId }], signedOutputs, nowSec);
 *   if (r.replay) log.info('same swap again: the first signatures are returned');
 *   reply(r.value);
 * } catch (e) {
 *   if (e instanceof StoreError && e.reason === 'already_spent') refuse(ErrorCode.PROOFS_ALREADY_SPENT);
 *   else throw e;
 * }
 * ```
 */
export interface LedgerStore {
  listKeysets(): Promise<KeysetRow[]>;
  /** Adds a keyset; with `makeOnlyActive` every other keyset of the unit is deactivated in the same transaction. */
  addKeyset(row: KeysetRow, makeOnlyActive: boolean): Promise<void>;

  createAccount(id: string, name: string, tokenHash: string, now: number): Promise<AccountRow>;
  getAccount(id: string): Promise<AccountRow | null>;
  getAccountByName(name: string): Promise<AccountRow | null>;
  /** External deposit (admin). Returns the new balance. */
  creditAccount(id: string, amount: number, ref: string, now: number): Promise<number>;

  /**
   * Insert an UNPAID quote unless `maxUnpaid` UNPAID quotes of the same creator (`q.payerAccountId`:
   * an account, or null for anonymous) are stored already; expired ones are deleted first. Refuses
   * with 'too_many_quotes'. Check and insert are one transaction, so racing creators cannot overshoot.
   */
  createMintQuote(q: MintQuoteRow, now: number, maxUnpaid: number): Promise<void>;
  getMintQuote(id: string): Promise<MintQuoteRow | null>;
  /** Debit the account and mark the quote PAID; paying a paid quote again is a no-op (replay). */
  payMintQuote(id: string, accountId: string, now: number): Promise<OpResult<MintQuoteRow>>;
  /** PAID -> ISSUED with the signatures; same quote + same outputs key returns the stored signatures. */
  issueMintQuote(id: string, outputsKey: string, outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>>;

  /** Insert an UNPAID melt quote under a global cap of `maxUnpaid` UNPAID melt quotes, as above. */
  createMeltQuote(q: MeltQuoteRow, now: number, maxUnpaid: number): Promise<void>;
  getMeltQuote(id: string): Promise<MeltQuoteRow | null>;
  /** Spend the inputs and credit the destination account; same quote + same inputs key is a replay. */
  payMeltQuote(id: string, inputsKey: string, inputs: SpentInput[], now: number): Promise<OpResult<MeltQuoteRow>>;

  /** Spend inputs and record outputs atomically; same key (hash of inputs and outputs) is a replay. */
  swap(opKey: string, inputs: SpentInput[], outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>>;

  /** The stored signatures of a committed swap with this key, or null. */
  findSwap(opKey: string): Promise<IssuedOutput[] | null>;

  /** Which of these Ys are spent. */
  spentYs(Ys: string[]): Promise<Set<string>>;

  /**
   * Delete UNPAID mint and melt quotes whose expiry has passed. They hold no value (nothing was
   * debited, signed or spent for them; audit() never reads them), so deleting them changes no total.
   */
  purgeExpiredQuotes(now: number): Promise<{ mint: number; melt: number }>;

  /** How many UNPAID quotes are stored (expired or not): what the cap bounds. */
  countUnpaidQuotes(): Promise<{ mint: number; melt: number }>;

  /** Recompute every balance from the raw rows and check issued = outstanding + spent. */
  audit(): Promise<AuditReport>;

  close(): Promise<void>;
}
