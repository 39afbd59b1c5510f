/**
 * Structured JSON logs (pino). Keys, K_BD, tokens and cell contents are never passed to the logger;
 * the redact list is a second line of defence in case a field with such a name slips in, and every
 * string logged has URL credentials (`user:pass@`) replaced by `***@` (RFC 3986 §3.2.1 userinfo).
 */
import { pino, type Logger } from 'pino';
import { redactUrl } from './redact';

export type { Logger };

export const REDACT_PATHS = [
  'kbd', '*.kbd', 'key', '*.key', 'secret', '*.secret', 'boxSecret', '*.boxSecret', 'identitySecret',
  '*.identitySecret', 'upKey', 'downKey', '*.upKey', '*.downKey', 'token', '*.token', 'password', '*.password',
  'proofs', '*.proofs', 'payload', '*.payload', 'cell', '*.cell',
];

export function createLogger(opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options = {
    level: opts.level || process.env.HOOD_LOG_LEVEL || 'info',
    name: opts.name,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: undefined,
  };
  // Every line passes redactUrl on its way out, whichever field, message, error or child binding carried the URL.
  const dest = (opts.destination || pino.destination(1)) as { write(s: string): unknown };
  return pino(options, { write: (line: string) => dest.write(redactUrl(line)) });
}

/** A logger that drops everything (library use, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
