/**
 * The MSS operator's dashboard on node:http: an overview filled by live server-sent snapshots
 * (events.ts), a sessions page with TmpIds opened on purpose, and `/metrics` for Prometheus (metrics.ts).
 * Every path but the login form and the stylesheet answers 401 without the token (auth.ts). Every answer carries a strict
 * CSP (CSP Level 3: nothing but same-origin scripts, styles, fetches and form posts; no framing) and is
 * never cached. Loopback by default; the operator chooses to listen elsewhere.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { FailureLimiter, loadOrCreateToken, sessionCookie, tokenOf } from './auth';
import { BankAuditWatch } from './bank-audit';
import { SnapshotEvents } from './events';
import { mssRegistry } from './metrics';
import { APP_CSS, APP_JS, loginPage, overviewPage, sessionsPage, unauthorizedPage } from './page';
import { takeSnapshot, type DashboardSource } from './snapshot';

export const DEFAULT_DASHBOARD_LISTEN = { host: '127.0.0.1', port: 8338 };

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

/** The login form posts one short field; anything longer is not a token. */
const MAX_LOGIN_BODY = 1024;

export interface DashboardOptions {
  src: DashboardSource;
  /** Where the token's hash lives (the MSS data dir). */
  dataDir: string;
  host?: string;
  port?: number;
  log: Logger;
  /** How often the embedded bank's ledger is audited (default 60 s). */
  auditPeriodMs?: number;
  maxEventClients?: number;
  eventPeriodMs?: number;
  /** Bad tokens a peer may send per minute before it is told 429. */
  maxFailures?: number;
}

export interface RunningDashboard {
  url: string;
  /** The access token if it was made by this start (print it once), else null. */
  newToken: string | null;
  close(): Promise<void>;
}

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const token = loadOrCreateToken(o.dataDir);
  const limiter = new FailureLimiter(o.maxFailures ?? 10);
  const bank = o.src.payment && o.src.payment.bank;
  const audit = bank ? new BankAuditWatch(bank.mint, o.auditPeriodMs ?? 60_000) : null;
  const read = () => takeSnapshot(o.src, audit);
  const registry = mssRegistry(read);
  const events = new SnapshotEvents(read, o.maxEventClients ?? 8, o.eventPeriodMs ?? 1000, SECURITY_HEADERS);

  const send = (res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
    res.end(body);
  };
  const html = 'text/html; charset=utf-8';

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const peer = req.socket.remoteAddress || '?';
    const path = (req.url || '/').split('?')[0];
    if (path === '/login') {
      if (req.method === 'GET') return send(res, 200, html, loginPage());
      if (req.method !== 'POST') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, POST' });
      if (limiter.blocked(peer)) return send(res, 429, html, loginPage('Too many wrong tokens; wait a minute.'), { 'Retry-After': '60' });
      const body = await readBody(req, MAX_LOGIN_BODY);
      const given = body === null ? null : new URLSearchParams(body).get('token');
      if (!given || !token.check(given)) {
        limiter.failed(peer);
        return send(res, 401, html, loginPage('Wrong token.'));
      }
      res.writeHead(303, { ...SECURITY_HEADERS, Location: '/', 'Set-Cookie': sessionCookie(given), 'Content-Length': '0' });
      return void res.end();
    }

    // The stylesheet holds no data and the login and 401 pages need it: the one asset served to anyone.
    if (path === '/app.css' && req.method === 'GET') return send(res, 200, 'text/css; charset=utf-8', APP_CSS);
    const given = tokenOf(req.headers);
    if (given !== null && limiter.blocked(peer)) return send(res, 429, 'text/plain; charset=utf-8', 'too many wrong tokens\n', { 'Retry-After': '60' });
    if (!token.check(given)) {
      if (given !== null) limiter.failed(peer);
      return send(res, 401, html, unauthorizedPage(), { 'WWW-Authenticate': 'Bearer realm="hood-mss"' });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET' });
    switch (path) {
      case '/':
        return send(res, 200, html, overviewPage());
      case '/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
      case '/events':
        return events.open(req, res);
      case '/snapshot.json':
        return send(res, 200, 'application/json', JSON.stringify(read()));
      case '/metrics':
        return send(res, 200, registry.contentType, await registry.metrics());
      case '/sessions': {
        const now = Date.now();
        const rows = o.src.gw.core.sessions.all().map((s) => ({
          tmpId: s.tmpId,
          ageSec: Math.round((now - s.createdAt) / 1000),
          idleSec: Math.round((now - s.lastSeenAt) / 1000),
          cellsUp: s.cellsUp,
          cellsDown: s.cellsDown,
        }));
        return send(res, 200, html, sessionsPage(rows));
      }
      default:
        return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      o.log.error({ event: 'dashboard_error', err: (e as Error).message }, 'dashboard request failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  const host = o.host ?? DEFAULT_DASHBOARD_LISTEN.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? DEFAULT_DASHBOARD_LISTEN.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  audit?.start();
  const a = server.address() as AddressInfo;
  const url = 'http://' + (a.family === 'IPv6' ? '[' + a.address + ']' : a.address) + ':' + a.port;
  if (!isLoopback(host)) o.log.warn({ event: 'dashboard_not_loopback', url }, 'dashboard listens beyond loopback: anyone who can reach it may try tokens');
  o.log.info({ event: 'dashboard_started', url }, 'dashboard started');
  return {
    url,
    newToken: token.fresh,
    async close() {
      audit?.stop();
      events.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** The request body as text, or null if it is longer than `max` (the rest is not read). */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
