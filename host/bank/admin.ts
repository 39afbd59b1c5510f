/**
 * Admin requests to a bank process from the process that started it (the MSS's embedded bank),
 * over the IPC channel of child_process.fork. Only the parent holds that channel, so it needs no
 * token; what it carries back (a new account's token) never appears in argv, the environment or
 * a log. Every message is checked field by field before it reaches the mint: the channel is a
 * trust boundary like any other decode.
 */
import { ACCOUNT_NAME_RE } from './accounts';
import { HoodError } from '../common/errors';
import { BankError } from '../cashu/errors';
import type { Mint } from './mint';

export type AdminRequest =
  | { id: number; op: 'createAccount'; name: string }
  | { id: number; op: 'creditAccount'; name: string; amount: number }
  | { id: number; op: 'audit' };

export type AdminReply = { type: 'admin'; id: number; ok: true; value: unknown } | { type: 'admin'; id: number; ok: false; error: string; code?: number };

/** The largest request id; ids are 1..MAX_ID (0 answers a message whose id could not be read). */
export const MAX_ID = 2 ** 31 - 1;

export class AdminDecodeError extends HoodError<'malformed_admin_request'> {
  constructor(
    readonly id: number,
    detail: string,
  ) {
    super('malformed_admin_request', detail);
    this.name = 'AdminDecodeError';
  }
}

const isId = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1 && x <= MAX_ID;

/** Validate one IPC message; throws AdminDecodeError (with the id when it was readable). */
export function parseAdminRequest(m: unknown): AdminRequest {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new AdminDecodeError(0, 'admin request must be an object');
  const r = m as Record<string, unknown>;
  if (!isId(r.id)) throw new AdminDecodeError(0, 'admin request id must be an integer 1..' + MAX_ID);
  const id = r.id;
  const keys = Object.keys(r);
  const only = (...allowed: string[]) => {
    for (const k of keys) if (!allowed.includes(k)) throw new AdminDecodeError(id, 'unexpected field ' + JSON.stringify(k.slice(0, 32)));
  };
  const name = () => {
    if (typeof r.name !== 'string' || !ACCOUNT_NAME_RE.test(r.name)) throw new AdminDecodeError(id, 'name must match ' + ACCOUNT_NAME_RE.source);
    return r.name;
  };
  switch (r.op) {
    case 'createAccount':
      only('id', 'op', 'name');
      return { id, op: 'createAccount', name: name() };
    case 'creditAccount': {
      only('id', 'op', 'name', 'amount');
      const n = name();
      if (typeof r.amount !== 'number' || !Number.isSafeInteger(r.amount) || r.amount <= 0) throw new AdminDecodeError(id, 'amount must be a positive integer');
      return { id, op: 'creditAccount', name: n, amount: r.amount };
    }
    case 'audit':
      only('id', 'op');
      return { id, op: 'audit' };
    default:
      throw new AdminDecodeError(id, 'unknown admin op');
  }
}

/** Run one admin message against the mint; never throws, every failure is a reply. */
export async function runAdmin(mint: Mint, m: unknown): Promise<AdminReply> {
  let req: AdminRequest;
  try {
    req = parseAdminRequest(m);
  } catch (e) {
    const id = e instanceof AdminDecodeError ? e.id : 0;
    return { type: 'admin', id, ok: false, error: (e as Error).message };
  }
  try {
    let value: unknown;
    if (req.op === 'createAccount') value = await mint.createAccount(req.name);
    else if (req.op === 'creditAccount') value = await mint.creditAccount(req.name, req.amount, 'admin');
    else value = await mint.audit();
    return { type: 'admin', id: req.id, ok: true, value };
  } catch (e) {
    if (e instanceof BankError) return { type: 'admin', id: req.id, ok: false, error: e.message, code: e.code };
    return { type: 'admin', id: req.id, ok: false, error: 'internal error' };
  }
}
