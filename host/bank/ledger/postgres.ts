/**
 * LedgerStore on PostgreSQL (node-postgres), for several bank processes sharing one database.
 * Same semantics as SqliteLedgerStore: every mutation is one transaction that commits all of its
 * rows or none, the answer is only returned after COMMIT, and the UNIQUE keys on spent.y and
 * promises.b_ are the last line of defence against double spending across processes.
 *
 * Isolation: READ COMMITTED plus one explicit row lock. Every mutating transaction first takes
 * `SELECT … FROM totals WHERE id = 1 FOR UPDATE`; every one of them updates that row anyway (the
 * running totals) or depends on rows a concurrent one may write (quote caps, quote states), so
 * writers are serialized in lock order, exactly like SQLite's single writer (BEGIN IMMEDIATE). Under
 * READ COMMITTED each statement after the lock sees every transaction committed before it, so a
 * replayed swap finds the first one's rows and a quote cap cannot be overshot. SERIALIZABLE would
 * give the same outcomes, but with the hot totals row nearly every concurrent pair would abort
 * with a serialization failure and be retried; the lock makes them wait instead. Serialization
 * failures and deadlocks (SQLSTATE 40001, 40P01: possible if the server's default isolation is
 * raised) are still retried, a bounded number of times.
 */
import pg from 'pg';
import { PG_SCHEMA, PG_SCHEMA_VERSION } from './postgres-schema';
import {
  StoreError,
  type AccountRow,
  type AuditReport,
  type IssuedOutput,
  type KeysetRow,
  type LedgerStore,
  type MeltQuoteRow,
  type MintQuoteRow,
  type OpResult,
  type SpentInput,
} from './store';
import { accountFromRow, meltQuoteFromRow, mintQuoteFromRow, outputFromRow, sum } from './rows';

type Row = Record<string, any>;
type Client = pg.PoolClient;

/** Attempts of one transaction that keeps failing with a serialization failure or deadlock. */
export const MAX_TX_ATTEMPTS = 8;

/** Key of the advisory lock that serializes schema creation by processes starting together. */
const SCHEMA_LOCK = 0x686f6f64; // "hood"

/** int8 (COUNT, BIGINT columns) and numeric (SUM of BIGINT) as JS numbers; amounts stay far below 2^53. */
function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) throw new Error('ledger value out of range');
  return n;
}
const TYPES = {
  getTypeParser(oid: number, format?: any) {
    if (oid === 20 || oid === 1700) return toSafeNumber;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function isUniqueViolation(e: unknown): boolean {
  return (e as { code?: string }).code === '23505';
}

function isRetryable(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === '40001' || code === '40P01';
}


export interface PgLedgerOptions {
  /** Connections kept open (default 4). */
  poolSize?: number;
}

export class PgLedgerStore implements LedgerStore {
  readonly pool: pg.Pool;
  /** Transactions retried after a serialization failure or deadlock (for tests and metrics). */
  retries = 0;

  private constructor(pool: pg.Pool) {
    this.pool = pool;
  }

  /**
   * Connect and create the schema if missing. `url` is a libpq-style `postgres://` URL; a password
   * may come from it or from PGPASSWORD. Errors never carry the URL (it may hold the password).
   */
  static async open(url: string, opts: PgLedgerOptions = {}): Promise<PgLedgerStore> {
    const pool = new pg.Pool({ connectionString: url, max: opts.poolSize ?? 4, types: TYPES });
    // An idle connection that breaks (server restart) is reported here and dropped by the pool; the
    // next transaction opens a new one. Without a listener the error would end the process.
    pool.on('error', () => undefined);
    const store = new PgLedgerStore(pool);
    try {
      await store.migrate();
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw e;
    }
    return store;
  }

  private async migrate(): Promise<void> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      // CREATE TABLE IF NOT EXISTS is not safe against a concurrent twin: two banks starting on one
      // empty database take turns here.
      await c.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK]);
      await c.query(PG_SCHEMA);
      const v = await c.query('SELECT value FROM meta WHERE key = $1', ['schema_version']);
      if (v.rowCount === 0) await c.query('INSERT INTO meta (key, value) VALUES ($1, $2)', ['schema_version', String(PG_SCHEMA_VERSION)]);
      else if (Number(v.rows[0].value) !== PG_SCHEMA_VERSION) throw new Error('ledger schema version ' + v.rows[0].value + ' not supported');
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  /**
   * Run fn in one transaction holding the ledger's writer lock (the totals row); resolves only after
   * COMMIT has returned. A StoreError or any other error rolls everything back.
   */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const c = await this.pool.connect();
      let broken = false;
      try {
        await c.query('BEGIN');
        await c.query('SELECT id FROM totals WHERE id = 1 FOR UPDATE');
        const v = await fn(c);
        await c.query('COMMIT');
        return v;
      } catch (e) {
        try {
          await c.query('ROLLBACK');
        } catch {
          broken = true; // connection lost: do not hand it back to the pool
        }
        if (isRetryable(e) && attempt < MAX_TX_ATTEMPTS) {
          this.retries++;
          await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 5 * attempt)));
          continue;
        }
        throw e;
      } finally {
        c.release(broken);
      }
    }
  }

  private async one(sql: string, args: unknown[] = []): Promise<Row | null> {
    const r = await this.pool.query(sql, args);
    return r.rows[0] ?? null;
  }

  async listKeysets(): Promise<KeysetRow[]> {
    const r = await this.pool.query('SELECT * FROM keysets ORDER BY unit, idx');
    return r.rows.map((x: Row) => ({ id: x.id, unit: x.unit, index: x.idx, active: x.active === 1, inputFeePpk: x.input_fee_ppk }));
  }

  async addKeyset(row: KeysetRow, makeOnlyActive: boolean): Promise<void> {
    await this.tx(async (c) => {
      if (makeOnlyActive) await c.query('UPDATE keysets SET active = 0 WHERE unit = $1', [row.unit]);
      // A second bank starting on the same seed adds the same keyset: the first one's row stands.
      await c.query('INSERT INTO keysets (id, unit, idx, active, input_fee_ppk) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING', [
        row.id,
        row.unit,
        row.index,
        row.active ? 1 : 0,
        row.inputFeePpk,
      ]);
    });
  }

  async createAccount(id: string, name: string, tokenHash: string, now: number): Promise<AccountRow> {
    try {
      await this.pool.query('INSERT INTO accounts (id, name, token_hash, balance, created_at) VALUES ($1, $2, $3, 0, $4)', [id, name, tokenHash, now]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('account_exists', 'account name already taken');
      throw e;
    }
    return { id, name, tokenHash, balance: 0, createdAt: now };
  }

  async getAccount(id: string): Promise<AccountRow | null> {
    const r = await this.one('SELECT * FROM accounts WHERE id = $1', [id]);
    return r ? accountFromRow(r) : null;
  }

  async getAccountByName(name: string): Promise<AccountRow | null> {
    const r = await this.one('SELECT * FROM accounts WHERE name = $1', [name]);
    return r ? accountFromRow(r) : null;
  }

  async creditAccount(id: string, amount: number, ref: string, now: number): Promise<number> {
    return this.tx(async (c) => {
      const r = await c.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2 RETURNING balance', [amount, id]);
      if (r.rowCount !== 1) throw new StoreError('account_unknown');
      await c.query("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES ($1, $2, 'deposit', $3, $4)", [id, amount, ref, now]);
      await c.query('UPDATE totals SET deposits = deposits + $1 WHERE id = 1', [amount]);
      return r.rows[0].balance as number;
    });
  }

  async createMintQuote(q: MintQuoteRow, now: number, maxUnpaid: number): Promise<void> {
    // The cap counts per creator (payer of an UNPAID quote; null: anonymous), as in sqlite.ts.
    const creator = q.payerAccountId === null ? 'payer IS NULL' : 'payer = $2';
    const args = q.payerAccountId === null ? [] : [q.payerAccountId];
    await this.tx(async (c) => {
      const count = async () =>
        (await c.query("SELECT COUNT(*) n FROM mint_quotes WHERE state = 'UNPAID' AND " + creator.replace('$2', '$1'), args)).rows[0].n as number;
      if ((await count()) >= maxUnpaid) {
        await c.query("DELETE FROM mint_quotes WHERE state = 'UNPAID' AND expiry <= $1 AND " + creator, [now, ...args]);
        if ((await count()) >= maxUnpaid) throw new StoreError('too_many_quotes');
      }
      await c.query('INSERT INTO mint_quotes (id, amount, unit, state, expiry, payer, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        q.id,
        q.amount,
        q.unit,
        'UNPAID',
        q.expiry,
        q.payerAccountId,
        now,
      ]);
    });
  }

  async getMintQuote(id: string): Promise<MintQuoteRow | null> {
    const r = await this.one('SELECT * FROM mint_quotes WHERE id = $1', [id]);
    return r ? mintQuoteFromRow(r) : null;
  }

  async payMintQuote(id: string, accountId: string, now: number): Promise<OpResult<MintQuoteRow>> {
    return this.tx(async (c) => {
      const r = (await c.query('SELECT * FROM mint_quotes WHERE id = $1', [id])).rows[0] as Row | undefined;
      if (!r) throw new StoreError('quote_unknown');
      const q = mintQuoteFromRow(r);
      if (q.state !== 'UNPAID') return { value: q, replay: true };
      if (q.expiry <= now) throw new StoreError('quote_expired');
      const d = await c.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2 AND balance >= $1', [q.amount, accountId]);
      if (d.rowCount !== 1) {
        const exists = (await c.query('SELECT 1 FROM accounts WHERE id = $1', [accountId])).rowCount;
        throw new StoreError(exists ? 'insufficient_funds' : 'account_unknown');
      }
      await c.query("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES ($1, $2, 'mint_quote', $3, $4)", [accountId, -q.amount, q.id, now]);
      await c.query("UPDATE mint_quotes SET state = 'PAID', payer = $1 WHERE id = $2", [accountId, id]);
      return { value: { ...q, state: 'PAID', payerAccountId: accountId }, replay: false };
    });
  }

  private async insertOutputs(c: Client, opId: string, outputs: IssuedOutput[]): Promise<void> {
    try {
      for (let i = 0; i < outputs.length; i++) {
        const o = outputs[i];
        await c.query('INSERT INTO promises (b_, amount, keyset_id, c_, dleq_e, dleq_s, op_id, pos) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          o.B_,
          o.amount,
          o.keysetId,
          o.C_,
          o.dleqE,
          o.dleqS,
          opId,
          i,
        ]);
      }
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('already_signed', 'outputs already signed');
      throw e;
    }
  }

  private async insertInputs(c: Client, opId: string, inputs: SpentInput[]): Promise<void> {
    try {
      for (const p of inputs) await c.query('INSERT INTO spent (y, amount, keyset_id, op_id) VALUES ($1, $2, $3, $4)', [p.Y, p.amount, p.keysetId, opId]);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('already_spent', 'proofs already spent');
      throw e;
    }
  }

  private async outputsOf(c: Client | pg.Pool, opId: string): Promise<IssuedOutput[]> {
    return (await c.query('SELECT * FROM promises WHERE op_id = $1 ORDER BY pos', [opId])).rows.map(outputFromRow);
  }

  async issueMintQuote(id: string, outputsKey: string, outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>> {
    return this.tx(async (c) => {
      const r = (await c.query('SELECT * FROM mint_quotes WHERE id = $1', [id])).rows[0] as Row | undefined;
      if (!r) throw new StoreError('quote_unknown');
      const opId = 'mint:' + id;
      if (r.state === 'ISSUED') {
        if (r.outputs_key === outputsKey) return { value: await this.outputsOf(c, opId), replay: true };
        throw new StoreError('quote_issued');
      }
      if (r.state !== 'PAID') throw new StoreError('quote_not_paid');
      const total = sum(outputs);
      if (total !== r.amount) throw new Error('issueMintQuote: outputs do not match quote amount');
      await c.query("INSERT INTO operations (id, kind, in_total, out_total, at) VALUES ($1, 'mint', 0, $2, $3)", [opId, total, now]);
      await this.insertOutputs(c, opId, outputs);
      await c.query("UPDATE mint_quotes SET state = 'ISSUED', outputs_key = $1 WHERE id = $2", [outputsKey, id]);
      await c.query('UPDATE totals SET issued = issued + $1, outstanding = outstanding + $1 WHERE id = 1', [total]);
      return { value: outputs, replay: false };
    });
  }

  async createMeltQuote(q: MeltQuoteRow, now: number, maxUnpaid: number): Promise<void> {
    await this.tx(async (c) => {
      const count = async () => (await c.query("SELECT COUNT(*) n FROM melt_quotes WHERE state = 'UNPAID'")).rows[0].n as number;
      if ((await count()) >= maxUnpaid) {
        await c.query("DELETE FROM melt_quotes WHERE state = 'UNPAID' AND expiry <= $1", [now]);
        if ((await count()) >= maxUnpaid) throw new StoreError('too_many_quotes');
      }
      await c.query('INSERT INTO melt_quotes (id, amount, unit, account_id, request, state, expiry, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
        q.id,
        q.amount,
        q.unit,
        q.accountId,
        q.request,
        'UNPAID',
        q.expiry,
        now,
      ]);
    });
  }

  async purgeExpiredQuotes(now: number): Promise<{ mint: number; melt: number }> {
    return this.tx(async (c) => ({
      mint: (await c.query("DELETE FROM mint_quotes WHERE state = 'UNPAID' AND expiry <= $1", [now])).rowCount ?? 0,
      melt: (await c.query("DELETE FROM melt_quotes WHERE state = 'UNPAID' AND expiry <= $1", [now])).rowCount ?? 0,
    }));
  }

  async countUnpaidQuotes(): Promise<{ mint: number; melt: number }> {
    const n = async (t: string) => (await this.one('SELECT COUNT(*) n FROM ' + t + " WHERE state = 'UNPAID'"))!.n as number;
    return { mint: await n('mint_quotes'), melt: await n('melt_quotes') };
  }

  async getMeltQuote(id: string): Promise<MeltQuoteRow | null> {
    const r = await this.one('SELECT * FROM melt_quotes WHERE id = $1', [id]);
    return r ? meltQuoteFromRow(r) : null;
  }

  async payMeltQuote(id: string, inputsKey: string, inputs: SpentInput[], now: number): Promise<OpResult<MeltQuoteRow>> {
    return this.tx(async (c) => {
      const r = (await c.query('SELECT * FROM melt_quotes WHERE id = $1', [id])).rows[0] as Row | undefined;
      if (!r) throw new StoreError('quote_unknown');
      const q = meltQuoteFromRow(r);
      if (q.state === 'PAID') {
        if (r.inputs_key === inputsKey) return { value: q, replay: true };
        throw new StoreError('quote_paid');
      }
      if (q.expiry <= now) throw new StoreError('quote_expired');
      const total = sum(inputs);
      if (total !== q.amount) throw new Error('payMeltQuote: inputs do not match quote amount');
      const opId = 'melt:' + id;
      await c.query("INSERT INTO operations (id, kind, in_total, out_total, at) VALUES ($1, 'melt', $2, 0, $3)", [opId, total, now]);
      await this.insertInputs(c, opId, inputs);
      const cr = await c.query('UPDATE accounts SET balance = balance + $1 WHERE id = $2', [total, q.accountId]);
      if (cr.rowCount !== 1) throw new StoreError('account_unknown');
      await c.query("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES ($1, $2, 'melt', $3, $4)", [q.accountId, total, id, now]);
      await c.query("UPDATE melt_quotes SET state = 'PAID', inputs_key = $1 WHERE id = $2", [inputsKey, id]);
      await c.query('UPDATE totals SET spent = spent + $1, outstanding = outstanding - $1 WHERE id = 1', [total]);
      return { value: { ...q, state: 'PAID' }, replay: false };
    });
  }

  async swap(opKey: string, inputs: SpentInput[], outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>> {
    return this.tx(async (c) => {
      const prior = await c.query("SELECT 1 FROM operations WHERE id = $1 AND kind = 'swap'", [opKey]);
      if (prior.rowCount) return { value: await this.outputsOf(c, opKey), replay: true };
      const inTotal = sum(inputs);
      const outTotal = sum(outputs);
      if (inTotal !== outTotal) throw new Error('swap: not balanced');
      await c.query("INSERT INTO operations (id, kind, in_total, out_total, at) VALUES ($1, 'swap', $2, $3, $4)", [opKey, inTotal, outTotal, now]);
      await this.insertInputs(c, opKey, inputs);
      await this.insertOutputs(c, opKey, outputs);
      await c.query('UPDATE totals SET issued = issued + $1, spent = spent + $2 WHERE id = 1', [outTotal, inTotal]);
      return { value: outputs, replay: false };
    });
  }

  async findSwap(opKey: string): Promise<IssuedOutput[] | null> {
    const prior = await this.one("SELECT 1 FROM operations WHERE id = $1 AND kind = 'swap'", [opKey]);
    return prior ? this.outputsOf(this.pool, opKey) : null;
  }

  async spentYs(Ys: string[]): Promise<Set<string>> {
    const r = await this.pool.query('SELECT y FROM spent WHERE y = ANY($1::text[])', [Ys]);
    return new Set(r.rows.map((x: Row) => x.y as string));
  }

  async audit(): Promise<AuditReport> {
    // One REPEATABLE READ snapshot: consistent sums even while other banks write.
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const report = await this.auditNow(c);
      await c.query('COMMIT');
      return report;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  private async auditNow(c: Client): Promise<AuditReport> {
    const one = async (sql: string): Promise<number> => Number(Object.values((await c.query(sql)).rows[0])[0] ?? 0);
    const problems: string[] = [];
    const issued = await one('SELECT COALESCE(SUM(amount), 0) FROM promises');
    const spent = await one('SELECT COALESCE(SUM(amount), 0) FROM spent');
    const mintedIssued = await one("SELECT COALESCE(SUM(amount), 0) FROM mint_quotes WHERE state = 'ISSUED'");
    const mintedPaid = await one("SELECT COALESCE(SUM(amount), 0) FROM mint_quotes WHERE state = 'PAID'");
    const melted = await one("SELECT COALESCE(SUM(amount), 0) FROM melt_quotes WHERE state = 'PAID'");
    const outstanding = mintedIssued - melted;
    const accountsTotal = await one('SELECT COALESCE(SUM(balance), 0) FROM accounts');
    const deposits = await one("SELECT COALESCE(SUM(delta), 0) FROM account_entries WHERE kind = 'deposit'");

    if (issued !== outstanding + spent) problems.push(`issued ${issued} != outstanding ${outstanding} + spent ${spent}`);
    if (outstanding < 0) problems.push(`negative outstanding ${outstanding}`);
    if (deposits !== accountsTotal + mintedPaid + outstanding) {
      problems.push(`deposits ${deposits} != accounts ${accountsTotal} + paid quotes ${mintedPaid} + outstanding ${outstanding}`);
    }
    const badAccounts = await c.query(
      'SELECT a.id FROM accounts a LEFT JOIN (SELECT account_id, SUM(delta) s FROM account_entries GROUP BY account_id) e ' +
        'ON e.account_id = a.id WHERE a.balance != COALESCE(e.s, 0)',
    );
    for (const a of badAccounts.rows) problems.push('account ' + a.id + ' balance != sum of its entries');
    const badOps = await c.query(
      `SELECT o.id, o.kind, o.in_total, o.out_total,
         (SELECT COALESCE(SUM(amount), 0) FROM spent s WHERE s.op_id = o.id) si,
         (SELECT COALESCE(SUM(amount), 0) FROM promises p WHERE p.op_id = o.id) po
       FROM operations o`,
    );
    for (const o of badOps.rows) {
      if (o.si !== o.in_total || o.po !== o.out_total) problems.push(`operation ${o.id}: rows do not match its totals`);
      if (o.kind === 'swap' && o.in_total !== o.out_total) problems.push(`swap ${o.id} not balanced`);
      if (o.kind === 'mint' && o.in_total !== 0) problems.push(`mint ${o.id} spent proofs`);
      if (o.kind === 'melt' && o.out_total !== 0) problems.push(`melt ${o.id} issued outputs`);
    }
    const orphanQuotes = await one(
      "SELECT COUNT(*) FROM mint_quotes q WHERE q.state = 'ISSUED' AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = 'mint:' || q.id)",
    );
    if (orphanQuotes) problems.push(orphanQuotes + ' issued mint quotes without an operation');
    const t = (await c.query('SELECT * FROM totals WHERE id = 1')).rows[0] as Row;
    if (t.issued !== issued || t.spent !== spent || t.outstanding !== outstanding || t.deposits !== deposits) {
      problems.push('running totals differ from the recomputed sums');
    }
    return {
      ok: problems.length === 0,
      issued,
      spent,
      outstanding,
      accountsTotal,
      deposits,
      counts: {
        promises: await one('SELECT COUNT(*) FROM promises'),
        spent: await one('SELECT COUNT(*) FROM spent'),
        operations: await one('SELECT COUNT(*) FROM operations'),
        accounts: await one('SELECT COUNT(*) FROM accounts'),
      },
      problems,
    };
  }

  private closed = false;

  async close(): Promise<void> {
    // pool.end() waits for checked-out connections, so a transaction in flight commits first.
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
