/**
 * Cover traffic at the exchange servers (docs/exchange.md §6): the MSS runs whole pickup rounds with nothing
 * behind them, and uploads cover entries into cover boxes, on Poisson clocks, so an exchange server sees
 * uploads and rounds whether or not a reply arrived or anyone picks up. A cover round has the shape of a
 * real one (every server, every bucket, 8 pseudonyms each, then their release), takes nothing of a real
 * box, collects cover boxes (so hits happen in cover rounds too), and everything stops with the backend.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createLogger, silentLogger } from '../../host/common/log';
import { ShareUploader } from '../../host/exchange/client';
import { ExchangeBackend } from '../../host/exchange/dropbox-backend';
import { startExchangeServer, type RunningExchange } from '../../host/exchange/server';
import { ShareStore } from '../../host/exchange/store';
import { BUCKETS } from '../../shared/src/exchange/shares';
import { testDir } from '../helpers/temp-dir';

const running: { store: ShareStore; ex: RunningExchange }[] = [];
afterAll(async () => {
  for (const r of running) {
    await r.ex.close();
    r.store.close();
  }
});

/** k exchange servers, each counting the requests it serves by path (what a server's operator sees). */
async function servers(k: number) {
  const dir = testDir('hood-cover-');
  const seen: Record<string, number>[] = [];
  const specs: string[] = [];
  for (let i = 0; i < k; i++) {
    const store = ShareStore.open(join(dir, 's' + i));
    const tokenFile = join(dir, 's' + i + '.token');
    writeFileSync(tokenFile, store.addMss('doug') + '\n', { mode: 0o600 });
    const count: Record<string, number> = {};
    // What the server's operator sees: its own log, one line per put, pickup and release.
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          const ev = String(JSON.parse(line).event || '').replace(/^exchange_/, '');
          count[ev] = (count[ev] || 0) + 1;
        }
        done();
      },
    });
    const ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 3600, log: createLogger({ level: 'info', destination }) });
    seen.push(count);
    running.push({ store, ex });
    specs.push(ex.url + '=' + tokenFile);
  }
  return { specs, seen, stores: running.slice(-k).map((r) => r.store) };
}

describe('cover pickup rounds', () => {
  it('have the shape of a real round, take nothing stored, and run on their clock until closed', async () => {
    const s = await servers(3);
    const { exchangeEndpointsFromSpecs } = await import('../../host/exchange/dropbox-backend');
    const b = new ExchangeBackend(new ShareUploader(exchangeEndpointsFromSpecs(s.specs)), silentLogger());
    // A real entry, split over the three servers.
    const boxKey = new Uint8Array(randomBytes(32));
    const entry = new Uint8Array(randomBytes(700));
    await new Promise<void>((done) => b.submit(boxKey, 0, entry, Date.now() + 3_600_000, done));
    const held = s.stores.map((x) => x.usage().entries);
    expect(held).toEqual([1, 1, 1]);

    const before = s.seen.map((c) => ({ ...c }));
    await b.coverRound();
    const cover = s.seen.map((c, i) => ({ pickup: (c.pickup || 0) - (before[i].pickup || 0), release: (c.release || 0) - (before[i].release || 0) }));
    // A real pickup of the box, for comparison: the same requests at every server.
    const mid = s.seen.map((c) => ({ ...c }));
    const got = await b.collect(boxKey);
    await got.release();
    const real = s.seen.map((c, i) => ({ pickup: (c.pickup || 0) - (mid[i].pickup || 0), release: (c.release || 0) - (mid[i].release || 0) }));
    expect(cover).toEqual(real);
    expect(cover[0]).toEqual({ pickup: BUCKETS.length, release: BUCKETS.length });
    // The cover round took nothing; the real one found the entry.
    expect(got.entries.map((e) => Buffer.from(e).toString('hex'))).toContain(Buffer.from(entry).toString('hex'));
    expect(b.cover).toMatchObject({ rounds: 1, failed: 0, requests: 3 * BUCKETS.length });
    expect(b.rounds.rounds).toBe(1);
    expect(s.stores.map((x) => x.usage().entries)).toEqual([0, 0, 0]);

    // Cover deposits: uploaded like a real entry (one share per server, the bucket of recent real entries) ...
    const puts = s.seen.map((c) => c.put || 0);
    for (let i = 0; i < 4; i++) await b.coverDeposit();
    expect(b.cover).toMatchObject({ deposits: 4, depositsFailed: 0 });
    expect(s.seen.map((c, i) => (c.put || 0) - puts[i])).toEqual([4, 4, 4]);
    for (const st of s.stores) expect(st.usage()).toEqual({ entries: 4, bytes: 4 * 1024 });
    // ... and cover rounds collect cover boxes: a round that hits stored shares is not thereby a real one.
    for (let i = 0; i < 60 && s.stores[0].usage().entries > 0; i++) await b.coverRound();
    expect(s.stores.map((x) => x.usage().entries)).toEqual([0, 0, 0]);
    expect(b.cover.boxesCollected).toBeGreaterThanOrEqual(1);
    expect(b.cover.failed).toBe(0);

    // The clocks: a short mean gives several rounds and deposits, and none after close.
    const rounds0 = b.cover.rounds;
    const deposits0 = b.cover.deposits;
    b.startCover(0.02);
    await expect.poll(() => b.cover.rounds - rounds0, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    await expect.poll(() => b.cover.deposits - deposits0, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const after = b.cover.rounds + b.cover.deposits;
    await new Promise((r) => setTimeout(r, 300));
    expect(b.cover.rounds + b.cover.deposits).toBeLessThanOrEqual(after + 2);
  }, 60_000);
});
