/**
 * Credentials inside URLs (RFC 3986 §3.2.1 userinfo: `scheme://user:pass@host`) must never reach a log
 * line: a broker or bank URL given with its password would otherwise be written out in clear.
 */

// scheme "://" userinfo "@": userinfo runs up to the first "@" with no "/", "?", "#" (which end the
// authority), space, quote or backslash (not allowed raw in a URL; they end a JSON string) before it.
const USERINFO = /([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"\\<>]*@/gi;

/** `mqtt://user:pass@host:1883` → `mqtt://***@host:1883`; text without URL credentials is returned as is. */
export function redactUrl(text: string): string {
  return text.replace(USERINFO, '$1***@');
}

/** True if `text` carries URL userinfo (a user name, a password or both). */
export function hasUrlCredentials(text: string): boolean {
  USERINFO.lastIndex = 0;
  const r = USERINFO.test(text);
  USERINFO.lastIndex = 0;
  return r;
}
