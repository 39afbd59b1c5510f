/**
 * The PM and NM over HTTP (Extended Nymble §2.4 message flows 1–6; docs/nymble.md §4, §12): what
 * `hood nymble serve` runs beside the bank. JSON in and out, byte fields as hex, bodies capped.
 *
 *   GET  /nymble/v1/params                    T, L, the NM's Ed25519 key, the current (w, t)
 *   POST /nymble/v1/pseudonym                 Bearer <account token>           → Pnym (Algorithm 1)
 *   GET  /nymble/v1/rating                    Bearer <account token>           → the caller's own rating
 *   POST /nymble/v1/credential                {nym, w, mac, sid, from?}        → nymble* and tickets
 *   GET  /nymble/v1/blacklist/<sid>           signed blacklist (octet-stream)
 *   GET  /nymble/v1/linking-tokens/<sid>?since=N   MSS-authenticated            → linking tokens
 *   POST /nymble/v1/complaint/<sid>           MSS-authenticated {ticket}       → linked from (w, t)
 *
 * An MSS authenticates with a bearer derived from macKey_NS (`mssAuthToken`): only the holder of the
 * key the NM shares with that MSS may pull its linking tokens (they link users) or complain for it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { NymbleError } from './errors';
import { MSS_ID_RE, type NymbleManager } from './nymble-manager';
import { ctEqual, hex, mac } from './primitives';
import type { PseudonymManager } from './pseudonym-manager';
import { epochAt, type Epoch } from './time';

export const NYMBLE_HTTP_PREFIX = '/nymble/v1';
const MAX_BODY = 64 * 1024;
const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** The bearer an MSS shows the NM: a MAC of its id under macKey_NS, never the key itself. */
export function mssAuthToken(macKeyNS: Uint8Array, sid: string): string {
  return hex(mac(macKeyNS, 'hood-nymble-mss-auth', Buffer.from(sid, 'utf8')));
}

export interface NymbleHttpOptions {
  pm: PseudonymManager;
  nm: NymbleManager;
  /** macKey_NS per registered MSS, for authenticating MSS requests. */
  mssKey: (sid: string) => Uint8Array;
  log: Logger;
  now?: () => number;
}

export interface RunningNymbleHttp {
  server: Server;
  url: string;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

function statusOf(e: NymbleError): number {
  if (e.reason === 'unknown_resource') return 401;
  if (e.reason === 'unknown_mss') return 404;
  return 400;
}

function bytesField(o: Record<string, unknown>, k: string, max: number): Uint8Array {
  const v = o[k];
  if (typeof v !== 'string' || v.length > max * 2 || !HEX_RE.test(v)) throw new HttpError(400, 'malformed', k + ' must be lower-case hex of at most ' + max + ' bytes');
  return new Uint8Array(Buffer.from(v, 'hex'));
}

function intField(o: Record<string, unknown>, k: string, min: number, max: number, dflt?: number): number {
  const v = o[k] === undefined ? dflt : o[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new HttpError(400, 'malformed', k + ' must be an integer ' + min + '..' + max);
  return v;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > MAX_BODY) throw new HttpError(413, 'malformed', 'request body too large');
    chunks.push(c as Buffer);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new HttpError(400, 'malformed', 'request body is not JSON');
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'malformed', 'request body must be a JSON object');
  return v as Record<string, unknown>;
}

function bearer(req: IncomingMessage): string {
  const h = req.headers.authorization;
  const m = typeof h === 'string' ? /^Bearer ([A-Za-z0-9._~+/=-]{1,512})$/.exec(h) : null;
  if (!m) throw new HttpError(401, 'unknown_resource', 'an Authorization: Bearer token is required');
  return m[1];
}

export async function startNymbleHttp(o: NymbleHttpOptions, listen: { host: string; port: number }): Promise<RunningNymbleHttp> {
  const clock = o.now || Date.now;
  const epoch = (): Epoch => epochAt(o.nm.time, clock());

  // MSS ids are plain (MSS_ID_RE), so a path segment is taken as it is: nothing to decode, and a
  // stray '%' cannot reach decodeURIComponent.
  const sidOf = (sid: string): string => {
    if (!MSS_ID_RE.test(sid)) throw new HttpError(404, 'unknown_mss', 'no such MSS');
    return sid;
  };
  const authMss = (req: IncomingMessage, sid: string): void => {
    let key: Uint8Array;
    try {
      key = o.mssKey(sid);
    } catch {
      throw new HttpError(404, 'unknown_mss', 'no such MSS');
    }
    const token = bearer(req);
    const want = Buffer.from(mssAuthToken(key, sid), 'utf8');
    const got = Buffer.from(token, 'utf8');
    if (got.length !== want.length || !ctEqual(got, want)) throw new HttpError(403, 'forged', 'MSS authentication failed');
  };

  async function route(req: IncomingMessage, url: URL): Promise<{ json?: unknown; bytes?: Uint8Array }> {
    const p = url.pathname.startsWith(NYMBLE_HTTP_PREFIX + '/') ? url.pathname.slice(NYMBLE_HTTP_PREFIX.length) : '';
    let m: RegExpExecArray | null;
    if (req.method === 'GET' && p === '/params') {
      return { json: { periodMs: o.nm.time.periodMs, periodsPerWindow: o.nm.time.periodsPerWindow, publicKey: hex(o.nm.publicKey()), now: epoch() } };
    }
    if (req.method === 'POST' && p === '/pseudonym') {
      const token = bearer(req);
      const pn = await o.pm.pseudonym(token, epoch().w);
      return { json: { nym: hex(pn.nym), w: pn.w, mac: hex(pn.mac) } };
    }
    if (req.method === 'GET' && p === '/rating') {
      return { json: { rating: await o.pm.ratingOf(bearer(req)) } };
    }
    if (req.method === 'POST' && p === '/credential') {
      const b = await readBody(req);
      const now = epoch();
      if (typeof b.sid !== 'string') throw new HttpError(400, 'malformed', 'sid is required');
      const sid = sidOf(b.sid);
      const c = o.nm.credential(
        { nym: bytesField(b, 'nym', 32), w: intField(b, 'w', 1, 0xffffffff), mac: bytesField(b, 'mac', 32) },
        sid,
        now,
        intField(b, 'from', 1, o.nm.time.periodsPerWindow, now.t),
      );
      return { json: { sid: c.sid, w: c.w, nymbleStar: hex(c.nymbleStar), firstPeriod: c.firstPeriod, tickets: c.tickets.map(hex) } };
    }
    if (req.method === 'GET' && (m = /^\/blacklist\/([^/]{1,200})$/.exec(p))) {
      return { bytes: o.nm.blacklist(sidOf(m[1]), epoch()) };
    }
    if (req.method === 'GET' && (m = /^\/linking-tokens\/([^/]{1,200})$/.exec(p))) {
      const sid = sidOf(m[1]);
      authMss(req, sid);
      const since = Number(url.searchParams.get('since') ?? '0');
      if (!Number.isInteger(since) || since < 0) throw new HttpError(400, 'malformed', 'since must be a non-negative integer');
      const tokens = o.nm.linkingTokens(sid, epoch(), since).map((k) => ({ seq: k.seq, w: k.w, t: k.t, seed: hex(k.seed) }));
      return { json: { tokens } };
    }
    if (req.method === 'POST' && (m = /^\/complaint\/([^/]{1,200})$/.exec(p))) {
      const sid = sidOf(m[1]);
      authMss(req, sid);
      const b = await readBody(req);
      const r = o.nm.complain(bytesField(b, 'ticket', 4096), sid, epoch());
      o.log.info({ event: 'nymble_complaint', linkedFrom: r.linkedFrom }, 'complaint accepted');
      return { json: { linkedFrom: r.linkedFrom } };
    }
    throw new HttpError(404, 'not_found', 'no such route');
  }

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url || '/', 'http://nymble.invalid');
    route(req, url).then(
      (r) => {
        if (r.bytes) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': r.bytes.length });
          res.end(Buffer.from(r.bytes));
        } else {
          const body = JSON.stringify(r.json);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        }
      },
      (e: unknown) => {
        let status = 500;
        let reason = 'internal';
        let message = 'internal error';
        if (e instanceof HttpError) ({ status, reason, message } = e);
        else if (e instanceof NymbleError) {
          status = statusOf(e);
          reason = e.reason;
          message = e.message;
        } else o.log.error({ event: 'nymble_http_error', err: (e as Error).message }, 'request failed');
        if (!res.headersSent) {
          res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ error: reason, message }));
        } else res.destroy();
      },
    );
  };

  const server = createServer({ headersTimeout: 10_000, requestTimeout: 15_000 }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? '[' + a.address + ']' : a.address;
  return {
    server,
    url: 'http://' + host + ':' + a.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
