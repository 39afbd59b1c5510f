/**
 * Load for `hood bench bank`: proofs minted ahead of the timed phases and swap bodies prepared
 * ahead (client-side blinding on the curve seam, outside the timing), then C concurrent clients
 * that each send their next swap as soon as the previous one is answered — over HTTP with
 * keep-alive connections (what a wallet or the MSS sees) or by calling the mint in process.
 *
 * The HTTP clients must not be what limits the rate: they share the machine's cores with the bank.
 * So each request is serialised (JSON and HTTP/1.1 head) before the timed phase, and the timed
 * phase only writes those bytes on a keep-alive socket and reads the answer's status and
 * Content-Length framing (RFC 9112 §6.3): a few microseconds per request instead of node:http's
 * client machinery. The bank still parses and answers full HTTP/1.1 with node:http.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import type { Curve } from '../cashu/curve';
import { blind, isScalar, secretToY, unblind } from '../cashu/curve/bdhke';
import { fromHex, toHex } from '../../shared/src/bytes';

export interface KeysetKeys {
  id: string;
  keys: Record<string, string>;
}

export interface BenchProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
}

export interface PreparedOutput {
  secret: string;
  r: Uint8Array;
  B_: string;
}

export interface SwapBody {
  inputs: BenchProof[];
  outputs: { amount: number; id: string; B_: string }[];
}

function scalar(): Uint8Array {
  for (;;) {
    const s = randomBytes(32);
    if (isScalar(s)) return s;
  }
}

/** n one-unit blinded outputs (NUT-00 B_ = Y + r·G). */
export function prepareOnes(c: Curve, n: number): PreparedOutput[] {
  const out: PreparedOutput[] = [];
  for (let i = 0; i < n; i++) {
    const secret = toHex(randomBytes(32));
    const r = scalar();
    out.push({ secret, r, B_: toHex(blind(c, secretToY(c, secret), r)) });
  }
  return out;
}

/** Unblind the mint's answers into proofs (C = C_ − r·K). */
export function finishOnes(c: Curve, prep: PreparedOutput[], sigs: { C_: string }[], ks: KeysetKeys): BenchProof[] {
  if (sigs.length !== prep.length) throw new Error('bench: signature count does not match');
  const K = fromHex(ks.keys['1']);
  return prep.map((p, i) => ({ amount: 1, id: ks.id, secret: p.secret, C: toHex(unblind(c, fromHex(sigs[i].C_), p.r, K)) }));
}

/** One 1-in/1-out swap body per proof. */
export function swapBodies(c: Curve, proofs: BenchProof[], ks: KeysetKeys): SwapBody[] {
  const outs = prepareOnes(c, proofs.length);
  return proofs.map((p, i) => ({ inputs: [p], outputs: [{ amount: 1, id: ks.id, B_: outs[i].B_ }] }));
}

export interface LoadResult {
  done: number;
  failed: number;
  ms: number;
}

/**
 * Run `bodies` through `send` with `concurrency` clients until they run out or `ms` passed;
 * returns the count answered successfully and the wall time.
 */
export async function drive<B>(bodies: B[], concurrency: number, ms: number, send: (b: B) => Promise<boolean>): Promise<LoadResult> {
  let next = 0;
  let done = 0;
  let failed = 0;
  const t0 = performance.now();
  const client = async (): Promise<void> => {
    while (next < bodies.length && performance.now() - t0 < ms) {
      const b = bodies[next++];
      if (await send(b)) done++;
      else failed++;
    }
  };
  const clients: Promise<void>[] = [];
  for (let i = 0; i < concurrency; i++) clients.push(client());
  await Promise.all(clients);
  return { done, failed, ms: performance.now() - t0 };
}

/** One POST with a JSON body as the bytes on the wire (HTTP/1.1, keep-alive). */
export function serializePost(host: string, path: string, body: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(body), 'utf8');
  const head =
    'POST ' + path + ' HTTP/1.1\r\nhost: ' + host + '\r\ncontent-type: application/json\r\ncontent-length: ' + json.length + '\r\nconnection: keep-alive\r\n\r\n';
  return Buffer.concat([Buffer.from(head, 'latin1'), json]);
}

/** Largest answer head or body the bench client accepts (a swap answer is a few hundred bytes). */
const MAX_ANSWER = 1 << 20;

interface Waiter {
  resolve(status: number): void;
  reject(e: Error): void;
}

/** One keep-alive connection that carries one request at a time. */
class RawConnection {
  private buf: Buffer = Buffer.alloc(0);
  private waiter: Waiter | null = null;
  private status = 0;
  private bodyLeft = -1;
  closed = false;

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onData(d));
    const fail = (e: Error) => {
      this.closed = true;
      const w = this.waiter;
      this.waiter = null;
      if (w) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  send(req: Buffer): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.socket.write(req);
    });
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    for (let guard = 0; guard < 64 && this.buf.length > 0; guard++) {
      if (this.bodyLeft < 0) {
        const end = this.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buf.length > MAX_ANSWER) this.socket.destroy(new Error('answer head too long'));
          return;
        }
        const head = this.buf.toString('latin1', 0, end);
        this.buf = this.buf.subarray(end + 4);
        // Status line "HTTP/1.1 200 OK" (RFC 9112 §4); the bank frames every answer by Content-Length.
        const m = /^HTTP\/1\.[01] (\d\d\d) /.exec(head);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
        if (!m || !cl || Number(cl[1]) > MAX_ANSWER) {
          this.socket.destroy(new Error('unexpected answer framing'));
          return;
        }
        this.status = Number(m[1]);
        this.bodyLeft = Number(cl[1]);
      }
      if (this.buf.length < this.bodyLeft) return;
      this.buf = this.buf.subarray(this.bodyLeft);
      this.bodyLeft = -1;
      const w = this.waiter;
      this.waiter = null;
      if (w) w.resolve(this.status);
    }
  }
}

/**
 * `concurrency` keep-alive connections to `baseUrl` for pre-serialised requests
 * (serializePost); `send` resolves with the answer's HTTP status. At most `concurrency` requests
 * may be in flight, one per connection, as `drive` does.
 */
export async function rawHttpClient(baseUrl: string, concurrency: number): Promise<{ send(req: Buffer): Promise<number>; close(): void }> {
  const u = new URL(baseUrl);
  const open = () =>
    new Promise<RawConnection>((resolve, reject) => {
      const s = connect({ host: u.hostname, port: Number(u.port) }, () => {
        s.off('error', reject);
        resolve(new RawConnection(s));
      });
      s.once('error', reject);
    });
  const idle: RawConnection[] = [];
  for (let i = 0; i < concurrency; i++) idle.push(await open());
  const all = idle.slice();
  return {
    async send(req) {
      let c = idle.pop();
      if (!c || c.closed) c = await open();
      try {
        return await c.send(req);
      } finally {
        if (!c.closed) idle.push(c);
      }
    },
    close() {
      for (const c of all) c.socket.destroy();
      for (const c of idle) c.socket.destroy();
    },
  };
}
