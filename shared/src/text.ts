/**
 * String checks that run on Espruino. Its regular-expression engine (2v29) has no counted
 * repetition `{n,m}` and no optional `?`, so lengths are checked in code and patterns use only
 * character classes with `+`/`*`. host/build/espruino-check.ts rejects regex literals that break this.
 */

/** True if `s` is a string of min..max characters, each matching the one-character class `cls`. */
export function isOf(s: unknown, cls: RegExp, min: number, max: number): boolean {
  if (typeof s !== 'string' || s.length < min || s.length > max) return false;
  for (let i = 0; i < s.length; i++) if (!cls.test(s[i])) return false;
  return true;
}

const LOWER_HEX = /[0-9a-f]/;

/** Lower-case hex of exactly `n` characters. */
export function isLowerHex(s: unknown, n: number): boolean {
  return isOf(s, LOWER_HEX, n, n);
}

/** Split text into lines on \n or \r\n. */
export function splitLines(t: string): string[] {
  const lines = t.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length && l.charCodeAt(l.length - 1) === 13) lines[i] = l.substr(0, l.length - 1);
  }
  return lines;
}
