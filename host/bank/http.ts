/**
 * The mint's HTTP API on node:http (no framework: a dozen fixed routes, and full control of body
 * limits and error shapes). Routes follow the NUTs under /v1; the account method adds
 * POST /v1/mint/quote/account/{id}/pay and GET /v1/account/balance (Bearer account token).
 *
 * Logs carry method, route, status, duration and error code only: never bodies (proofs, secrets,
 * blinded messages) nor the Authorization header.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { BankError, ErrorCode, malformed } from '../cashu/errors';
import { METHOD, type Mint } from './mint';

export const MAX_BODY = 512 * 1024;
const PLAIN_PATH = /^\/(?!\/)[A-Za-z0-9_/-]*$/;

type Handler = (req: IncomingMessage, params: string[], body: unknown) => Promise<unknown> | unknown;

interface Route {
  method: 'GET' | 'POST';
  re: RegExp;
  name: string;
  handler: Handler;
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > MAX_BODY) {
        failed = true;
        reject(new BankError(ErrorCode.BODY_TOO_LARGE, 'request body too large', 413));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.length === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(malformed('body is not valid JSON'));
      }
    });
    req.on('error', (e) => {
      if (!failed) reject(e);
    });
  });
}

export function routes(mint: Mint): Route[] {
  const m = METHOD;
  const auth = (req: IncomingMessage) => req.headers.authorization;
  return [
    { method: 'GET', re: /^\/v1\/info$/, name: 'info', handler: () => mint.info() },
    { method: 'GET', re: /^\/v1\/keys$/, name: 'keys', handler: () => mint.keys() },
    { method: 'GET', re: /^\/v1\/keys\/([^/]+)$/, name: 'keys_id', handler: (_r, p) => mint.keys(p[0]) },
    { method: 'GET', re: /^\/v1\/keysets$/, name: 'keysets', handler: () => mint.keysetList() },
    { method: 'POST', re: /^\/v1\/swap$/, name: 'swap', handler: (_r, _p, b) => mint.swap(b) },
    { method: 'POST', re: /^\/v1\/checkstate$/, name: 'checkstate', handler: (_r, _p, b) => mint.checkState(b) },
    { method: 'POST', re: new RegExp('^/v1/mint/quote/' + m + '$'), name: 'mint_quote', handler: (r, _p, b) => mint.createMintQuote(b, auth(r)) },
    { method: 'GET', re: new RegExp('^/v1/mint/quote/' + m + '/([^/]+)$'), name: 'mint_quote_get', handler: (_r, p) => mint.getMintQuote(p[0]) },
    {
      method: 'POST',
      re: new RegExp('^/v1/mint/quote/' + m + '/([^/]+)/pay$'),
      name: 'mint_quote_pay',
      handler: (r, p) => mint.payMintQuote(p[0], auth(r)),
    },
    { method: 'POST', re: new RegExp('^/v1/mint/' + m + '$'), name: 'mint', handler: (_r, _p, b) => mint.mint(b) },
    { method: 'POST', re: new RegExp('^/v1/melt/quote/' + m + '$'), name: 'melt_quote', handler: (_r, _p, b) => mint.createMeltQuote(b) },
    { method: 'GET', re: new RegExp('^/v1/melt/quote/' + m + '/([^/]+)$'), name: 'melt_quote_get', handler: (_r, p) => mint.getMeltQuote(p[0]) },
    { method: 'POST', re: new RegExp('^/v1/melt/' + m + '$'), name: 'melt', handler: (_r, _p, b) => mint.melt(b) },
    { method: 'GET', re: /^\/v1\/account\/balance$/, name: 'balance', handler: (r) => mint.accountBalance(auth(r)) },
  ];
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

export function createBankServer(mint: Mint, log: Logger): Server {
  const table = routes(mint);
  return createServer((req, res) => {
    const t0 = process.hrtime.bigint();
    const raw = req.url || '/';
    // A plain path (letters, digits, '-', '_', '/'; not '//…') is its own pathname; anything else
    // (query, percent-encoding, dot segments) is normalised by the WHATWG URL parser.
    const pathname = PLAIN_PATH.test(raw) ? raw : new URL(raw, 'http://bank.invalid').pathname;
    const path = pathname.replace(/\/+$/, '') || '/';
    let routeName = 'unknown';
    const done = (status: number, body: unknown, code?: number) => {
      send(res, status, body);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      log.info({ method: req.method, route: routeName, status, code, ms: Math.round(ms * 100) / 100 }, 'request');
    };
    (async () => {
      let matched: Route | undefined;
      let params: string[] = [];
      let pathKnown = false;
      for (const r of table) {
        const m = r.re.exec(path);
        if (!m) continue;
        pathKnown = true;
        if (r.method === req.method) {
          matched = r;
          params = m.slice(1).map((s) => decodeURIComponent(s));
          break;
        }
      }
      if (!matched) {
        if (pathKnown) throw new BankError(ErrorCode.NOT_FOUND, 'method not allowed', 405);
        if (/^\/v1\/(mint|melt)\//.test(path)) {
          throw new BankError(ErrorCode.METHOD_NOT_SUPPORTED, 'payment method not supported; this mint uses "' + METHOD + '"');
        }
        throw new BankError(ErrorCode.NOT_FOUND, 'no such endpoint', 404);
      }
      routeName = matched.name;
      const body = req.method === 'POST' ? await readBody(req) : undefined;
      if (req.method === 'POST' && body === undefined && matched.name !== 'mint_quote_pay') throw malformed('missing JSON body');
      return matched.handler(req, params, body);
    })().then(
      (out) => done(200, out),
      (e: unknown) => {
        if (e instanceof BankError) return done(e.status, e.toJSON(), e.code);
        log.error({ route: routeName, err: (e as Error).name, msg: (e as Error).message }, 'internal error');
        done(500, { detail: 'internal error', code: 0 });
      },
    );
  });
}

export async function listen(server: Server, host: string, port: number): Promise<{ host: string; port: number; url: string }> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return { host: a.address, port: a.port, url: 'http://' + (a.family === 'IPv6' ? '[' + a.address + ']' : a.address) + ':' + a.port };
}
