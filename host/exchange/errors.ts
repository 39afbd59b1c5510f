/** Refusals of an exchange server, each with the HTTP status it is answered with (docs/exchange.md §3). */
import { HoodError } from '../common/errors';

export type ExchangeReason =
  | 'unauthenticated'
  | 'bad_token'
  | 'malformed'
  | 'too_large'
  | 'not_found'
  | 'conflict'
  | 'store_full'
  | 'unknown_mss'
  | 'duplicate_mss'
  | 'unreachable'
  | 'refused'
  | 'stale'
  | 'replay'
  | 'busy'
  | 'entry_failed'
  | 'config';

const STATUS: Record<ExchangeReason, number> = {
  unauthenticated: 401,
  bad_token: 401,
  malformed: 400,
  too_large: 413,
  not_found: 404,
  conflict: 409,
  store_full: 507,
  unknown_mss: 404,
  duplicate_mss: 409,
  unreachable: 502,
  refused: 502,
  stale: 400,
  replay: 409,
  busy: 503,
  entry_failed: 502,
  config: 400,
};

export class ExchangeError extends HoodError<ExchangeReason> {
  constructor(reason: ExchangeReason, message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = 'ExchangeError';
  }

  get status(): number {
    return STATUS[this.reason];
  }
}
