/**
 * The dashboard's access token. 32 random bytes, shown to the operator once when made; only its SHA-256 is
 * kept, in the data dir, mode 0600 (a stolen file does not open the dashboard). A candidate is hashed and
 * compared in constant time (timingSafeEqual over equal-length digests), given either as
 * `Authorization: Bearer <token>` (RFC 6750 §2.1) or as the HttpOnly SameSite=Strict cookie the login form
 * sets (RFC 6265bis §4.1.2.7: a cross-site page cannot make the browser send it). Bad tokens are rate
 * limited per peer address, so guessing costs time as well as 256 bits.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../common/atomic-file';
import { readPrivateFile } from '../common/private-file';

export const TOKEN_FILE = 'dashboard-token.sha256';
export const COOKIE_NAME = 'hood_dashboard';
/** base64url of 32 bytes. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export interface DashboardToken {
  /** The token itself, only when it was made just now (to print once); null when it already existed. */
  fresh: string | null;
  check(candidate: string | null | undefined): boolean;
}

/** Load the token's hash from `dataDir`, or make a token and store its hash. */
export function loadOrCreateToken(dataDir: string): DashboardToken {
  const path = join(dataDir, TOKEN_FILE);
  let fresh: string | null = null;
  let digest: Buffer;
  if (existsSync(path)) {
    const hex = readPrivateFile(path, 'utf8').trim();
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(path + ' is not a SHA-256 in hex; delete it to make a new dashboard token');
    digest = Buffer.from(hex, 'hex');
  } else {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    fresh = randomBytes(32).toString('base64url');
    digest = sha256(fresh);
    writeFileAtomic(path, digest.toString('hex') + '\n', 0o600);
  }
  return {
    fresh,
    check(candidate) {
      // Hash first, so the comparison is over two 32-byte digests whatever was sent (no length oracle).
      const c = sha256(typeof candidate === 'string' && TOKEN_RE.test(candidate) ? candidate : '');
      return timingSafeEqual(c, digest) && typeof candidate === 'string' && TOKEN_RE.test(candidate);
    },
  };
}

/** The token a request carries: Bearer header first, then the session cookie. */
export function tokenOf(headers: { authorization?: string; cookie?: string }): string | null {
  const a = headers.authorization;
  if (typeof a === 'string') {
    const m = /^Bearer +([A-Za-z0-9_-]+)$/.exec(a.trim());
    return m ? m[1] : '';
  }
  const c = headers.cookie;
  if (typeof c === 'string') {
    for (const part of c.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === COOKIE_NAME) return part.slice(eq + 1).trim();
    }
  }
  return null;
}

/** Set-Cookie for a good login: not readable by script, never sent cross-site, whole dashboard. */
export function sessionCookie(token: string): string {
  return COOKIE_NAME + '=' + token + '; HttpOnly; SameSite=Strict; Path=/';
}

/**
 * Failed attempts per peer address in a sliding window; past `max` the peer is told 429 until the window
 * has passed. The table is bounded (oldest entry evicted), so a spray of addresses cannot grow it.
 */
export class FailureLimiter {
  private readonly peers = new Map<string, { n: number; since: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly maxPeers = 4096,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(peer: string): boolean {
    const e = this.peers.get(peer);
    if (!e) return false;
    if (this.now() - e.since >= this.windowMs) {
      this.peers.delete(peer);
      return false;
    }
    return e.n >= this.max;
  }

  failed(peer: string): void {
    const t = this.now();
    const e = this.peers.get(peer);
    if (e && t - e.since < this.windowMs) {
      e.n++;
      return;
    }
    this.peers.delete(peer);
    if (this.peers.size >= this.maxPeers) this.peers.delete(this.peers.keys().next().value as string);
    this.peers.set(peer, { n: 1, since: t });
  }
}
