/**
 * Load for `hood bench bank`: proofs minted ahead of the timed phases and swap bodies prepared
 * ahead (client-side blinding on the curve seam, outside the timing), then C concurrent clients
 * that each send their next swap as soon as the previous one is answered — over HTTP with
 * keep-alive connections (what a wallet or the MSS sees) or by calling the mint in process.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
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
export async function drive(bodies: SwapBody[], concurrency: number, ms: number, send: (b: SwapBody) => Promise<boolean>): Promise<LoadResult> {
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

/** POST JSON over keep-alive HTTP; resolves with the status and body text. */
export function httpPoster(baseUrl: string, concurrency: number): { post(path: string, body: unknown): Promise<{ status: number; text: string }>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(baseUrl);
  return {
    post(path, body) {
      const data = Buffer.from(JSON.stringify(body));
      return new Promise((resolve, reject) => {
        const req = request(
          { host: u.hostname, port: u.port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': data.length } },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (d: Buffer) => chunks.push(d));
            res.on('end', () => resolve({ status: res.statusCode || 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(data);
      });
    },
    close: () => agent.destroy(),
  };
}
