/**
 * The mint's protocol logic (NUT-01..07, NUT-12) with the "account" payment method in place of
 * bolt11. Transport-free: host/bank/http.ts maps routes onto these methods.
 *
 * Order of work in every spending operation: parse and validate everything (400 before any state
 * is read), verify the input proofs and sign the outputs (CPU only), then hand the finished rows
 * to the LedgerStore which commits all or nothing. So a refused request changes nothing, and a
 * crash at any point leaves either the whole operation or none of it.
 */
import { createHash, randomUUID } from 'node:crypto';
import { toHex } from '../../shared/src/bytes';
import { authenticate, createAccount } from './accounts';
import { selectCurve, type Curve } from '../cashu/curve';
import { secretToY, signWithDleq, verifyProof } from '../cashu/curve/bdhke';
import { BankError, ErrorCode, malformed } from '../cashu/errors';
import { deriveKeyset, type Keyset } from '../cashu/keyset';
import {
  asObject,
  parseAmount,
  parseOutputs,
  parsePointList,
  parseProofs,
  parseQuoteId,
  parseUnit,
  type OutputIn,
  type ProofIn,
} from './wire';
import { StoreError, type AuditReport, type IssuedOutput, type LedgerStore, type MeltQuoteRow, type MintQuoteRow, type SpentInput } from './ledger/store';

export const METHOD = 'account';
export const DEFAULT_MAX_UNPAID_QUOTES = 10_000;
export const DEFAULT_MAX_UNPAID_QUOTES_PER_ACCOUNT = 16;
export const VERSION = 'hood-bank/0.1.0';

export interface MintOptions {
  store: LedgerStore;
  /** 32-byte master seed; every keyset's private keys derive from it (keyset.ts). */
  seed: Uint8Array;
  unit?: string;
  name?: string;
  quoteTtlSec?: number;
  /**
   * Cap on UNPAID mint quotes created without an account token, and (separately) on UNPAID melt
   * quotes: creating a quote costs nothing, so without a cap anyone could grow the ledger without
   * bound. Expired unpaid quotes are purged to make room (docs/bank.md, "Quotes are bounded").
   */
  maxUnpaidQuotes?: number;
  /** Cap on UNPAID mint quotes one account creates with its token (NUT-04 request + Bearer header). */
  maxUnpaidQuotesPerAccount?: number;
  maxAmount?: number;
  /** Unix seconds; injectable for tests. */
  now?: () => number;
  /** secp256k1 library for the mint's multiplications; default: selectCurve() (curve/index.ts). */
  curve?: Curve;
}

export interface BlindSignatureJson {
  id: string;
  amount: number;
  C_: string;
  dleq: { e: string; s: string };
}

function refusal(e: unknown): never {
  if (e instanceof StoreError) {
    switch (e.refusal) {
      case 'already_spent':
        throw new BankError(ErrorCode.PROOFS_ALREADY_SPENT, 'Token already spent.');
      case 'already_signed':
        throw new BankError(ErrorCode.OUTPUTS_ALREADY_SIGNED, 'Blinded message of output already signed.');
      case 'quote_unknown':
        throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote not found', 404);
      case 'quote_not_paid':
        throw new BankError(ErrorCode.QUOTE_NOT_PAID, 'quote not paid');
      case 'quote_issued':
        throw new BankError(ErrorCode.QUOTE_ALREADY_ISSUED, 'quote already issued');
      case 'quote_paid':
        throw new BankError(ErrorCode.QUOTE_ALREADY_PAID, 'quote already paid');
      case 'quote_expired':
        throw new BankError(ErrorCode.QUOTE_EXPIRED, 'quote expired');
      case 'insufficient_funds':
        throw new BankError(ErrorCode.INSUFFICIENT_FUNDS, 'insufficient funds in account');
      case 'account_unknown':
        throw new BankError(ErrorCode.UNKNOWN_ACCOUNT, 'unknown account');
      case 'account_exists':
        throw new BankError(ErrorCode.MALFORMED_REQUEST, 'account name already taken');
      case 'too_many_quotes':
        throw new BankError(ErrorCode.TOO_MANY_QUOTES, 'too many unpaid quotes outstanding; pay one or wait until one expires, then try again', 503);
    }
  }
  throw e;
}

function total(xs: { amount: number }[]): number {
  let s = 0;
  for (const x of xs) s += x.amount;
  return s;
}

/** Idempotency key: SHA-256 over a canonical text of the request's spend keys and outputs. */
function opKey(tag: string, Ys: string[], outputs: OutputIn[]): string {
  const outs = outputs.map((o) => o.amount + ':' + o.id + ':' + o.B_hex);
  return createHash('sha256').update(tag + '|' + Ys.join(',') + '|' + outs.join(','), 'utf8').digest('hex');
}

export class Mint {
  readonly store: LedgerStore;
  readonly unit: string;
  readonly name: string;
  private readonly seed: Uint8Array;
  private readonly quoteTtl: number;
  private readonly maxUnpaid: number;
  private readonly maxUnpaidPerAccount: number;
  private readonly maxAmount: number;
  readonly now: () => number;
  readonly curve: Curve;
  private keysets: Keyset[] = [];
  private byId = new Map<string, Keyset>();

  private constructor(opts: MintOptions) {
    this.store = opts.store;
    this.seed = opts.seed;
    this.unit = opts.unit || 'sat';
    this.name = opts.name || "Clare's bank";
    this.quoteTtl = opts.quoteTtlSec || 3600;
    this.maxUnpaid = opts.maxUnpaidQuotes || DEFAULT_MAX_UNPAID_QUOTES;
    this.maxUnpaidPerAccount = opts.maxUnpaidQuotesPerAccount || DEFAULT_MAX_UNPAID_QUOTES_PER_ACCOUNT;
    this.maxAmount = opts.maxAmount || 2 ** 40;
    this.now = opts.now || (() => Math.floor(Date.now() / 1000));
    this.curve = opts.curve || selectCurve();
  }

  /** Load the keysets recorded in the ledger (creating the first one on a fresh ledger). */
  static async open(opts: MintOptions): Promise<Mint> {
    const m = new Mint(opts);
    await m.loadKeysets();
    return m;
  }

  private async loadKeysets(): Promise<void> {
    let rows = (await this.store.listKeysets()).filter((r) => r.unit === this.unit);
    if (rows.length === 0) {
      const ks = deriveKeyset(this.seed, this.unit, 0, true);
      await this.store.addKeyset({ id: ks.id, unit: ks.unit, index: 0, active: true, inputFeePpk: 0 }, true);
      rows = await this.store.listKeysets();
    }
    this.keysets = [];
    this.byId = new Map();
    for (const r of rows) {
      const ks = deriveKeyset(this.seed, r.unit, r.index, r.active);
      if (ks.id !== r.id) throw new Error('keyset ' + r.id + ' does not derive from this seed (wrong data dir?)');
      this.keysets.push(ks);
      this.byId.set(ks.id, ks);
    }
  }

  /** NUT-02 rotation: a new active keyset; older ones stay valid as inputs only. */
  async rotateKeyset(): Promise<string> {
    const next = this.keysets.reduce((m, k) => Math.max(m, k.index), -1) + 1;
    const ks = deriveKeyset(this.seed, this.unit, next, true);
    await this.store.addKeyset({ id: ks.id, unit: this.unit, index: next, active: true, inputFeePpk: 0 }, true);
    await this.loadKeysets();
    return ks.id;
  }

  activeKeysetId(): string {
    const a = this.keysets.find((k) => k.active);
    if (!a) throw new Error('no active keyset');
    return a.id;
  }

  // ---- NUT-06 ----
  info(): Record<string, unknown> {
    const methodSetting = { method: METHOD, unit: this.unit, min_amount: 1, max_amount: this.maxAmount };
    return {
      name: this.name,
      version: VERSION,
      description: 'Cashu-compatible mint with an account ledger (payment method "account")',
      time: this.now(),
      nuts: {
        '4': { methods: [methodSetting], disabled: false },
        '5': { methods: [methodSetting], disabled: false },
        '7': { supported: true },
        '12': { supported: true },
      },
    };
  }

  // ---- NUT-01 / NUT-02 ----
  keys(id?: string): { keysets: { id: string; unit: string; active: boolean; input_fee_ppk: number; keys: Record<string, string> }[] } {
    let list: Keyset[];
    if (id === undefined) list = this.keysets.filter((k) => k.active);
    else {
      const ks = this.byId.get(id);
      if (!ks) throw new BankError(ErrorCode.KEYSET_UNKNOWN, 'keyset not known', 404);
      list = [ks];
    }
    return { keysets: list.map((k) => ({ id: k.id, unit: k.unit, active: k.active, input_fee_ppk: k.inputFeePpk, keys: k.publicKeys })) };
  }

  keysetList(): { keysets: { id: string; unit: string; active: boolean; input_fee_ppk: number }[] } {
    return { keysets: this.keysets.map((k) => ({ id: k.id, unit: k.unit, active: k.active, input_fee_ppk: k.inputFeePpk })) };
  }

  // ---- verification and signing ----
  private keysetFor(id: string, forOutput: boolean): Keyset {
    const ks = this.byId.get(id);
    if (!ks) throw new BankError(ErrorCode.KEYSET_UNKNOWN, 'keyset ' + id + ' is not known');
    if (forOutput && !ks.active) throw new BankError(ErrorCode.KEYSET_INACTIVE, 'keyset ' + id + ' is inactive, cannot sign');
    return ks;
  }

  /** Check every input proof (NUT-00 k·Y == C); returns the ledger rows keyed by Y. */
  private verifyInputs(inputs: ProofIn[]): SpentInput[] {
    const seen = new Set<string>();
    const rows: SpentInput[] = [];
    for (const p of inputs) {
      const ks = this.keysetFor(p.id, false);
      if (ks.unit !== this.unit) throw new BankError(ErrorCode.MULTIPLE_UNITS, 'inputs of another unit');
      const Yb = secretToY(this.curve, p.secret);
      const Y = toHex(Yb);
      if (seen.has(Y)) throw new BankError(ErrorCode.DUPLICATE_INPUTS, 'duplicate inputs provided');
      seen.add(Y);
      const key = ks.byAmount.get(p.amount);
      if (!key || !verifyProof(this.curve, key.kBytes, Yb, p.C)) throw new BankError(ErrorCode.PROOF_VERIFICATION_FAILED, 'proof verification failed');
      rows.push({ Y, amount: p.amount, keysetId: ks.id });
    }
    return rows;
  }

  private checkOutputs(outputs: OutputIn[]): void {
    const seen = new Set<string>();
    for (const o of outputs) {
      const ks = this.keysetFor(o.id, true);
      if (ks.unit !== this.unit) throw new BankError(ErrorCode.MULTIPLE_UNITS, 'outputs of another unit');
      if (seen.has(o.B_hex)) throw new BankError(ErrorCode.DUPLICATE_OUTPUTS, 'duplicate outputs provided');
      seen.add(o.B_hex);
    }
  }

  /** C_ = k·B_ plus its NUT-12 DLEQ proof, for every output. */
  private sign(outputs: OutputIn[]): IssuedOutput[] {
    return outputs.map((o) => {
      const key = this.keysetFor(o.id, true).byAmount.get(o.amount)!;
      const { C_, dleq: d } = signWithDleq(this.curve, key.kBytes, key.KUncompressed, o.B_);
      return { B_: o.B_hex, amount: o.amount, keysetId: o.id, C_: toHex(C_), dleqE: toHex(d.e), dleqS: toHex(d.s) };
    });
  }

  static signaturesJson(rows: IssuedOutput[]): BlindSignatureJson[] {
    return rows.map((r) => ({ id: r.keysetId, amount: r.amount, C_: r.C_, dleq: { e: r.dleqE, s: r.dleqS } }));
  }

  // ---- NUT-03 ----
  async swap(body: unknown): Promise<{ signatures: BlindSignatureJson[] }> {
    const b = asObject(body, 'request');
    const inputs = parseProofs(b.inputs, 'inputs');
    const outputs = parseOutputs(b.outputs, 'outputs');
    this.checkOutputs(outputs);
    const spent = this.verifyInputs(inputs);
    if (total(inputs) !== total(outputs)) {
      throw new BankError(ErrorCode.TRANSACTION_NOT_BALANCED, 'inputs (' + total(inputs) + ') != outputs (' + total(outputs) + ')');
    }
    const key = opKey('swap', spent.map((s) => s.Y), outputs);
    // Cheap early answer for spent inputs (a retry gets its first answer, anyone else 11001)
    // without spending two multiplications per output on signatures that would be thrown away.
    // Only an optimisation: the UNIQUE key on Y in the store is what actually forbids re-spending.
    if ((await this.store.spentYs(spent.map((s) => s.Y))).size > 0) {
      const prior = await this.store.findSwap(key);
      if (prior) return { signatures: Mint.signaturesJson(prior) };
      throw new BankError(ErrorCode.PROOFS_ALREADY_SPENT, 'Token already spent.');
    }
    const signed = this.sign(outputs);
    try {
      const r = await this.store.swap(key, spent, signed, this.now());
      return { signatures: Mint.signaturesJson(r.value) };
    } catch (e) {
      refusal(e);
    }
  }

  // ---- NUT-04 with method "account" ----
  private mintQuoteJson(q: MintQuoteRow): Record<string, unknown> {
    return { quote: q.id, request: 'account:' + q.id, amount: q.amount, unit: q.unit, state: q.state, expiry: q.expiry };
  }

  /**
   * NUT-04 mint quote. Without an Authorization header (a stock Cashu wallet) the quote counts
   * against the global cap on anonymous unpaid quotes; with `Bearer <account token>` (the same
   * header that pays it) against that account's own cap, so a flood of anonymous quotes cannot
   * stop an account holder from withdrawing. A header that does not authenticate is refused (401).
   */
  async createMintQuote(body: unknown, authorization?: string): Promise<Record<string, unknown>> {
    const b = asObject(body, 'request');
    const amount = parseAmount(b.amount, 'amount', this.maxAmount);
    const unit = parseUnit(b.unit, this.unit);
    const creator = authorization === undefined ? null : (await authenticate(this.store, authorization)).id;
    const now = this.now();
    const q: MintQuoteRow = { id: randomUUID(), amount, unit, state: 'UNPAID', expiry: now + this.quoteTtl, payerAccountId: creator };
    try {
      await this.store.createMintQuote(q, now, creator === null ? this.maxUnpaid : this.maxUnpaidPerAccount);
    } catch (e) {
      refusal(e);
    }
    return this.mintQuoteJson(q);
  }

  /** Delete expired unpaid quotes (run periodically by the server; the caps also purge on demand). */
  purgeExpiredQuotes(): Promise<{ mint: number; melt: number }> {
    return this.store.purgeExpiredQuotes(this.now());
  }

  async getMintQuote(id: string): Promise<Record<string, unknown>> {
    const q = await this.store.getMintQuote(parseQuoteId(id));
    if (!q) throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote not found', 404);
    return this.mintQuoteJson(q);
  }

  /** Pay a mint quote by debiting the authenticated account (idempotent per quote id). */
  async payMintQuote(id: string, authorization: string | undefined): Promise<Record<string, unknown>> {
    const quoteId = parseQuoteId(id);
    const account = await authenticate(this.store, authorization);
    try {
      const r = await this.store.payMintQuote(quoteId, account.id, this.now());
      return this.mintQuoteJson(r.value);
    } catch (e) {
      refusal(e);
    }
  }

  async mint(body: unknown): Promise<{ signatures: BlindSignatureJson[] }> {
    const b = asObject(body, 'request');
    const quoteId = parseQuoteId(b.quote);
    const outputs = parseOutputs(b.outputs, 'outputs');
    const q = await this.store.getMintQuote(quoteId);
    if (!q) throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote not found', 404);
    if (q.state === 'UNPAID') throw new BankError(ErrorCode.QUOTE_NOT_PAID, 'quote not paid');
    this.checkOutputs(outputs);
    if (total(outputs) !== q.amount) {
      throw new BankError(ErrorCode.TRANSACTION_NOT_BALANCED, 'outputs (' + total(outputs) + ') != quote amount (' + q.amount + ')');
    }
    const key = opKey('mint:' + quoteId, [], outputs);
    // An issued quote is either this very request again (answer from the ledger) or a refusal.
    const signed = q.state === 'ISSUED' ? [] : this.sign(outputs);
    try {
      const r = await this.store.issueMintQuote(quoteId, key, signed, this.now());
      return { signatures: Mint.signaturesJson(r.value) };
    } catch (e) {
      refusal(e);
    }
  }

  // ---- NUT-05 with method "account": the melt pays into the named account ----
  private meltQuoteJson(q: MeltQuoteRow): Record<string, unknown> {
    return {
      quote: q.id,
      request: q.request,
      amount: q.amount,
      fee_reserve: 0,
      unit: q.unit,
      state: q.state,
      paid: q.state === 'PAID',
      expiry: q.expiry,
      payment_preimage: null,
      change: [],
    };
  }

  async createMeltQuote(body: unknown): Promise<Record<string, unknown>> {
    const b = asObject(body, 'request');
    if (typeof b.request !== 'string') throw malformed('request must be the name of the account to pay');
    const account = await this.store.getAccountByName(b.request);
    if (!account) throw new BankError(ErrorCode.UNKNOWN_ACCOUNT, 'no such account');
    const amount = parseAmount(b.amount, 'amount', this.maxAmount);
    const unit = parseUnit(b.unit, this.unit);
    const now = this.now();
    const q: MeltQuoteRow = { id: randomUUID(), amount, unit, accountId: account.id, request: b.request, state: 'UNPAID', expiry: now + this.quoteTtl };
    try {
      await this.store.createMeltQuote(q, now, this.maxUnpaid);
    } catch (e) {
      refusal(e);
    }
    return this.meltQuoteJson(q);
  }

  async getMeltQuote(id: string): Promise<Record<string, unknown>> {
    const q = await this.store.getMeltQuote(parseQuoteId(id));
    if (!q) throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote not found', 404);
    return this.meltQuoteJson(q);
  }

  async melt(body: unknown): Promise<Record<string, unknown>> {
    const b = asObject(body, 'request');
    const quoteId = parseQuoteId(b.quote);
    const inputs = parseProofs(b.inputs, 'inputs');
    if (b.outputs !== undefined && !(Array.isArray(b.outputs) && b.outputs.length === 0)) {
      throw malformed('this mint returns no change (NUT-08); inputs must equal the quote amount');
    }
    const q = await this.store.getMeltQuote(quoteId);
    if (!q) throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote not found', 404);
    const spent = this.verifyInputs(inputs);
    if (total(inputs) !== q.amount) {
      throw new BankError(ErrorCode.TRANSACTION_NOT_BALANCED, 'inputs (' + total(inputs) + ') != quote amount (' + q.amount + ')');
    }
    const key = opKey('melt:' + quoteId, spent.map((s) => s.Y), []);
    try {
      const r = await this.store.payMeltQuote(quoteId, key, spent, this.now());
      return this.meltQuoteJson(r.value);
    } catch (e) {
      refusal(e);
    }
  }

  // ---- NUT-07 ----
  async checkState(body: unknown): Promise<{ states: { Y: string; state: string; witness: null }[] }> {
    const b = asObject(body, 'request');
    const Ys = parsePointList(b.Ys, 'Ys');
    const spent = await this.store.spentYs(Ys);
    return { states: Ys.map((Y) => ({ Y, state: spent.has(Y) ? 'SPENT' : 'UNSPENT', witness: null })) };
  }

  // ---- accounts ----
  async accountBalance(authorization: string | undefined): Promise<{ name: string; balance: number; unit: string }> {
    const a = await authenticate(this.store, authorization);
    return { name: a.name, balance: a.balance, unit: this.unit };
  }

  async createAccount(name: string): Promise<{ id: string; name: string; token: string }> {
    try {
      const r = await createAccount(this.store, name, this.now());
      return { id: r.account.id, name: r.account.name, token: r.token };
    } catch (e) {
      refusal(e);
    }
  }

  async creditAccount(name: string, amount: number, ref = 'admin'): Promise<number> {
    parseAmount(amount, 'amount', this.maxAmount);
    const a = await this.store.getAccountByName(name);
    if (!a) throw new BankError(ErrorCode.UNKNOWN_ACCOUNT, 'no such account');
    return this.store.creditAccount(a.id, amount, ref, this.now());
  }

  audit(): Promise<AuditReport> {
    return this.store.audit();
  }
}

