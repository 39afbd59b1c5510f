/** Option parsers for the CLI: bad input gets a clear message, never a NaN deep inside. */
import { InvalidArgumentError } from 'commander';

export function parseIntOption(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError('expected a whole number, got ' + JSON.stringify(v));
  const n = Number(v);
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('number too large');
  return n;
}

export function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected host:port, got ' + JSON.stringify(v));
  const port = Number(m[2]);
  if (port > 65535) throw new InvalidArgumentError('port out of range: ' + port);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export function parsePositiveIntOption(v: string): number {
  const n = parseIntOption(v);
  if (n < 1) throw new InvalidArgumentError('expected a number of at least 1, got ' + v);
  return n;
}
