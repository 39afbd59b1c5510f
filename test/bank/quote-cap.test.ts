/**
 * Quotes are bounded (docs/bank.md). Creating a NUT-04 mint quote or a NUT-05 melt quote costs the
 * caller nothing, so the bank caps UNPAID quotes: anonymous mint quotes under one global cap, quotes
 * an account creates with its Bearer token under that account's own cap, melt quotes under a global
 * cap. Expired unpaid quotes are deleted on a timer and whenever a cap is reached; paid and issued
 * quotes are never deleted (they carry value, and audit() adds them up).
 */
import fc from 'fast-check';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import { randomBytes } from 'node:crypto';
import { toHex } from '../../shared/src/bytes';
import { pointHex, secretToY } from '../../host/cashu/bdhke';
import { ErrorCode } from '../../host/cashu/errors';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { Mint } from '../../host/bank/mint';
import { LEDGER_FILE, startBank } from '../../host/bank/service';
import { HttpBank } from '../../host/wallet/client';
import { cleanupTempDirs, rawPost, tempDir } from './helpers';

afterAll(() => cleanupTempDirs());

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const CAP = 40;
const PER_ACCOUNT = 3;
const TTL = 100;

describe('mint and melt quotes are bounded', () => {
  it('a flood of anonymous quotes stops at the cap with a clear error; the table stays bounded; account holders still get quotes', async () => {
    const clock = { t: 1_700_000_000 };
    const dir = tempDir('quotecap');
    const bank = await startBank({ dataDir: dir, port: 0, log: silentLogger(), maxUnpaidQuotes: CAP, maxUnpaidQuotesPerAccount: PER_ACCOUNT, quoteTtlSec: TTL, now: () => clock.t });
    try {
      const bob = (await bank.mint.createAccount('bob')).token;
      await bank.mint.creditAccount('bob', 100);
      const url = bank.url + '/v1/mint/quote/account';
      const refused: { status: number; json: any }[] = [];
      for (let i = 0; i < 3 * CAP; i++) {
        const r = await rawPost(url, JSON.stringify({ amount: 1, unit: 'sat' }));
        if (r.status !== 200) refused.push(r);
      }
      expect(refused).toHaveLength(2 * CAP);
      for (const r of refused) {
        expect(r.status).toBe(503);
        expect(r.json.code).toBe(ErrorCode.TOO_MANY_QUOTES);
        expect(r.json.detail).toMatch(/too many unpaid quotes/);
      }
      const db = new Database(join(dir, LEDGER_FILE), { readonly: true });
      const rows = () => (db.prepare('SELECT COUNT(*) n FROM mint_quotes').get() as { n: number }).n;
      expect(rows()).toBe(CAP);

      // Bob's own quotes (created with his token) have their own places, and he can pay them.
      const http = new HttpBank(bank.url);
      const auth = { authorization: 'Bearer ' + bob };
      const mine: string[] = [];
      for (let i = 0; i < PER_ACCOUNT; i++) {
        const r = await rawPost(url, JSON.stringify({ amount: 2, unit: 'sat' }), auth);
        expect(r.status).toBe(200);
        mine.push(r.json.quote);
      }
      const over = await rawPost(url, JSON.stringify({ amount: 2, unit: 'sat' }), auth);
      expect([over.status, over.json.code]).toEqual([503, ErrorCode.TOO_MANY_QUOTES]);
      expect((await http.payMintQuote(mine[0], bob)).state).toBe('PAID');
      // Paid: no longer counts against his cap.
      expect((await rawPost(url, JSON.stringify({ amount: 2, unit: 'sat' }), auth)).status).toBe(200);
      // A header that does not authenticate is refused, and adds nothing.
      const before = rows();
      for (const h of ['Bearer nope', 'Basic Ym9iOmJvYg==', 'Bearer ' + bob.slice(0, -1) + (bob.endsWith('A') ? 'B' : 'A'), '']) {
        const r = await rawPost(url, JSON.stringify({ amount: 1, unit: 'sat' }), { authorization: h });
        expect([r.status, r.json.code]).toEqual([401, ErrorCode.UNAUTHORIZED]);
      }
      expect(rows()).toBe(before);
      expect(rows()).toBeLessThanOrEqual(CAP + PER_ACCOUNT + 1);

      // Once the flood expires, its places are free again (purged on demand) and the table is back to size.
      clock.t += TTL;
      for (let i = 0; i < 5; i++) expect((await rawPost(url, JSON.stringify({ amount: 1, unit: 'sat' }))).status).toBe(200);
      expect(await bank.mint.store.countUnpaidQuotes()).toEqual({ mint: 5 + PER_ACCOUNT, melt: 0 });
      // The periodic purge deletes the rest once they expire; the paid quote stays.
      clock.t += TTL;
      expect(await bank.mint.purgeExpiredQuotes()).toEqual({ mint: 5 + PER_ACCOUNT, melt: 0 });
      expect(rows()).toBe(1);
      expect((await http.getMintQuote(mine[0])).state).toBe('PAID');
      expect((await bank.mint.audit()).ok).toBe(true);
      db.close();
    } finally {
      await bank.close();
    }
  });

  it('melt quotes: a flood stops at the cap with the same error', async () => {
    const clock = { t: 1_700_000_000 };
    const bank = await startBank({ dataDir: tempDir('meltcap'), port: 0, log: silentLogger(), maxUnpaidQuotes: CAP, quoteTtlSec: TTL, now: () => clock.t });
    try {
      await bank.mint.createAccount('doug');
      const url = bank.url + '/v1/melt/quote/account';
      let ok = 0;
      for (let i = 0; i < CAP + 10; i++) {
        const r = await rawPost(url, JSON.stringify({ request: 'doug', amount: 8, unit: 'sat' }));
        if (r.status === 200) ok++;
        else expect([r.status, r.json.code]).toEqual([503, ErrorCode.TOO_MANY_QUOTES]);
      }
      expect(ok).toBe(CAP);
      expect((await bank.mint.store.countUnpaidQuotes()).melt).toBe(CAP);
      clock.t += TTL + 1;
      expect((await rawPost(url, JSON.stringify({ request: 'doug', amount: 8, unit: 'sat' }))).status).toBe(200);
      expect((await bank.mint.store.countUnpaidQuotes()).melt).toBe(1);
    } finally {
      await bank.close();
    }
  });

  it('the serving bank purges expired unpaid quotes on its timer', async () => {
    const bank = await startBank({ dataDir: tempDir('purge'), port: 0, log: silentLogger(), quoteTtlSec: 1, purgeEverySec: 1 });
    try {
      for (let i = 0; i < 10; i++) await bank.mint.createMintQuote({ amount: 1, unit: 'sat' });
      expect((await bank.mint.store.countUnpaidQuotes()).mint).toBe(10);
      const t0 = Date.now();
      while ((await bank.mint.store.countUnpaidQuotes()).mint > 0 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
      expect((await bank.mint.store.countUnpaidQuotes()).mint).toBe(0);
    } finally {
      await bank.close();
    }
  });

  it('random interleavings of anonymous and account quotes, payments, issues and time: the caps always hold, nothing of value is purged, audit stays ok', async () => {
    type Act = { k: 'anon' } | { k: 'acct'; who: number } | { k: 'pay'; pick: number; who: number } | { k: 'issue'; pick: number } | { k: 'tick'; s: number } | { k: 'purge' } | { k: 'melt' };
    const act: fc.Arbitrary<Act> = fc.oneof(
      { weight: 4, arbitrary: fc.constant({ k: 'anon' as const }) },
      { weight: 3, arbitrary: fc.record({ k: fc.constant('acct' as const), who: fc.nat(2) }) },
      { weight: 2, arbitrary: fc.record({ k: fc.constant('pay' as const), pick: fc.nat(1000), who: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('issue' as const), pick: fc.nat(1000) }) },
      { weight: 1, arbitrary: fc.record({ k: fc.constant('tick' as const), s: fc.integer({ min: 1, max: 2 * TTL }) }) },
      { weight: 1, arbitrary: fc.constant({ k: 'purge' as const }) },
      { weight: 1, arbitrary: fc.constant({ k: 'melt' as const }) },
    );
    const cap = 6;
    const per = 2;
    await fc.assert(
      fc.asyncProperty(fc.array(act, { minLength: 1, maxLength: 80 }), async (acts) => {
        const clock = { t: 1_700_000_000 };
        const store = new SqliteLedgerStore(':memory:');
        const mint = await Mint.open({ store, seed: new Uint8Array(32).fill(7), maxUnpaidQuotes: cap, maxUnpaidQuotesPerAccount: per, quoteTtlSec: TTL, now: () => clock.t });
        try {
          const tokens: string[] = [];
          for (const n of ['a0', 'a1', 'a2']) {
            tokens.push((await mint.createAccount(n)).token);
            await mint.creditAccount(n, 1000);
          }
          await mint.createAccount('dest');
          const quotes: string[] = [];
          const valuable = new Set<string>();
          for (const a of acts) {
            try {
              if (a.k === 'anon') quotes.push(((await mint.createMintQuote({ amount: 1, unit: 'sat' })) as { quote: string }).quote);
              else if (a.k === 'acct') quotes.push(((await mint.createMintQuote({ amount: 1, unit: 'sat' }, 'Bearer ' + tokens[a.who])) as { quote: string }).quote);
              else if (a.k === 'pay' && quotes.length) {
                const id = quotes[a.pick % quotes.length];
                await mint.payMintQuote(id, 'Bearer ' + tokens[a.who]);
                valuable.add(id);
              } else if (a.k === 'issue' && valuable.size) {
                const id = [...valuable][a.pick % valuable.size];
                const B_ = pointHex(secretToY(toHex(rnd(32))));
                await mint.mint({ quote: id, outputs: [{ amount: 1, id: mint.activeKeysetId(), B_ }] });
              } else if (a.k === 'tick') clock.t += a.s;
              else if (a.k === 'purge') await mint.purgeExpiredQuotes();
              else if (a.k === 'melt') await mint.createMeltQuote({ request: 'dest', amount: 1, unit: 'sat' });
            } catch (e) {
              const code = (e as { code?: number }).code;
              // The only refusals these requests can meet: a full cap, an expired or unknown quote.
              expect([ErrorCode.TOO_MANY_QUOTES, ErrorCode.QUOTE_EXPIRED, ErrorCode.UNKNOWN_QUOTE, ErrorCode.QUOTE_ALREADY_ISSUED]).toContain(code);
            }
            const db = store.db;
            const n = (sql: string, ...args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;
            expect(n("SELECT COUNT(*) n FROM mint_quotes WHERE state = 'UNPAID' AND payer IS NULL")).toBeLessThanOrEqual(cap);
            for (const t of tokens) {
              const id = t.split('_')[1];
              expect(n("SELECT COUNT(*) n FROM mint_quotes WHERE state = 'UNPAID' AND payer = ?", id)).toBeLessThanOrEqual(per);
            }
            expect(n("SELECT COUNT(*) n FROM melt_quotes WHERE state = 'UNPAID'")).toBeLessThanOrEqual(cap);
            for (const id of valuable) expect(await store.getMintQuote(id)).not.toBeNull();
          }
          const audit = await mint.audit();
          expect(audit.problems).toEqual([]);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 30 },
    );
  });
});
