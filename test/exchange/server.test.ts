/**
 * host/exchange: the share store on a real SQLite file and the HTTP service in front of it. Puts and
 * sealed pickups (hits and misses answer the same shape), every refusal with its status and reason,
 * replays, random and bit-flipped requests that never crash it or get through, expiry, the bounds, and
 * token handling (hash only, constant-time).
 */
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import { ExchangeClient } from '../../host/exchange/client';
import { ExchangeError } from '../../host/exchange/errors';
import { startExchangeServer, type RunningExchange } from '../../host/exchange/server';
import { newSealingKey, OP_PICKUP, OP_RELEASE, SEALED_REQUEST_BYTES, sealRequest, type SealedOp } from '../../host/exchange/sealed';
import { ShareStore, STORE_FILE } from '../../host/exchange/store';
import { MAX_SLOTS } from '../../shared/src/exchange/pseudonym';
import { testDir } from '../helpers/temp-dir';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const rand = (n: number) => new Uint8Array(randomBytes(n));

interface Raw {
  status: number;
  body: Buffer;
}

/** A raw HTTP request, so malformed ones can be sent as they are. */
function raw(url: string, method: string, path: string, headers: Record<string, string | number>, body?: Uint8Array): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const h = body ? { ...headers, 'content-length': body.length } : headers;
    const req = request({ host: u.hostname, port: u.port, method, path, headers: h }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode || 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body ? Buffer.from(body) : undefined);
  });
}

let clock = Date.now();
let serverKey: Uint8Array;
/** A sealed request to the server under test, at its clock. */
const sealed = (op: SealedOp, bucket: number, ps: Uint8Array[]) => sealRequest(serverKey, op, bucket, ps, clock).bytes;

const json = (r: Raw) => JSON.parse(r.body.toString('utf8')) as { error?: string; message?: string; result?: string };

describe('exchange server', () => {
  let dir: string;
  let store: ShareStore;
  let ex: RunningExchange;
  let token: string;
  let client: ExchangeClient;

  beforeAll(async () => {
    dir = testDir('hood-exchange-');
    store = ShareStore.open(dir, { maxEntries: 30, maxBytes: 40 * 1024 });
    token = store.addMss('doug');
    ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 60, log: silentLogger(), now: () => clock });
    client = new ExchangeClient({ url: ex.url, token });
    serverKey = store.sealingKey.publicKey;
  });
  afterAll(async () => {
    await ex.close();
    store.close();
  });
  afterEach(() => {
    store.sweep(Number.MAX_SAFE_INTEGER);
    clock = Date.now();
  });

  it('stores a share durably (WAL, synchronous FULL, 0600) and keeps only the token hash', () => {
    const db = new Database(join(dir, STORE_FILE), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const hashes = db.prepare('SELECT token_hash FROM msses').pluck().all() as Buffer[];
      expect(hashes).toHaveLength(1);
      expect(hashes[0].toString('hex')).not.toContain(Buffer.from(token).toString('hex'));
    } finally {
      db.close();
    }
    // synchronous is per connection: the store's own.
    expect((store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true })).toBe(2);
    expect(statSync(join(dir, STORE_FILE)).mode & 0o777).toBe(0o600);
  });

  it('GET /info names the server and its buckets, no secret', async () => {
    const i = await client.info();
    expect(i).toEqual({ id: store.serverId, publicKey: hex(store.sealingKey.publicKey), buckets: [1024, 4096, 16384], slots: MAX_SLOTS, retentionSec: 60 });
    expect(i.id).toMatch(/^x[0-9a-f]{16}$/);
  });

  it('put, pickup, release: hits and misses answer MAX_SLOTS equal records; a share stays until released', async () => {
    const ps = Array.from({ length: MAX_SLOTS }, () => rand(32));
    const shares = [rand(1024), rand(1024), rand(4096)];
    expect(await client.put(ps[1], shares[0])).toBe('stored');
    expect(await client.put(ps[5], shares[1])).toBe('stored');
    expect(await client.put(ps[6], shares[2])).toBe('stored');
    // The same share again is idempotent (a retried upload); a different one is refused.
    expect(await client.put(ps[1], shares[0])).toBe('unchanged');
    await expect(client.put(ps[1], rand(1024))).rejects.toMatchObject({ reason: 'conflict' });

    const got = await client.pickup(1024, ps);
    expect(got).toHaveLength(MAX_SLOTS);
    for (const r of got) expect(r).toHaveLength(1024);
    expect(hex(got[1])).toBe(hex(shares[0]));
    expect(hex(got[5])).toBe(hex(shares[1]));
    // Misses are random bytes, not zeros, and not each other.
    const misses = got.filter((_, i) => i !== 1 && i !== 5).map(hex);
    expect(new Set(misses).size).toBe(misses.length);
    for (const m of misses) expect(m).not.toBe('00'.repeat(1024));
    // The 4096-byte share is not in the 1024 bucket's answer.
    expect(hex(got[6])).not.toBe(hex(shares[2].subarray(0, 1024)));
    // A pickup deletes nothing (a round is released only when every server answered) ...
    const again = await client.pickup(1024, ps);
    expect(hex(again[1])).toBe(hex(shares[0]));
    expect(store.usage().entries).toBe(3);
    // ... a release of the 1024 bucket deletes those two, and leaves the 4096-byte share.
    await client.release(1024, ps);
    expect(store.usage().entries).toBe(1);
    const after = await client.pickup(1024, ps);
    expect(hex(after[1])).not.toBe(hex(shares[0]));
    expect(hex(after[5])).not.toBe(hex(shares[1]));
    const big = await client.pickup(4096, ps);
    expect(big.every((r) => r.length === 4096)).toBe(true);
    expect(hex(big[6])).toBe(hex(shares[2]));
    await client.release(4096, ps);
    // Releasing again (misses only) is answered the same way.
    await client.release(4096, ps);
    expect(store.usage().entries).toBe(0);
  });

  it('an all-miss pickup and an all-hit pickup have the same status, length and headers; so do their releases', async () => {
    const ps = Array.from({ length: MAX_SLOTS }, () => rand(32));
    for (const p of ps) await client.put(p, rand(1024));
    const auth = { authorization: 'Bearer ' + token, 'content-type': 'application/octet-stream' };
    const send = (op: SealedOp) => raw(ex.url, 'POST', '/sealed', auth, sealed(op, 1024, ps));
    const hit = await send(OP_PICKUP);
    const released = await send(OP_RELEASE);
    const miss = await send(OP_PICKUP);
    const releasedMiss = await send(OP_RELEASE);
    expect([hit.status, hit.body.length]).toEqual([200, MAX_SLOTS * 1024 + 16]);
    expect([miss.status, miss.body.length]).toEqual([hit.status, hit.body.length]);
    expect([released.status, released.body.length]).toEqual([200, 16]);
    expect([releasedMiss.status, releasedMiss.body.length]).toEqual([released.status, released.body.length]);
    expect(store.usage().entries).toBe(0);
  });

  it('a sealed request opens only under this server key, only once, and only near its timestamp', async () => {
    const auth = { authorization: 'Bearer ' + token, 'content-type': 'application/octet-stream' };
    const ps = Array.from({ length: MAX_SLOTS }, () => rand(32));
    const once = sealed(OP_PICKUP, 1024, ps);
    expect((await raw(ex.url, 'POST', '/sealed', auth, once)).status).toBe(200);
    const again = await raw(ex.url, 'POST', '/sealed', auth, once);
    expect([again.status, json(again).error]).toEqual([409, 'replay']);
    const other = sealRequest(newSealingKey().key.publicKey, OP_PICKUP, 1024, ps, clock).bytes;
    const wrongKey = await raw(ex.url, 'POST', '/sealed', auth, other);
    expect([wrongKey.status, json(wrongKey).error]).toEqual([400, 'malformed']);
    for (const skew of [-121_000, 121_000]) {
      const r = await raw(ex.url, 'POST', '/sealed', auth, sealRequest(store.sealingKey.publicKey, OP_PICKUP, 1024, ps, clock + skew).bytes);
      expect([skew, r.status, json(r).error]).toEqual([skew, 400, 'stale']);
    }
    const near = await raw(ex.url, 'POST', '/sealed', auth, sealRequest(store.sealingKey.publicKey, OP_PICKUP, 1024, ps, clock - 119_000).bytes);
    expect(near.status).toBe(200);
  });

  it('long random bit flips of sealed requests are never accepted, and flipped answers never open', async () => {
    const auth = { authorization: 'Bearer ' + token, 'content-type': 'application/octet-stream' };
    const p = rand(32);
    const share = rand(1024);
    await client.put(p, share);
    const ps = [p, ...Array.from({ length: MAX_SLOTS - 1 }, () => rand(32))];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat(SEALED_REQUEST_BYTES * 8 - 1), { minLength: 1, maxLength: 8 }), fc.boolean(), async (bits, release) => {
        const req = sealRequest(store.sealingKey.publicKey, release ? OP_RELEASE : OP_PICKUP, 1024, ps, clock);
        const bad = req.bytes.slice();
        for (const b of bits) bad[b >> 3] ^= 1 << (b & 7);
        fc.pre(Buffer.compare(Buffer.from(bad), Buffer.from(req.bytes)) !== 0);
        const r = await raw(ex.url, 'POST', '/sealed', auth, bad);
        expect(r.status).toBe(400);
        // The true request still goes through, and an answer altered anywhere does not open.
        const ok = await raw(ex.url, 'POST', '/sealed', auth, req.bytes);
        expect(ok.status).toBe(200);
        const flipped = new Uint8Array(ok.body);
        flipped[bits[0] % flipped.length] ^= 1;
        expect(req.openAnswer(flipped)).toBeNull();
      }),
      { numRuns: 200 },
    );
    // Nothing was released by a flipped release, and a true pickup still finds the share ... unless a
    // true release ran: put it back for the check.
    await client.put(p, share);
    const got = await client.pickup(1024, ps);
    expect(hex(got[0])).toBe(hex(share));
  });

  it('the replay window is bounded: when full of live requests it answers busy, never grows', async () => {
    const sdir = testDir('hood-exchange-window-');
    const st = ShareStore.open(sdir);
    const t = st.addMss('doug');
    const small = await startExchangeServer({ store: st, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 60, log: silentLogger(), maxReplayWindow: 3 });
    try {
      const auth = { authorization: 'Bearer ' + t, 'content-type': 'application/octet-stream' };
      const ps = Array.from({ length: MAX_SLOTS }, () => rand(32));
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await raw(small.url, 'POST', '/sealed', auth, sealRequest(st.sealingKey.publicKey, OP_PICKUP, 1024, ps, Date.now()).bytes)).status);
      expect(statuses).toEqual([200, 200, 200, 503, 503]);
    } finally {
      await small.close();
      st.close();
    }
  });

  it('refuses unauthenticated, bad-token, oversized and malformed requests with clear errors', async () => {
    const p = hex(rand(32));
    const share = rand(1024);
    const bin = { 'content-type': 'application/octet-stream' };
    const cases: [string, Promise<Raw>, number, string][] = [
      ['no token', raw(ex.url, 'PUT', '/share/' + p, bin, share), 401, 'unauthenticated'],
      ['basic auth', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Basic ' + token }, share), 401, 'bad_token'],
      ['unknown token', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Bearer ' + token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A') }, share), 401, 'bad_token'],
      ['token with a bad character', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Bearer ' + token + '!' }, share), 401, 'bad_token'],
      ['sealed without token', raw(ex.url, 'POST', '/sealed', bin, new Uint8Array(SEALED_REQUEST_BYTES)), 401, 'unauthenticated'],
      ['oversized share', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Bearer ' + token }, rand(16385)), 413, 'too_large'],
      ['non-bucket share', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Bearer ' + token }, rand(1000)), 400, 'malformed'],
      ['empty share', raw(ex.url, 'PUT', '/share/' + p, { ...bin, authorization: 'Bearer ' + token }), 400, 'malformed'],
      ['short pseudonym', raw(ex.url, 'PUT', '/share/' + p.slice(2), { ...bin, authorization: 'Bearer ' + token }, share), 404, 'not_found'],
      ['upper-case pseudonym', raw(ex.url, 'PUT', '/share/' + p.toUpperCase(), { ...bin, authorization: 'Bearer ' + token }, share), 404, 'not_found'],
      ['GET a share', raw(ex.url, 'GET', '/share/' + p, { authorization: 'Bearer ' + token }), 400, 'malformed'],
      ['sealed too short', raw(ex.url, 'POST', '/sealed', { ...bin, authorization: 'Bearer ' + token }, new Uint8Array(SEALED_REQUEST_BYTES - 1)), 400, 'malformed'],
      ['sealed too long', raw(ex.url, 'POST', '/sealed', { ...bin, authorization: 'Bearer ' + token }, new Uint8Array(SEALED_REQUEST_BYTES + 1)), 413, 'too_large'],
      ['sealed to a low-order key (all zeros)', raw(ex.url, 'POST', '/sealed', { ...bin, authorization: 'Bearer ' + token }, new Uint8Array(SEALED_REQUEST_BYTES)), 400, 'malformed'],
      ['sealed random bytes', raw(ex.url, 'POST', '/sealed', { ...bin, authorization: 'Bearer ' + token }, rand(SEALED_REQUEST_BYTES)), 400, 'malformed'],
      ['GET /sealed', raw(ex.url, 'GET', '/sealed', { authorization: 'Bearer ' + token }), 400, 'malformed'],
      ['unknown path', raw(ex.url, 'GET', '/admin', {}), 404, 'not_found'],
    ];
    for (const [what, pending, status, reason] of cases) {
      const r = await pending;
      expect([what, r.status, json(r).error]).toEqual([what, status, reason]);
      expect(json(r).message, what).toBeTruthy();
    }
    expect(store.usage().entries).toBe(0);
  });

  it('random requests never crash it: every answer is a status with a JSON error or a valid result', async () => {
    const paths = fc.oneof(
      fc.constant('/sealed'),
      fc.constant('/pickup'),
      fc.constant('/info'),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => '/share/' + hex(b)),
      fc.string({ maxLength: 80 }).map((s) => '/' + encodeURIComponent(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'PUT', 'POST', 'DELETE'),
        paths,
        fc.oneof(fc.constant(undefined), fc.constant('Bearer ' + token), fc.string({ maxLength: 200 })),
        fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.constantFrom(1024, 4096, SEALED_REQUEST_BYTES).map((n) => rand(n))),
        async (method, path, authz, body) => {
          const h: Record<string, string> = { 'content-type': 'application/octet-stream' };
          if (authz !== undefined && /^[\x20-\x7e]*$/.test(authz)) h.authorization = authz;
          const r = await raw(ex.url, method, path, h, method === 'GET' ? undefined : body);
          expect(r.status).toBeGreaterThanOrEqual(200);
          expect(r.status).toBeLessThan(500);
          if (r.status >= 400) expect(typeof json(r).error).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
    // Still serving.
    expect((await client.info()).id).toBe(store.serverId);
  });

  it('random bytes on the socket (no HTTP at all) never crash it', async () => {
    const u = new URL(ex.url);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 2000 }), async (junk) => {
        await new Promise<void>((resolve) => {
          const s = connect(Number(u.port), u.hostname, () => s.end(Buffer.from(junk)));
          s.on('data', () => undefined);
          s.on('error', () => resolve());
          s.on('close', () => resolve());
          s.setTimeout(3000, () => s.destroy());
        });
      }),
      { numRuns: 100 },
    );
    expect((await client.info()).id).toBe(store.serverId);
  });

  it('expired shares are not handed out and the sweep drops them', async () => {
    const p = rand(32);
    const s = rand(1024);
    await client.put(p, s);
    clock += 61_000;
    const got = await client.pickup(1024, [p, ...Array.from({ length: MAX_SLOTS - 1 }, () => rand(32))]);
    expect(hex(got[0])).not.toBe(hex(s));
    expect(store.usage().entries).toBe(1);
    expect(store.sweep(clock)).toBe(1);
    expect(store.usage().entries).toBe(0);
    // An expired entry under a pseudonym does not block a new put there.
    await client.put(p, s);
    clock += 61_000;
    expect(await client.put(p, rand(1024))).toBe('stored');
  });

  it('bounded: entries and bytes, with a clear error (507)', async () => {
    // maxBytes 40 KiB: two 16 KiB shares fit, the third does not.
    await client.put(rand(32), rand(16384));
    await client.put(rand(32), rand(16384));
    await expect(client.put(rand(32), rand(16384))).rejects.toThrow(/store_full.*maximum of 40960 bytes/);
    store.sweep(Number.MAX_SAFE_INTEGER);
    for (let i = 0; i < 30; i++) await client.put(rand(32), rand(1024));
    const e = await client.put(rand(32), rand(1024)).catch((x: ExchangeError) => x);
    expect(e).toBeInstanceOf(ExchangeError);
    expect((e as ExchangeError).reason).toBe('store_full');
    expect((e as ExchangeError).message).toMatch(/maximum of 30 shares/);
  });

  it('tokens: one per MSS, a second add-mss for the same id is refused, ids are checked', () => {
    expect(() => store.addMss('doug')).toThrow(/already has a token/);
    expect(() => store.addMss('Bad Id')).toThrow(/MSS id/);
    const t2 = store.addMss('erin');
    expect(store.authenticate(t2)).toBe('erin');
    expect(store.authenticate(token)).toBe('doug');
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (t) => {
        fc.pre(t !== token && t !== t2);
        expect(store.authenticate(t)).toBeNull();
      }),
      { numRuns: 500 },
    );
  });

  it('long random sequences of put / pickup / release / clock / sweep agree with a model: a share goes only to its pseudonym, before expiry, until released', () => {
    const sdir = testDir('hood-exchange-model-');
    const st = ShareStore.open(sdir, { maxEntries: 20, maxBytes: 20 * 4096 });
    try {
      const pool = Array.from({ length: 12 }, () => rand(32));
      const op = fc.oneof(
        fc.record({ t: fc.constant('put' as const), p: fc.nat(11), big: fc.boolean(), b: fc.nat(255) }),
        fc.record({ t: fc.constant('take' as const), ps: fc.array(fc.nat(11), { minLength: MAX_SLOTS, maxLength: MAX_SLOTS }), big: fc.boolean() }),
        fc.record({ t: fc.constant('release' as const), ps: fc.array(fc.nat(11), { minLength: MAX_SLOTS, maxLength: MAX_SLOTS }), big: fc.boolean() }),
        fc.record({ t: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
        fc.record({ t: fc.constant('sweep' as const) }),
      );
      fc.assert(
        fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
          st.sweep(Number.MAX_SAFE_INTEGER);
          let now = 1_000_000;
          const model = new Map<number, { share: Uint8Array; exp: number }>();
          const live = () => [...model.entries()].filter(([, v]) => v.exp > now);
          for (const o of ops) {
            if (o.t === 'put') {
              const share = new Uint8Array(o.big ? 4096 : 1024).fill(o.b);
              const old = model.get(o.p);
              const liveOld = old && old.exp > now ? old : undefined;
              let got: string;
              try {
                got = st.put(pool[o.p], share, now + 60_000, now);
              } catch (e) {
                got = (e as ExchangeError).reason;
              }
              if (liveOld) {
                expect(got).toBe(hex(liveOld.share) === hex(share) ? 'unchanged' : 'conflict');
              } else {
                // Bounds count every stored row, live or not yet swept.
                const rows = [...model.entries()].filter(([k]) => k !== o.p);
                const bytes = rows.reduce((n, [, v]) => n + v.share.length, 0);
                const full = rows.length + 1 > 20 || bytes + share.length > 20 * 4096;
                expect(got).toBe(full ? 'store_full' : 'stored');
                // A refused put rolls back entirely (an expired row under this pseudonym stays until swept).
                if (!full) model.set(o.p, { share, exp: now + 60_000 });
              }
            } else if (o.t === 'take') {
              const size = o.big ? 4096 : 1024;
              const out = st.take(o.ps.map((i) => pool[i]), size, now);
              o.ps.forEach((i, j) => {
                const m = model.get(i);
                if (m && m.exp > now && m.share.length === size) expect(hex(out[j]!)).toBe(hex(m.share));
                else expect(out[j]).toBeNull();
              });
            } else if (o.t === 'release') {
              const size = o.big ? 4096 : 1024;
              st.release(o.ps.map((i) => pool[i]), size);
              // Released: gone whether live or expired; a share of the other size stays.
              for (const i of o.ps) if (model.get(i)?.share.length === size) model.delete(i);
            } else if (o.t === 'tick') now += o.ms;
            else {
              st.sweep(now);
              for (const [k, v] of [...model.entries()]) if (v.exp <= now) model.delete(k);
            }
            expect(live().length).toBeLessThanOrEqual(st.usage().entries);
          }
        }),
        { numRuns: 300 },
      );
    } finally {
      st.close();
    }
  });
});
