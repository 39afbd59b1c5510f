/**
 * How every command reports its result: human text on stdout by default; with `--json`, exactly one
 * JSON object on one line and nothing else on stdout (progress and warnings go to stderr), so
 * `hood … --json | jq` always parses.
 */
import type { Command } from 'commander';

export interface JsonFlag {
  json?: boolean;
}

/** Add the `--json` flag with its one meaning. */
export function jsonOption(c: Command): Command {
  return c.option('--json', 'print one JSON object instead of text');
}

/** Print a command's result: one JSON line with `--json`, else `text(value)` (default: its fields, one per line). */
export function printResult<T>(o: JsonFlag, value: T, text: (v: T) => string = formatFields): void {
  if (o.json) {
    process.stdout.write(JSON.stringify(value) + '\n');
    return;
  }
  const t = text(value);
  if (t) process.stdout.write(t.endsWith('\n') ? t : t + '\n');
}

/** One `key value` line per leaf of a plain object, nested keys joined with dots; arrays stay on one line. */
export function formatFields(v: unknown): string {
  const rows: [string, string][] = [];
  const walk = (x: unknown, path: string) => {
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      for (const k of Object.keys(x)) walk((x as Record<string, unknown>)[k], path ? path + '.' + k : k);
    } else rows.push([path, typeof x === 'string' ? x : JSON.stringify(x) ?? String(x)]);
  };
  walk(v, '');
  const w = Math.max(0, ...rows.map((r) => r[0].length));
  return rows.map(([k, s]) => (k ? k.padEnd(w) + '  ' + s : s)).join('\n');
}
