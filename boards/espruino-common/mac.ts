/**
 * MAC text <-> bytes for the HALs, without regex brace quantifiers: Espruino's regex engine has no
 * `{n}` / `{n,m}` (measured on 2v29 for Linux: /^a{2}$/.test("aa") is false), so
 * shared/src/tmpmac.ts parseMac cannot be used on a board.
 */
export function parseMacText(s: string): Uint8Array | null {
  if (typeof s !== 'string') return null;
  const parts = s.split(':');
  if (parts.length !== 6) return null;
  const out = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    if (parts[i].length !== 2 || !/^[0-9a-fA-F]+$/.test(parts[i])) return null;
    out[i] = parseInt(parts[i], 16);
  }
  return out;
}
