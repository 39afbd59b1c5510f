/**
 * NUT-00 token serialization: cashuB (V4, CBOR) and cashuA (V3, JSON). The codec itself is
 * cashu-ts's (a maintained implementation, also what other Cashu wallets read); this module
 * bounds the input and validates every decoded field before the rest of the wallet sees it.
 */
import { getDecodedToken, getEncodedToken, getEncodedTokenV4 } from '@cashu/cashu-ts';
import { KEYSET_ID_RE, isKeyAmount } from '../cashu/keyset';
import { WalletError, type Proof } from './types';

export const MAX_TOKEN_CHARS = 64 * 1024;
const HEX64 = /^[0-9a-f]{64}$/;
const POINT = /^(02|03)[0-9a-f]{64}$/;

export interface DecodedToken {
  mint: string;
  unit: string;
  proofs: Proof[];
  memo?: string;
}

export function encodeToken(t: DecodedToken, format: 'B' | 'A' = 'B', withDleq = true): string {
  const proofs = t.proofs.map((p) => {
    const q: Proof = { amount: p.amount, id: p.id, secret: p.secret, C: p.C };
    if (withDleq && p.dleq) q.dleq = { ...p.dleq };
    return q;
  });
  const tok = { mint: t.mint, unit: t.unit, proofs, memo: t.memo };
  return format === 'A' ? getEncodedToken(tok as any, { version: 3 }) : getEncodedTokenV4(tok as any);
}

export function decodeToken(s: unknown): DecodedToken {
  if (typeof s !== 'string' || s.length === 0 || s.length > MAX_TOKEN_CHARS) throw new WalletError('malformed', 'token must be a string of at most ' + MAX_TOKEN_CHARS + ' chars');
  const text = s.trim().replace(/^cashu:/, '');
  if (!/^cashu[AB][A-Za-z0-9_\-+/=]+$/.test(text)) throw new WalletError('malformed', 'not a cashuA/cashuB token');
  let raw: any;
  try {
    raw = getDecodedToken(text);
  } catch {
    throw new WalletError('malformed', 'token does not decode');
  }
  if (!raw || typeof raw.mint !== 'string' || !Array.isArray(raw.proofs) || raw.proofs.length === 0) {
    throw new WalletError('malformed', 'token has no mint or no proofs');
  }
  const proofs: Proof[] = raw.proofs.map((p: any) => {
    if (!p || !isKeyAmount(p.amount) || typeof p.id !== 'string' || !KEYSET_ID_RE.test(p.id)) throw new WalletError('malformed', 'bad proof amount or keyset id');
    if (typeof p.secret !== 'string' || p.secret.length === 0 || p.secret.length > 1024) throw new WalletError('malformed', 'bad proof secret');
    if (typeof p.C !== 'string' || !POINT.test(p.C)) throw new WalletError('malformed', 'bad proof signature');
    const q: Proof = { amount: p.amount, id: p.id, secret: p.secret, C: p.C };
    if (p.dleq && typeof p.dleq === 'object') {
      const { e, s: ss, r } = p.dleq;
      if (!HEX64.test(e) || !HEX64.test(ss) || !HEX64.test(r)) throw new WalletError('malformed', 'bad DLEQ fields');
      q.dleq = { e, s: ss, r };
    }
    return q;
  });
  return { mint: raw.mint, unit: typeof raw.unit === 'string' ? raw.unit : 'sat', proofs, memo: typeof raw.memo === 'string' ? raw.memo : undefined };
}
