/**
 * An exchange server over HTTP (ACS §3: the exchange layer; docs/exchange.md §3). Loopback by
 * default; node:http; binary bodies with exact size limits, JSON for answers and errors.
 *
 *   GET  /info                         {id, publicKey, buckets, slots, retentionSec}   (no secret in it)
 *   PUT  /share/<pseudonym, 64 hex>    Bearer <MSS token>; body = one share (a bucket size)
 *                                      201 stored / 200 same share already there, after commit
 *   POST /sealed                       Bearer <entry MSS token>; body = a pickup or release sealed to this
 *                                      server's key (host/exchange/sealed.ts). Pickup: 200, sealed
 *                                      MAX_SLOTS records of `bucket` bytes each — the stored share, or random
 *                                      bytes for a miss; nothing is deleted yet. Release: deletes the shares
 *                                      of that size under those pseudonyms, after commit 200 with a sealed
 *                                      empty answer (hit or miss alike).
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
import { MAX_SLOTS } from '../../shared/src/exchange/pseudonym';
import { toHex } from '../../shared/src/bytes';
import { MAX_SKEW_MS, OP_RELEASE, SEALED_REQUEST_BYTES, openRequest } from './sealed';
import type { Logger } from '../common/log';
import { ExchangeError } from './errors';
import type { ShareStore } from './store';

export const MAX_SHARE_BYTES = BUCKETS[BUCKETS.length - 1];
const SHARE_PATH = /^\/share\/([0-9a-f]{64})$/;
const BEARER = /^Bearer ([A-Za-z0-9_-]{1,128})$/;

export interface ExchangeServerOptions {
  store: ShareStore;
  listen: { host: string; port: number };
  retentionSec: number;
  log: Logger;
  sweepIntervalMs?: number;
  now?: () => number;
  /** Sealed requests remembered for the replay check at most (default 200,000). */
  maxReplayWindow?: number;
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

function sendBytes(res: ServerResponse, b: Uint8Array): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': b.length, 'cache-control': 'no-store' });
  res.end(b);
}

/**
 * Ephemeral keys of sealed requests seen while their timestamp can still pass (2 × MAX_SKEW_MS), so a
 * request replayed by an entry server or anyone on the path is refused. Bounded: when full of live
 * keys, requests are refused as busy rather than memory growing.
 */
export class ReplayWindow {
  private readonly seen = new Map<string, number>();
  constructor(private readonly max = 200_000) {}
  admit(epk: string, now: number): void {
    for (const [k, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(k);
    }
    if (this.seen.has(epk)) throw new ExchangeError('replay', 'this sealed request was seen before');
    if (this.seen.size >= this.max) throw new ExchangeError('busy', 'too many requests in the replay window');
    this.seen.set(epk, now + 2 * MAX_SKEW_MS);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const b = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': b.length, 'cache-control': 'no-store' });
  res.end(b);
}

export async function startExchangeServer(o: ExchangeServerOptions): Promise<RunningExchange> {
  const now = o.now || Date.now;
  const store = o.store;
  const seen = new ReplayWindow(o.maxReplayWindow);
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
      return send(res, 200, { id: store.serverId, publicKey: toHex(store.sealingKey.publicKey), buckets: BUCKETS, slots: MAX_SLOTS, retentionSec: o.retentionSec });
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
    if (url === '/sealed' && req.method === 'POST') {
      // The bearer is the entry server relaying the request (any federation member), not the PDA's MSS.
      const entry = auth(req);
      const body = await readBody(req, SEALED_REQUEST_BYTES);
      const r = openRequest(store.sealingKey, new Uint8Array(body));
      const t = now();
      if (Math.abs(t - r.ts) > MAX_SKEW_MS) throw new ExchangeError('stale', 'request timestamp too far from the server clock');
      seen.admit(r.epk, t);
      if (r.op === OP_RELEASE) {
        store.release(r.pseudonyms, r.bucket);
        // Counted, not itemised: the log holds no pseudonym and no hit pattern.
        o.log.info({ event: 'exchange_release', entry, bucket: r.bucket }, 'pickup released');
        return sendBytes(res, r.sealAnswer(new Uint8Array(0)));
      }
      // Random filler for every record first, so a hit costs no less than a miss.
      const out = randomBytes(MAX_SLOTS * r.bucket);
      const got = store.take(r.pseudonyms, r.bucket, t);
      for (let i = 0; i < MAX_SLOTS; i++) {
        const s = got[i];
        if (s) out.set(s, i * r.bucket);
      }
      o.log.info({ event: 'exchange_pickup', entry, bucket: r.bucket }, 'pickup answered');
      const sealed = r.sealAnswer(out);
      out.fill(0);
      return sendBytes(res, sealed);
    }
    if (sm || url === '/sealed' || url === '/info') throw new ExchangeError('malformed', 'method not allowed');
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
