/**
 * Strict parsing of the NUT JSON bodies (NUT-00 Proof / BlindedMessage, NUT-03/04/05/07 requests).
 * Everything from the network passes through here first; anything unexpected is a 400 with a
 * clear code, before any key is touched or the ledger is read.
 */
import { BankError, ErrorCode, malformed } from '../cashu/errors';
import { KEYSET_ID_RE, isKeyAmount } from '../cashu/keyset';
import { selectCurve } from '../cashu/curve';
import { fromHex, toHex } from '../../shared/src/bytes';

export const MAX_INPUTS = 1000;
export const MAX_OUTPUTS = 1000;
/** NUT-00 recommends 64 hex chars; NUT-10 secrets are JSON and longer, but we cap them. */
export const MAX_SECRET_LEN = 1024;
const QUOTE_ID_RE = /^[0-9a-f-]{36}$/;
const HEX66 = /^(02|03)[0-9a-fA-F]{64}$/;

/**
 * A compressed SEC1 point from hex (NUT-00 hex_str), validated by the mint's curve library (x < p,
 * on the curve; every library gives the same verdict: test/bank/curve-cross.test.ts). 90002 otherwise.
 */
export function parsePointBytes(hex: unknown, what = 'point'): Uint8Array {
  if (typeof hex !== 'string' || !HEX66.test(hex)) {
    throw new BankError(ErrorCode.INVALID_POINT, what + ' is not a compressed secp256k1 point');
  }
  const p = fromHex(hex);
  if (!selectCurve().isCompressedPoint(p)) throw new BankError(ErrorCode.INVALID_POINT, what + ' is not on secp256k1');
  return p;
}

export interface ProofIn {
  amount: number;
  id: string;
  secret: string;
  /** Compressed, validated. */
  C: Uint8Array;
}

export interface OutputIn {
  amount: number;
  id: string;
  /** Compressed, validated. */
  B_: Uint8Array;
  B_hex: string;
}

export function asObject(x: unknown, what: string): Record<string, unknown> {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) throw malformed(what + ' must be a JSON object');
  return x as Record<string, unknown>;
}

function amountOf(x: unknown, what: string): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) throw malformed(what + ' must be a positive integer');
  if (!isKeyAmount(x)) throw new BankError(ErrorCode.AMOUNT_OUTSIDE_LIMIT, what + ' is not a power-of-two key amount');
  return x;
}

function keysetIdOf(x: unknown, what: string): string {
  if (typeof x !== 'string' || !KEYSET_ID_RE.test(x)) throw new BankError(ErrorCode.KEYSET_UNKNOWN, what + ' is not a known keyset id');
  return x;
}

export function parseProofs(x: unknown, what = 'inputs'): ProofIn[] {
  if (!Array.isArray(x)) throw malformed(what + ' must be an array');
  if (x.length === 0) throw malformed(what + ' must not be empty');
  if (x.length > MAX_INPUTS) throw new BankError(ErrorCode.MAX_INPUTS_EXCEEDED, 'at most ' + MAX_INPUTS + ' inputs');
  const out: ProofIn[] = [];
  for (let i = 0; i < x.length; i++) {
    const p = asObject(x[i], what + '[' + i + ']');
    const secret = p.secret;
    if (typeof secret !== 'string' || secret.length === 0 || secret.length > MAX_SECRET_LEN) {
      throw malformed(what + '[' + i + '].secret must be a non-empty string of at most ' + MAX_SECRET_LEN + ' chars');
    }
    out.push({
      amount: amountOf(p.amount, what + '[' + i + '].amount'),
      id: keysetIdOf(p.id, what + '[' + i + '].id'),
      secret,
      C: parsePointBytes(p.C, what + '[' + i + '].C'),
    });
  }
  return out;
}

export function parseOutputs(x: unknown, what = 'outputs'): OutputIn[] {
  if (!Array.isArray(x)) throw malformed(what + ' must be an array');
  if (x.length === 0) throw malformed(what + ' must not be empty');
  if (x.length > MAX_OUTPUTS) throw new BankError(ErrorCode.MAX_OUTPUTS_EXCEEDED, 'at most ' + MAX_OUTPUTS + ' outputs');
  const out: OutputIn[] = [];
  for (let i = 0; i < x.length; i++) {
    const o = asObject(x[i], what + '[' + i + ']');
    const B_ = parsePointBytes(o.B_, what + '[' + i + '].B_');
    out.push({
      amount: amountOf(o.amount, what + '[' + i + '].amount'),
      id: keysetIdOf(o.id, what + '[' + i + '].id'),
      B_,
      // Canonical lowercase compressed form: the ledger's UNIQUE key must not depend on hex case.
      B_hex: toHex(B_),
    });
  }
  return out;
}

export function parseQuoteId(x: unknown): string {
  if (typeof x !== 'string' || !QUOTE_ID_RE.test(x)) throw new BankError(ErrorCode.UNKNOWN_QUOTE, 'quote id is malformed', 400);
  return x;
}

export function parseAmount(x: unknown, what = 'amount', max = 2 ** 40): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x <= 0) throw malformed(what + ' must be a positive integer');
  if (x > max) throw new BankError(ErrorCode.AMOUNT_OUTSIDE_LIMIT, what + ' above the limit ' + max);
  return x;
}

export function parseUnit(x: unknown, supported: string): string {
  if (x === undefined) return supported;
  if (x !== supported) throw new BankError(ErrorCode.UNIT_NOT_SUPPORTED, 'unit not supported; this mint uses ' + JSON.stringify(supported));
  return supported;
}

/** NUT-07 Ys: compressed points, returned in canonical lowercase hex (the ledger's key form). */
export function parsePointList(x: unknown, what: string): string[] {
  if (!Array.isArray(x)) throw malformed(what + ' must be an array');
  if (x.length > MAX_INPUTS) throw new BankError(ErrorCode.MAX_INPUTS_EXCEEDED, 'at most ' + MAX_INPUTS + ' entries');
  return x.map((h, i) => toHex(parsePointBytes(h, what + '[' + i + ']')));
}
