/**
 * Errors a mint returns to clients, shared by the mint (which sends them) and the wallet (which
 * reads them). NUT-00: errors are HTTP 400 with {detail, code}; the codes are the ones of the NUT
 * error table (error_codes.md). Codes >= 90000 are ours (account method, request framing), never
 * reused by a NUT.
 */
import { HoodError } from '../common/errors';

export const ErrorCode = {
  // NUT error table
  PROOF_VERIFICATION_FAILED: 10001,
  PROOFS_ALREADY_SPENT: 11001,
  OUTPUTS_ALREADY_SIGNED: 11003,
  TRANSACTION_NOT_BALANCED: 11005,
  AMOUNT_OUTSIDE_LIMIT: 11006,
  DUPLICATE_INPUTS: 11007,
  DUPLICATE_OUTPUTS: 11008,
  MULTIPLE_UNITS: 11009,
  UNIT_NOT_SUPPORTED: 11013,
  MAX_INPUTS_EXCEEDED: 11014,
  MAX_OUTPUTS_EXCEEDED: 11015,
  KEYSET_UNKNOWN: 12001,
  KEYSET_INACTIVE: 12002,
  QUOTE_NOT_PAID: 20001,
  QUOTE_ALREADY_ISSUED: 20002,
  QUOTE_ALREADY_PAID: 20006,
  QUOTE_EXPIRED: 20007,
  // ours
  MALFORMED_REQUEST: 90001,
  INVALID_POINT: 90002,
  UNAUTHORIZED: 90003,
  INSUFFICIENT_FUNDS: 90004,
  UNKNOWN_QUOTE: 90005,
  UNKNOWN_ACCOUNT: 90006,
  NOT_FOUND: 90007,
  BODY_TOO_LARGE: 90008,
  METHOD_NOT_SUPPORTED: 90009,
  IDEMPOTENCY_CONFLICT: 90010,
  TOO_MANY_QUOTES: 90011,
} as const;

const NAMES: Record<number, string> = {};
for (const [name, code] of Object.entries(ErrorCode)) NAMES[code] = name.toLowerCase();

/** The `reason` of a bank error code: its name in the table in lower case, else `code_<n>`. */
export function errorReason(code: number): string {
  return NAMES[code] || 'code_' + code;
}

/** A refusal the client caused; carries the HTTP status (400 unless auth/size/route says otherwise). */
export class BankError extends HoodError {
  readonly code: number;
  readonly status: number;
  constructor(code: number, detail: string, status = 400) {
    super(errorReason(code), detail);
    this.name = 'BankError';
    this.code = code;
    this.status = status;
  }
  toJSON(): { detail: string; code: number } {
    return { detail: this.message, code: this.code };
  }
}

export function malformed(detail: string): BankError {
  return new BankError(ErrorCode.MALFORMED_REQUEST, detail);
}
