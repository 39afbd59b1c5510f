/**
 * Authenticated MSS-to-MSS HTTP (docs/federation.md, "Peer authentication") on loopback: a signed request
 * from one member reaches another's handler and its signed answer is accepted; every refusal (non-member,
 * bad signature, stale timestamp, replayed nonce, wrong recipient, oversized body, …) is answered with its
 * reason, counted and logged by reason only; a response not signed by the addressed member, or not bound to
 * this request, is never accepted; random corruptions of signed requests and responses never get through.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../host/common/log';
import { peerRequest, PeerResponseError } from '../../host/federation/peer-client';
import { startPeerServer, type PeerServer } from '../../host/federation/peer-server';
import { requestSigningInput, responseSigningInput } from '../../host/federation/peer-auth';
import { makeFederation, peerSelf } from './fixtures';

const doug = peerSelf('doug', 11);
const erin = peerSelf('erin', 12);
const zed = peerSelf('zed', 99); // not a member

let server: PeerServer;
let url: string;
const logLines: string[] = [];
const calls: { from: string; body: unknown }[] = [];

beforeAll(async () => {
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => logLines.push(...d.toString().split('\n').filter(Boolean)));
  server = await startPeerServer({ host: '127.0.0.1', port: 0, federation: makeFederation(), self: erin, log: createLogger({ level: 'info', destination: sink }) });
  server.route('/v1/echo', async (from, body) => {
    calls.push({ from, body });
    return { status: 200, body: { from, echo: body } };
  });
  server.route('/v1/fail', async () => {
    throw new Error('handler exploded');
  });
  url = 'http://127.0.0.1:' + server.address.port;
});
afterAll(async () => {
  await server.close();
});

/** The federation as the caller sees it: erin reachable at the test server. */
const fed = () => makeFederation({ erin: url });

interface Signed {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
}

function signedRequest(from = doug, opts: { to?: string; ts?: number; body?: unknown; path?: string; signer?: typeof doug } = {}): Signed {
  const path = opts.path ?? '/v1/echo';
  const body = Buffer.from(JSON.stringify(opts.body ?? { hello: 1 }));
  const nonce = new Uint8Array(randomBytes(16));
  const ts = opts.ts ?? Date.now();
  const to = opts.to ?? 'erin';
  const sig = (opts.signer ?? from).sign(requestSigningInput({ method: 'POST', path, from: from.mssId, to, ts, nonce, body }));
  return {
    path,
    body,
    headers: {
      'content-type': 'application/json',
      'x-hood-mss': from.mssId,
      'x-hood-to': to,
      'x-hood-ts': String(ts),
      'x-hood-nonce': Buffer.from(nonce).toString('hex'),
      'x-hood-sig': Buffer.from(sig).toString('hex'),
    },
  };
}

async function send(r: Signed, method = 'POST'): Promise<{ status: number; body: { error?: string } }> {
  const res = await fetch(url + r.path, { method, headers: r.headers, body: method === 'GET' ? undefined : r.body });
  return { status: res.status, body: (await res.json()) as { error?: string } };
}

describe('peer requests', () => {
  it('a member reaches another member and gets its signed answer', async () => {
    const before = calls.length;
    const r = await peerRequest({ federation: fed(), self: doug, to: 'erin', path: '/v1/echo', body: { tmpId: 'x' }, timeoutMs: 5000 });
    expect(r).toEqual({ status: 200, body: { from: 'doug', echo: { tmpId: 'x' } } });
    expect(calls.slice(before)).toEqual([{ from: 'doug', body: { tmpId: 'x' } }]);
    expect(server.stats().served).toBeGreaterThan(0);
  });

  it('refusals come back signed, with their reason', async () => {
    const r = await peerRequest({ federation: fed(), self: doug, to: 'erin', path: '/v1/none', body: {} });
    expect(r).toEqual({ status: 404, body: { error: 'unknown_path' } });
    const f = await peerRequest({ federation: fed(), self: doug, to: 'erin', path: '/v1/fail', body: {} });
    expect(f).toEqual({ status: 500, body: { error: 'internal' } });
  });

  it('the client refuses to address a non-member or itself', async () => {
    await expect(peerRequest({ federation: fed(), self: doug, to: 'zed', path: '/v1/echo', body: {} })).rejects.toThrow(/not a member/);
    await expect(peerRequest({ federation: fed(), self: doug, to: 'doug', path: '/v1/echo', body: {} })).rejects.toThrow(/invalid peer/);
  });

  it('a server that is not a member, or not with its listed key, cannot start', async () => {
    await expect(startPeerServer({ host: '127.0.0.1', port: 0, federation: makeFederation(), self: zed, log: createLogger({ level: 'silent' }) })).rejects.toThrow(/not a member/);
    // erin's id with another key: its answers would not verify, so it does not start either.
    await expect(startPeerServer({ host: '127.0.0.1', port: 0, federation: makeFederation(), self: { mssId: 'erin', sign: zed.sign }, log: createLogger({ level: 'silent' }) })).rejects.toThrow(/another identity key/);
  });
});

describe('refusals', () => {
  const cases: [string, () => Signed, number, string, string?][] = [
    ['a non-member', () => signedRequest(zed), 403, 'not_member'],
    ['itself as sender', () => signedRequest(erin), 403, 'self'],
    ['a signature by another key', () => signedRequest(doug, { signer: peerSelf('doug', 13) }), 401, 'bad_sig'],
    ['a stale timestamp', () => signedRequest(doug, { ts: Date.now() - 31_000 }), 401, 'stale_ts'],
    ['a future timestamp', () => signedRequest(doug, { ts: Date.now() + 31_000 }), 401, 'stale_ts'],
    ['another recipient', () => signedRequest(doug, { to: 'fred' }), 403, 'wrong_to'],
    ['an oversized body', () => signedRequest(doug, { body: { pad: 'x'.repeat(70_000) } }), 413, 'too_large'],
    ['missing headers', () => ({ ...signedRequest(), headers: { 'x-hood-mss': 'doug' } }), 401, 'bad_headers'],
    ['a malformed timestamp', () => { const r = signedRequest(); r.headers['x-hood-ts'] = '+' + r.headers['x-hood-ts']; return r; }, 401, 'bad_headers'],
    ['a GET', () => signedRequest(), 405, 'method', 'GET'],
  ];
  for (const [what, make, status, reason, method] of cases) {
    it('refuses ' + what + ' (' + status + ' ' + reason + ')', async () => {
      const before = server.stats().refused[reason] ?? 0;
      const n = calls.length;
      const r = await send(make(), method);
      expect(r).toEqual({ status, body: { error: reason } });
      expect(server.stats().refused[reason]).toBe(before + 1);
      expect(calls.length).toBe(n);
    });
  }

  it('refuses a replayed nonce', async () => {
    const r = signedRequest();
    expect((await send(r)).status).toBe(200);
    const before = server.stats().refused.replay ?? 0;
    expect(await send(r)).toEqual({ status: 401, body: { error: 'replay' } });
    expect(server.stats().refused.replay).toBe(before + 1);
  });

  it('logs refusals by reason only: no header value or body reaches the log', async () => {
    const r = signedRequest(zed, { body: { secretish: 'do-not-log-me' } });
    await send(r);
    const text = logLines.join('\n');
    expect(text).toMatch(/"reason":"not_member"/);
    for (const v of [r.headers['x-hood-nonce'], r.headers['x-hood-sig'], 'do-not-log-me', 'zed']) expect(text).not.toContain(v);
  });

  it('bounds the nonce memory: a full window refuses instead of growing', async () => {
    const small = await startPeerServer({ host: '127.0.0.1', port: 0, federation: makeFederation(), self: erin, log: createLogger({ level: 'silent' }), maxNonces: 2 });
    small.route('/v1/echo', async () => ({ status: 200, body: {} }));
    try {
      const at = 'http://127.0.0.1:' + small.address.port;
      const codes: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = signedRequest();
        codes.push((await fetch(at + r.path, { method: 'POST', headers: r.headers, body: r.body })).status);
      }
      expect(codes).toEqual([200, 200, 503]);
      expect(small.stats().refused.busy).toBe(1);
    } finally {
      await small.close();
    }
  });
});

/** A plain HTTP server standing where erin is listed: it answers as `answer` decides. */
async function impostor(answer: (nonce: Uint8Array, from: string) => { status: number; body: Buffer; headers: Record<string, string> }): Promise<{ url: string; close(): Promise<void> }> {
  const s: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const nonce = new Uint8Array(Buffer.from(String(req.headers['x-hood-nonce']), 'hex'));
      const a = answer(nonce, String(req.headers['x-hood-mss']));
      res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return {
    url: 'http://127.0.0.1:' + (s.address() as AddressInfo).port,
    close: () => new Promise<void>((r) => { s.close(() => r()); s.closeAllConnections(); }),
  };
}

function signResponse(by: typeof erin, nonce: Uint8Array, status: number, body: Buffer, to = 'doug'): string {
  return Buffer.from(by.sign(responseSigningInput({ from: 'erin', to, nonce, status, body }))).toString('hex');
}

describe('responses', () => {
  it('refuses a response signed by a non-member, an unsigned one, and one bound to another request', async () => {
    const body = Buffer.from('{"ok":true}');
    const variants: [string, (n: Uint8Array) => Record<string, string>][] = [
      ['non-member', (n) => ({ 'x-hood-sig': signResponse(zed, n, 200, body) })],
      ['other member', (n) => ({ 'x-hood-sig': signResponse(peerSelf('fred', 13), n, 200, body) })],
      ['unsigned', () => ({})],
      ['other nonce', () => ({ 'x-hood-sig': signResponse(erin, new Uint8Array(16), 200, body) })],
      ['for another caller', (n) => ({ 'x-hood-sig': signResponse(erin, n, 200, body, 'fred') })],
    ];
    for (const [what, headers] of variants) {
      const imp = await impostor((n) => ({ status: 200, body, headers: headers(n) }));
      try {
        await expect(peerRequest({ federation: makeFederation({ erin: imp.url }), self: doug, to: 'erin', path: '/v1/echo', body: {} }), what).rejects.toBeInstanceOf(PeerResponseError);
      } finally {
        await imp.close();
      }
    }
    // The same impostor with erin's real key is accepted: the refusals above are about the signature.
    const imp = await impostor((n) => ({ status: 200, body, headers: { 'x-hood-sig': signResponse(erin, n, 200, body) } }));
    try {
      expect(await peerRequest({ federation: makeFederation({ erin: imp.url }), self: doug, to: 'erin', path: '/v1/echo', body: {} })).toEqual({ status: 200, body: { ok: true } });
    } finally {
      await imp.close();
    }
  });

  it('refuses an oversized response', async () => {
    const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(70_000) }));
    const imp = await impostor((n) => ({ status: 200, body, headers: { 'x-hood-sig': signResponse(erin, n, 200, body) } }));
    try {
      await expect(peerRequest({ federation: makeFederation({ erin: imp.url }), self: doug, to: 'erin', path: '/v1/echo', body: {} })).rejects.toThrow(/too large/);
    } finally {
      await imp.close();
    }
  });
});

describe('adversarial', () => {
  it('random corruptions of a signed request are never served', async () => {
    const headerNames = ['x-hood-mss', 'x-hood-to', 'x-hood-ts', 'x-hood-nonce', 'x-hood-sig'];
    const corruption = fc.oneof(
      fc.record({ where: fc.constant('header' as const), name: fc.constantFrom(...headerNames), at: fc.nat(), c: fc.constantFrom(...'0123456789abcdefz-'.split('')) }),
      fc.record({ where: fc.constant('body' as const), at: fc.nat(), v: fc.integer({ min: 0x20, max: 0x7e }) }),
      fc.record({ where: fc.constant('path' as const), p: fc.constantFrom('/v1/echo/', '/v1/ech', '/v1/fail', '/V1/echo') }),
    );
    let served = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(corruption, { minLength: 1, maxLength: 3 }), async (cs) => {
        const r = signedRequest(doug, { body: { n: 12345, s: 'abcdef' } });
        const orig = JSON.stringify(r);
        for (const c of cs) {
          if (c.where === 'header') {
            const v = r.headers[c.name];
            const i = c.at % v.length;
            r.headers[c.name] = v.slice(0, i) + c.c + v.slice(i + 1);
          } else if (c.where === 'body') r.body[c.at % r.body.length] = c.v;
          else r.path = c.p;
        }
        if (JSON.stringify(r) === orig) return true;
        const n = calls.length;
        const res = await fetch(url + r.path, { method: 'POST', headers: r.headers, body: r.body });
        await res.arrayBuffer();
        if (res.status === 200) served++;
        return res.status >= 400 && calls.length === n;
      }),
      { numRuns: 500 },
    );
    expect(served).toBe(0);
  });

  it('random corruptions of a signed response are never accepted', async () => {
    let corrupt: { kind: 'body' | 'status' | 'sig'; at: number; v: number } = { kind: 'body', at: 0, v: 0 };
    let unchanged = false; // the last "corruption" happened to leave the response as signed
    const imp = await impostor((n) => {
      const body = Buffer.from('{"accepted":true,"tmpId":"abcdefgh"}');
      const sig = signResponse(erin, n, 200, body);
      let status = 200;
      let sigOut = sig;
      if (corrupt.kind === 'body') body[corrupt.at % body.length] = 0x20 + (corrupt.v % 0x5f);
      else if (corrupt.kind === 'status') status = [201, 202, 204, 400, 403, 404, 500][corrupt.v % 7];
      else {
        const i = corrupt.at % sig.length;
        sigOut = sig.slice(0, i) + '0123456789abcdef'[corrupt.v % 16] + sig.slice(i + 1);
      }
      unchanged = corrupt.kind === 'sig' ? sigOut === sig : corrupt.kind === 'body' ? body.toString() === '{"accepted":true,"tmpId":"abcdefgh"}' : false;
      return { status, body, headers: { 'x-hood-sig': sigOut } };
    });
    const federation = makeFederation({ erin: imp.url });
    try {
      await fc.assert(
        fc.asyncProperty(fc.constantFrom('body' as const, 'status' as const, 'sig' as const), fc.nat(), fc.nat(), async (kind, at, v) => {
          corrupt = { kind, at, v };
          try {
            await peerRequest({ federation, self: doug, to: 'erin', path: '/v1/echo', body: {} });
          } catch (e) {
            return e instanceof PeerResponseError;
          }
          // Accepted: only allowed when the "corruption" left the response unchanged.
          return unchanged;
        }),
        { numRuns: 500 },
      );
    } finally {
      await imp.close();
    }
  });
});
