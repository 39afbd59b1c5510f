/**
 * The MSS-to-MSS HTTP endpoint of a federation member (docs/federation.md, "Peer authentication"): the
 * channel over which members hand a PDA's session from one MSS to another (paper §6.3). Only POST with a
 * JSON body of at most 64 KiB. A request is served only if, in this order:
 *   its sender is a listed member other than this MSS, it is addressed to this MSS, its timestamp is within
 *   ±30 s of our clock, its body fits, its signature verifies under the sender's listed identity key, and
 *   its nonce was not seen within the window (bounded memory).
 * Refusals are JSON `{error: reason}`, counted, and logged by reason only (never a header value or body).
 * Every response, refusals included, is signed by this MSS and bound to the request's nonce.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { isValidMssId } from '../../shared/src/protocol/topics';
import type { Federation } from './list';
import { ed25519VerifyHost } from './keys';
import {
  H_FROM,
  H_NONCE,
  H_SIG,
  H_TO,
  H_TS,
  MAX_CLOCK_SKEW_MS,
  MAX_PEER_BODY,
  NONCE_BYTES,
  isValidPeerPath,
  parseHex,
  parseTs,
  requestSigningInput,
  responseSigningInput,
  type PeerSelf,
} from './peer-auth';

export type PeerHandler = (from: string, body: unknown) => Promise<{ status: number; body: unknown }>;

export interface PeerServer {
  route(path: string, handler: PeerHandler): void;
  readonly address: { host: string; port: number };
  /** Requests served and refusals by reason, for the dashboard and tests. */
  stats(): { served: number; refused: Record<string, number> };
  close(): Promise<void>;
}

export interface PeerServerOptions {
  host: string;
  port: number;
  federation: Federation;
  self: PeerSelf;
  log: Logger;
  /** Clock (unix ms); tests inject one. */
  now?: () => number;
  /** Nonces remembered at most; past this, requests are refused as busy rather than memory growing. */
  maxNonces?: number;
}

class Refusal extends Error {
  constructor(readonly status: number, readonly reason: string) {
    super(reason);
  }
}

/** Nonces seen in the replay window, oldest first (Map keeps insertion order). */
class NonceWindow {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlMs: number, private readonly max: number) {}
  /** True if fresh (and now remembered), false if seen before; throws a Refusal when full. */
  admit(key: string, now: number): boolean {
    for (const [k, exp] of this.seen) {
      if (exp > now) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) return false;
    if (this.seen.size >= this.max) throw new Refusal(503, 'busy');
    this.seen.set(key, now + this.ttlMs);
    return true;
  }
}

export async function startPeerServer(opts: PeerServerOptions): Promise<PeerServer> {
  const { federation, self, log } = opts;
  const now = opts.now ?? Date.now;
  const selfKey = federation.memberKey(self.mssId);
  if (!selfKey) throw new Error('MSS ' + self.mssId + ' is not a member of federation ' + federation.name);
  // Our answers must verify under the key the list gives for us: check once here, not at every peer.
  const probe = responseSigningInput({ from: self.mssId, to: self.mssId, nonce: new Uint8Array(NONCE_BYTES), status: 0, body: new Uint8Array(0) });
  if (!ed25519VerifyHost(self.sign(probe), probe, selfKey))
    throw new Error('federation ' + federation.name + ' lists another identity key for MSS ' + self.mssId);
  const routes = new Map<string, PeerHandler>();
  const refused: Record<string, number> = {};
  let served = 0;
  // A timestamp is accepted up to MAX_CLOCK_SKEW_MS either side, so a replay can arrive up to 2× that after the first copy.
  const nonces = new NonceWindow(2 * MAX_CLOCK_SKEW_MS, opts.maxNonces ?? 100_000);

  function send(res: ServerResponse, status: number, body: unknown, to: string, nonce: Uint8Array): void {
    const bytes = Buffer.from(JSON.stringify(body ?? null), 'utf8');
    const sig = self.sign(responseSigningInput({ from: self.mssId, to, nonce, status, body: bytes }));
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': bytes.length,
      [H_FROM]: self.mssId,
      [H_SIG]: Buffer.from(sig).toString('hex'),
    });
    res.end(bytes);
  }

  function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const declared = req.headers['content-length'];
      if (declared !== undefined && !(Number(declared) <= MAX_PEER_BODY)) return reject(new Refusal(413, 'too_large'));
      const parts: Buffer[] = [];
      let n = 0;
      req.on('data', (c: Buffer) => {
        n += c.length;
        if (n > MAX_PEER_BODY) {
          req.removeAllListeners('data');
          req.pause();
          reject(new Refusal(413, 'too_large'));
        } else parts.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const h = (name: string) => {
      const v = req.headers[name];
      return typeof v === 'string' ? v : undefined;
    };
    const fromHeader = h(H_FROM);
    const replyTo = fromHeader !== undefined && isValidMssId(fromHeader) ? fromHeader : '';
    const nonce = parseHex(h(H_NONCE), NONCE_BYTES);
    try {
      if (req.method !== 'POST') throw new Refusal(405, 'method');
      const path = req.url;
      if (!isValidPeerPath(path)) throw new Refusal(404, 'unknown_path');
      const ts = parseTs(h(H_TS));
      const sig = parseHex(h(H_SIG), 64);
      const to = h(H_TO);
      if (!replyTo || !nonce || ts === null || !sig || to === undefined) throw new Refusal(401, 'bad_headers');
      if (replyTo === self.mssId) throw new Refusal(403, 'self');
      const key = federation.memberKey(replyTo);
      if (!key) throw new Refusal(403, 'not_member');
      if (to !== self.mssId) throw new Refusal(403, 'wrong_to');
      const t = now();
      if (Math.abs(t - ts) > MAX_CLOCK_SKEW_MS) throw new Refusal(401, 'stale_ts');
      const body = await readBody(req);
      const input = requestSigningInput({ method: 'POST', path, from: replyTo, to, ts, nonce, body });
      if (!ed25519VerifyHost(sig, input, key)) throw new Refusal(401, 'bad_sig');
      // Remembered only after the signature verified: no one outside the federation can fill the window.
      if (!nonces.admit(replyTo + ':' + Buffer.from(nonce).toString('hex'), t)) throw new Refusal(401, 'replay');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString('utf8'));
      } catch {
        throw new Refusal(400, 'bad_json');
      }
      const handler = routes.get(path);
      if (!handler) throw new Refusal(404, 'unknown_path');
      let out: { status: number; body: unknown };
      try {
        out = await handler(replyTo, parsed);
      } catch (e) {
        log.error({ path, err: (e as Error).message }, 'peer handler failed');
        throw new Refusal(500, 'internal');
      }
      send(res, out.status, out.body, replyTo, nonce);
      served++;
    } catch (e) {
      const r = e instanceof Refusal ? e : new Refusal(500, 'internal');
      if (!(e instanceof Refusal)) log.error({ err: (e as Error).message }, 'peer request failed');
      refused[r.reason] = (refused[r.reason] ?? 0) + 1;
      log.warn({ reason: r.reason }, 'peer request refused');
      if (!res.headersSent) {
        // A body we stopped reading is not drained: tell the client this connection ends here.
        if (r.reason === 'too_large') res.setHeader('connection', 'close');
        send(res, r.status, { error: r.reason }, replyTo, nonce ?? new Uint8Array(0));
      }
    }
  }

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  return {
    route(path, handler) {
      if (!isValidPeerPath(path)) throw new Error('invalid peer path ' + JSON.stringify(path));
      routes.set(path, handler);
    },
    address: { host: a.address, port: a.port },
    stats: () => ({ served, refused: { ...refused } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
