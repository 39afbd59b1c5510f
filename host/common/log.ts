/**
 * Structured JSON logs (pino). Keys, K_BD, tokens and cell contents are never passed to the logger;
 * the redact list is a second line of defence in case a field with such a name slips in.
 */
import { pino, type Logger } from 'pino';

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
  return opts.destination ? pino(options, opts.destination as any) : pino(options);
}

/** A logger that drops everything (library use, benchmarks). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
