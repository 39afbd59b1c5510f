/**
 * HTTP client of Clare's bank (NUT-01..07 and the "account" method). Thin: JSON in, JSON out,
 * bounded by a timeout; a refusal becomes BankHttpError with the mint's NUT error code. Blinding
 * and DLEQ checks are not here: `Wallet` (wallet.ts) and `BankClient` (bank-client.ts) add them.
 */
import { HoodError } from '../common/errors';
import { errorReason } from '../cashu/errors';
import type { Proof, ProofState } from './types';

/**
 * The bank said no, or answered something unreadable. `code` is the mint's NUT error code (0 when it
 * sent none); `reason` names that code (host/cashu/errors.ts), or is `http_<status>` for a refusal
 * without one and `malformed_answer` for an unreadable success.
 */
export class BankHttpError extends HoodError {
  readonly status: number;
  readonly code: number;
  constructor(status: number, code: number, detail: string) {
    super(code ? errorReason(code) : status >= 200 && status < 300 ? 'malformed_answer' : 'http_' + status, detail);
    this.name = 'BankHttpError';
    this.status = status;
    this.code = code;
  }
}

/** NUT-00: mint URLs are compared without trailing slashes. */
export function normalizeMintUrl(url: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('mint URL must be http(s)');
  return (u.origin + u.pathname).replace(/\/+$/, '');
}

export interface WireOutput {
  amount: number;
  id: string;
  B_: string;
}

export interface WireSignature {
  amount: number;
  id: string;
  C_: string;
  dleq?: { e: string; s: string };
}

export interface WireKeyset {
  id: string;
  unit: string;
  active?: boolean;
  input_fee_ppk?: number;
  keys: Record<string, string>;
}

export interface MintQuote {
  quote: string;
  request: string;
  amount: number;
  unit: string;
  state: 'UNPAID' | 'PAID' | 'ISSUED';
  expiry: number;
}

export interface MeltQuote {
  quote: string;
  request: string;
  amount: number;
  unit: string;
  state: 'UNPAID' | 'PAID';
  expiry: number;
}

/** Strip wallet-only fields: the blinding factor r in `dleq` must never reach the mint (NUT-12). */
export function proofForMint(p: Proof): { amount: number; id: string; secret: string; C: string } {
  return { amount: p.amount, id: p.id, secret: p.secret, C: p.C };
}

export class HttpBank {
  readonly url: string;
  private readonly timeoutMs: number;

  constructor(url: string, opts: { timeoutMs?: number } = {}) {
    this.url = normalizeMintUrl(url);
    this.timeoutMs = opts.timeoutMs ?? 15_000;
  }

  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, bearer?: string): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (bearer) headers.authorization = 'Bearer ' + bearer;
    const res = await fetch(this.url + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new BankHttpError(res.status, 0, 'bank answered with non-JSON (HTTP ' + res.status + ')');
    }
    if (!res.ok) {
      const detail = json && typeof json.detail === 'string' ? json.detail : 'HTTP ' + res.status;
      const code = json && typeof json.code === 'number' ? json.code : 0;
      throw new BankHttpError(res.status, code, detail);
    }
    return json as T;
  }

  info(): Promise<Record<string, unknown>> {
    return this.request('GET', '/v1/info');
  }
  async keys(id?: string): Promise<WireKeyset[]> {
    const r = await this.request<{ keysets: WireKeyset[] }>('GET', id ? '/v1/keys/' + encodeURIComponent(id) : '/v1/keys');
    if (!r || !Array.isArray(r.keysets)) throw new BankHttpError(200, 0, 'malformed keys response');
    return r.keysets;
  }
  async keysets(): Promise<{ id: string; unit: string; active: boolean }[]> {
    const r = await this.request<{ keysets: { id: string; unit: string; active: boolean }[] }>('GET', '/v1/keysets');
    return r.keysets;
  }
  async postSwap(inputs: Proof[], outputs: WireOutput[]): Promise<WireSignature[]> {
    const r = await this.request<{ signatures: WireSignature[] }>('POST', '/v1/swap', { inputs: inputs.map(proofForMint), outputs });
    return r.signatures;
  }
  async checkStateYs(Ys: string[]): Promise<{ Y: string; state: ProofState }[]> {
    const r = await this.request<{ states: { Y: string; state: ProofState }[] }>('POST', '/v1/checkstate', { Ys });
    return r.states;
  }
  createMintQuote(amount: number, unit = 'sat'): Promise<MintQuote> {
    return this.request('POST', '/v1/mint/quote/account', { amount, unit });
  }
  getMintQuote(id: string): Promise<MintQuote> {
    return this.request('GET', '/v1/mint/quote/account/' + encodeURIComponent(id));
  }
  payMintQuote(id: string, accountToken: string): Promise<MintQuote> {
    return this.request('POST', '/v1/mint/quote/account/' + encodeURIComponent(id) + '/pay', undefined, accountToken);
  }
  async mint(quote: string, outputs: WireOutput[]): Promise<WireSignature[]> {
    const r = await this.request<{ signatures: WireSignature[] }>('POST', '/v1/mint/account', { quote, outputs });
    return r.signatures;
  }
  createMeltQuote(accountName: string, amount: number, unit = 'sat'): Promise<MeltQuote> {
    return this.request('POST', '/v1/melt/quote/account', { request: accountName, amount, unit });
  }
  melt(quote: string, inputs: Proof[]): Promise<MeltQuote> {
    return this.request('POST', '/v1/melt/account', { quote, inputs: inputs.map(proofForMint) });
  }
  balance(accountToken: string): Promise<{ name: string; balance: number; unit: string }> {
    return this.request('GET', '/v1/account/balance', undefined, accountToken);
  }
}
