/**
 * Cover pickup rounds (docs/exchange.md §6): the MSS runs whole pickup rounds with nothing behind them on a
 * Poisson clock, so an exchange server sees rounds whether or not anyone picks up. A cover round has the
 * shape of a real one (every server, every bucket, 8 pseudonyms each, then their release), takes nothing
 * that is stored, and stops with the backend.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
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
    const ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 3600, log: silentLogger() });
    const count: Record<string, number> = {};
    ex.server.on('request', (req) => (count[String(req.url).split('/')[1]] = (count[String(req.url).split('/')[1]] || 0) + 1));
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

    // The clock: a short mean gives several rounds, and none after close.
    b.startCover(0.02);
    await expect.poll(() => b.cover.rounds, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);
    b.close();
    await new Promise((r) => setTimeout(r, 200));
    const after = b.cover.rounds;
    await new Promise((r) => setTimeout(r, 300));
    expect(b.cover.rounds).toBeLessThanOrEqual(after + 1);
  }, 60_000);
});
