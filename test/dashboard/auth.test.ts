/**
 * The dashboard token (host/dashboard/auth.ts) under adversarial input: long random sequences of candidate
 * tokens, near-misses of the real one, random Authorization and Cookie headers, and random failure traffic
 * against the per-peer limiter, whose table must stay bounded.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FailureLimiter, TOKEN_FILE, loadOrCreateToken, sessionCookie, tokenOf } from '../../host/dashboard/auth';
import { silentLogger } from '../../host/common/log';
import { startDashboard, type RunningDashboard } from '../../host/dashboard/server';
import { BROKER_REJECT_REASONS, CELL_REJECT_REASONS, OTHER, foldReasons } from '../../host/dashboard/reasons';
import { startGateway } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';
import { get } from './fixture';

describe('token', () => {
  it('is made once, 32 random bytes, only its hash kept (0600); a second load shows nothing', () => {
    const dir = testDir('hood-dash-auth-');
    const a = loadOrCreateToken(dir);
    expect(a.fresh).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a.fresh!, 'base64url')).toHaveLength(32);
    expect(statSync(join(dir, TOKEN_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, TOKEN_FILE), 'utf8')).not.toContain(a.fresh!);
    const b = loadOrCreateToken(dir);
    expect(b.fresh).toBeNull();
    expect(b.check(a.fresh)).toBe(true);
    expect(loadOrCreateToken(testDir('hood-dash-auth-')).fresh).not.toBe(a.fresh);
  });

  it('refuses a token file others can read, and one that is not a SHA-256', () => {
    const dir = testDir('hood-dash-auth-');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, TOKEN_FILE), 'ab'.repeat(32) + '\n', { mode: 0o644 });
    expect(() => loadOrCreateToken(dir)).toThrow(/too open/);
    const dir2 = testDir('hood-dash-auth-');
    writeFileSync(join(dir2, TOKEN_FILE), 'not a hash\n', { mode: 0o600 });
    expect(() => loadOrCreateToken(dir2)).toThrow(/SHA-256/);
  });

  it('accepts exactly the token: random strings and every one-character change are refused', () => {
    const t = loadOrCreateToken(testDir('hood-dash-auth-'));
    const tok = t.fresh!;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 100 }), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.constant(undefined), fc.constant(null)), (c) => {
        expect(t.check(c as string)).toBe(c === tok);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.nat(tok.length - 1), fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'.split('')), fc.constantFrom('replace', 'insert', 'delete'), (i, ch, op) => {
        const c = op === 'replace' ? tok.slice(0, i) + ch + tok.slice(i + 1) : op === 'insert' ? tok.slice(0, i) + ch + tok.slice(i) : tok.slice(0, i) + tok.slice(i + 1);
        expect(t.check(c)).toBe(c === tok);
      }),
      { numRuns: 2000 },
    );
    expect(t.check(tok)).toBe(true);
    expect(t.check(' ' + tok)).toBe(false);
  });

  it('reads the token from Bearer first, then the cookie; malformed headers give no token', () => {
    expect(tokenOf({ authorization: 'Bearer abc_-1' })).toBe('abc_-1');
    expect(tokenOf({ authorization: 'Basic abc' })).toBe('');
    expect(tokenOf({ authorization: 'Bearer a b' })).toBe('');
    expect(tokenOf({ cookie: 'x=1; hood_dashboard=tok; y=2' })).toBe('tok');
    expect(tokenOf({})).toBeNull();
    expect(sessionCookie('tok')).toBe('hood_dashboard=tok; HttpOnly; SameSite=Strict; Path=/');
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 200 }), (a, c) => {
        const r = tokenOf({ authorization: a, cookie: c });
        expect(r === null || typeof r === 'string').toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('failure limiter', () => {
  it('blocks a peer after max failures within the window, frees it after; the table stays bounded', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(50), fc.nat(30_000), fc.boolean()), { maxLength: 600 }), (steps) => {
        const clock = { t: 0 };
        const max = 5;
        const l = new FailureLimiter(max, 60_000, 16, () => clock.t);
        const model = new Map<string, number[]>();
        for (const [p, dt, fail] of steps) {
          clock.t += dt;
          const peer = '10.0.0.' + p;
          if (fail) {
            l.failed(peer);
            const xs = model.get(peer) || [];
            xs.push(clock.t);
            model.set(peer, xs);
          }
          expect((l as unknown as { peers: Map<string, unknown> }).peers.size).toBeLessThanOrEqual(16);
          // Never blocked with fewer than `max` failures in the last window (eviction may only forgive).
          const recent = (model.get(peer) || []).filter((t) => clock.t - t < 60_000).length;
          if (l.blocked(peer)) expect(recent).toBeGreaterThanOrEqual(max);
        }
      }),
      { numRuns: 300 },
    );
    const clock = { t: 0 };
    const l = new FailureLimiter(3, 1000, 8, () => clock.t);
    for (let i = 0; i < 3; i++) l.failed('p');
    expect(l.blocked('p')).toBe(true);
    expect(l.blocked('q')).toBe(false);
    clock.t = 1000;
    expect(l.blocked('p')).toBe(false);
  });
});

describe('reason labels', () => {
  it('fold any key onto the fixed set and keep the total', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom(...CELL_REJECT_REASONS)), fc.nat(1_000_000)), (m) => {
        const out = foldReasons(m, CELL_REJECT_REASONS);
        for (const k of Object.keys(out)) expect([...CELL_REJECT_REASONS, OTHER]).toContain(k);
        let a = 0;
        let b = 0;
        for (const k of Object.keys(m)) a += m[k];
        for (const k of Object.keys(out)) b += out[k];
        expect(b).toBe(a);
      }),
      { numRuns: 1000 },
    );
    expect(foldReasons({ service_5: 2, service_7: 1, bye: 1 }, ['bye', 'service'], ['service'])).toEqual({ bye: 1, service: 3, other: 0 });
    expect(foldReasons({ 'aa:bb:cc:dd:ee:ff': 1 }, BROKER_REJECT_REASONS).other).toBe(1);
  });
});

describe('HTTP with random credentials', () => {
  let g: Awaited<ReturnType<typeof startGateway>>;
  let d: RunningDashboard;
  beforeAll(async () => {
    g = await startGateway();
    d = await startDashboard({ src: { gw: g.gw }, dataDir: g.dataDir, host: '127.0.0.1', port: 0, log: silentLogger(), maxFailures: 1_000_000 });
  });
  afterAll(async () => {
    await d?.close();
    await g?.stop();
  });

  it('no random Authorization or Cookie header, path or method opens anything', async () => {
    const header = fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,80}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/', '/metrics', '/events', '/sessions', '/snapshot.json', '/app.js', '/x', '/login'),
        fc.constantFrom('GET', 'POST', 'HEAD', 'PUT'),
        fc.option(header, { nil: undefined }),
        fc.option(header, { nil: undefined }),
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        async (path, method, auth, cookie, body) => {
          const headers: Record<string, string> = {};
          if (auth !== undefined) headers.Authorization = auth;
          if (cookie !== undefined) headers.Cookie = cookie;
          const r = await get(d.url + path, { method, headers, body: method === 'POST' ? body : undefined });
          if (path === '/login' && (method === 'GET' || method === 'PUT' || method === 'HEAD')) expect([200, 405]).toContain(r.status);
          else expect(r.status, method + ' ' + path).toBe(401);
          expect(r.headers['content-security-policy']).toMatch(/default-src 'none'/);
          expect(r.headers['set-cookie']).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });
});
