/**
 * An exchange server over HTTP (ACS §3: the exchange layer; docs/exchange.md §3). Loopback by
 * default; node:http; binary bodies with exact size limits, JSON for answers and errors.
 *
 *   GET  /info                         {id, buckets, slots, retentionSec}   (no secret in it)
 *   PUT  /share/<pseudonym, 64 hex>    Bearer <MSS token>; body = one share (a bucket size)
 *                                      201 stored / 200 same share already there, after commit
 *   POST /pickup                       Bearer <MSS token>; body = bucket u32 big-endian | MAX_SLOTS pseudonyms
 *                                      200: MAX_SLOTS records of `bucket` bytes each — the stored share,
 *                                      or random bytes for a miss. Nothing is deleted yet.
 *   POST /release                      Bearer <MSS token>; the same body: deletes the shares of that size
 *                                      under those pseudonyms, after commit 204 (hit or miss alike).
 *
 * A pickup answer has the same shape whatever is stored (ACS §4: "all message shares are padded to
 * the same length"), so whoever relays it cannot tell hits from misses, and every pseudonym of a
 * request costs the same store work. The server itself knows which pseudonyms hit: that is what it
 * must know to delete them. Pickup and release are two steps so that a round is atomic across the k
 * servers: the entry server releases only after every server answered its pickup (docs/exchange.md §3).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BUCKETS, isBucket } from '../../shared/src/exchange/shares';
import { MAX_SLOTS, PSEUDONYM_LEN } from '../../shared/src/exchange/pseudonym';
import type { Logger } from '../common/log';
import { ExchangeError } from './errors';
import type { ShareStore } from './store';

export const MAX_SHARE_BYTES = BUCKETS[BUCKETS.length - 1];
export const PICKUP_BODY_BYTES = 4 + MAX_SLOTS * PSEUDONYM_LEN;
const SHARE_PATH = /^\/share\/([0-9a-f]{64})$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]{1,128})$/;

export interface ExchangeServerOptions {
  store: ShareStore;
  listen: { host: string; port: number };
  retentionSec: number;
  log: Logger;
  sweepIntervalMs?: number;
  now?: () => number;
}

export interface RunningExchange {
  url: string;
  id: string;
  server: Server;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && !(Number(declared) <= max)) throw new ExchangeError('too_large', 'request body exceeds ' + max + ' bytes');
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req) {
    n += (c as Buffer).length;
    if (n > max) throw new ExchangeError('too_large', 'request body exceeds ' + max + ' bytes');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length, 'cache-control': 'no-store' });
  res.end(b);
}

export async function startExchangeServer(o: ExchangeServerOptions): Promise<RunningExchange> {
  const now = o.now || Date.now;
  const store = o.store;
  if (!(o.retentionSec >= 1)) throw new ExchangeError('config', 'retention must be at least 1 second');

  const auth = (req: IncomingMessage): string => {
    const h = req.headers.authorization;
    if (typeof h !== 'string') throw new ExchangeError('unauthenticated', 'an Authorization: Bearer token is required');
    const m = BEARER.exec(h);
    if (!m) throw new ExchangeError('bad_token', 'malformed bearer token');
    const who = store.authenticate(m[1]);
    if (!who) throw new ExchangeError('bad_token', 'unknown bearer token');
    return who;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = req.url || '/';
    if (req.method === 'GET' && url === '/info') {
      return send(res, 200, { id: store.serverId, buckets: BUCKETS, slots: MAX_SLOTS, retentionSec: o.retentionSec });
    }
    const sm = SHARE_PATH.exec(url);
    if (sm && req.method === 'PUT') {
      const mss = auth(req);
      const body = await readBody(req, MAX_SHARE_BYTES);
      if (!isBucket(body.length)) throw new ExchangeError('malformed', 'a share must be one of ' + BUCKETS.join('/') + ' bytes, got ' + body.length);
      const t = now();
      const r = store.put(new Uint8Array(Buffer.from(sm[1], 'hex')), new Uint8Array(body), t + o.retentionSec * 1000, t);
      o.log.info({ event: 'exchange_put', mss, bytes: body.length, result: r }, 'share stored');
      return send(res, r === 'stored' ? 201 : 200, { result: r });
    }
    if ((url === '/pickup' || url === '/release') && req.method === 'POST') {
      const mss = auth(req);
      const body = await readBody(req, PICKUP_BODY_BYTES);
      if (body.length !== PICKUP_BODY_BYTES) throw new ExchangeError('malformed', 'a ' + url.slice(1) + ' is exactly ' + PICKUP_BODY_BYTES + ' bytes: bucket u32 | ' + MAX_SLOTS + ' pseudonyms');
      const size = body.readUInt32BE(0);
      if (!isBucket(size)) throw new ExchangeError('malformed', 'bucket must be one of ' + BUCKETS.join('/'));
      const ps: Uint8Array[] = [];
      for (let i = 0; i < MAX_SLOTS; i++) ps.push(new Uint8Array(body.subarray(4 + i * PSEUDONYM_LEN, 4 + (i + 1) * PSEUDONYM_LEN)));
      if (url === '/release') {
        store.release(ps, size);
        // Counted, not itemised: the log holds no pseudonym and no hit pattern.
        o.log.info({ event: 'exchange_release', mss, bucket: size }, 'pickup released');
        res.writeHead(204, { 'cache-control': 'no-store' });
        res.end();
        return;
      }
      // Random filler for every record first, so a hit costs no less than a miss.
      const out = randomBytes(MAX_SLOTS * size);
      const got = store.take(ps, size, now());
      for (let i = 0; i < MAX_SLOTS; i++) {
        const s = got[i];
        if (s) out.set(s, i * size);
      }
      o.log.info({ event: 'exchange_pickup', mss, bucket: size }, 'pickup answered');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': out.length, 'cache-control': 'no-store' });
      res.end(out);
      return;
    }
    if (sm || url === '/pickup' || url === '/release' || url === '/info') throw new ExchangeError('malformed', 'method not allowed');
    throw new ExchangeError('not_found', 'no such resource');
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (e instanceof ExchangeError) {
        if (e.reason === 'too_large') res.setHeader('connection', 'close');
        send(res, e.status, { error: e.reason, message: e.message });
        if (e.reason === 'too_large') res.on('finish', () => req.destroy());
        return;
      }
      o.log.error({ event: 'exchange_error', err: (e as Error).message }, 'request failed');
      send(res, 500, { error: 'internal', message: 'internal error' });
    });
  });
  server.requestTimeout = 15_000;
  server.headersTimeout = 10_000;
  server.maxHeadersCount = 32;
  server.maxConnections = 256;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.listen.port, o.listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  store.sweep(now());
  const sweeper = setInterval(() => {
    try {
      const n = store.sweep(now());
      if (n) o.log.info({ event: 'exchange_swept', count: n }, 'expired shares dropped');
    } catch (e) {
      o.log.warn({ event: 'exchange_sweep_failed', err: (e as Error).message }, 'sweep failed');
    }
  }, o.sweepIntervalMs ?? 30_000);
  sweeper.unref();
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? '[' + a.address + ']' : a.address;
  return {
    url: 'http://' + host + ':' + a.port,
    id: store.serverId,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sweeper);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
