/**
 * Bank accounts (the identified side: Bob withdraws from his account, the MSS cashes out into its
 * own). A token is `hoodacct_<id>_<secret>`; only SHA-256(token) is stored, and the presented
 * token is compared against it in constant time after the lookup by the public id part, so
 * neither the database nor response timing reveals a usable token.
 */
import { randomBytes } from 'node:crypto';
import { sha256 } from '@noble/hashes/sha2.js';
import { equalBytes, fromHex, toHex, utf8Encode } from '../../shared/src/bytes';
import { BankError, ErrorCode } from '../cashu/errors';
import type { AccountRow, LedgerStore } from './ledger/store';

const TOKEN_RE = /^hoodacct_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
export const ACCOUNT_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export function hashToken(token: string): string {
  return toHex(sha256(utf8Encode(token)));
}

export function newAccountToken(): { id: string; token: string } {
  const id = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  return { id, token: 'hoodacct_' + id + '_' + secret };
}

export async function createAccount(store: LedgerStore, name: string, now: number): Promise<{ account: AccountRow; token: string }> {
  if (!ACCOUNT_NAME_RE.test(name)) throw new BankError(ErrorCode.MALFORMED_REQUEST, 'account name must match ' + ACCOUNT_NAME_RE.source);
  const { id, token } = newAccountToken();
  const account = await store.createAccount(id, name, hashToken(token), now);
  return { account, token };
}

/** Parse "Bearer <token>" and check it; every failure is the same 401 so nothing is learned. */
export async function authenticate(store: LedgerStore, authorization: string | undefined): Promise<AccountRow> {
  const fail = () => new BankError(ErrorCode.UNAUTHORIZED, 'missing or invalid account token', 401);
  if (typeof authorization !== 'string' || !authorization.startsWith('Bearer ')) throw fail();
  const token = authorization.slice(7).trim();
  const m = TOKEN_RE.exec(token);
  if (!m) throw fail();
  const account = await store.getAccount(m[1]);
  const presented = fromHex(hashToken(token));
  // Compare against a dummy hash when the id is unknown, so both paths do the same work.
  const stored = fromHex(account ? account.tokenHash : '00'.repeat(32));
  if (!equalBytes(presented, stored) || !account) throw fail();
  return account;
}
