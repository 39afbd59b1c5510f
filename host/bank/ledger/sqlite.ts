/**
 * LedgerStore on SQLite (better-sqlite3): WAL journal, synchronous=FULL (a commit is on disk
 * before the HTTP answer leaves), every mutation all-or-nothing in its own SAVEPOINT of a group
 * transaction (group-commit.ts: requests that arrive together share one BEGIN IMMEDIATE … COMMIT
 * and one fsync). better-sqlite3 is synchronous, so in one process transactions never interleave;
 * across processes the write lock (busy_timeout) and the UNIQUE keys serialize them.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BackgroundCheckpointer, FALLBACK_AUTOCHECKPOINT } from './checkpointer';
import { GroupCommit } from './group-commit';
import { MIGRATE_1_TO_2, SCHEMA, SCHEMA_VERSION } from './schema';
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

function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string }).code || '';
  return code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}


export interface SqliteLedgerOptions {
  /**
   * Run WAL checkpoints on a worker thread instead of inside a group's COMMIT (checkpointer.ts).
   * For a serving bank; short-lived admin commands leave it off.
   */
  backgroundCheckpoint?: boolean;
}

export class SqliteLedgerStore implements LedgerStore {
  readonly db: Database.Database;
  /** Where every mutation is queued; its stats show how many requests shared each commit. */
  readonly group: GroupCommit;
  /** The WAL checkpointer thread, when `backgroundCheckpoint` is on. */
  readonly checkpointer: BackgroundCheckpointer | null = null;

  constructor(path: string, opts: SqliteLedgerOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 10000');
    // 32 MiB of page cache (SQLite's default is 2 MiB): a group of swaps dirties a few hundred
    // random pages and the spent-lookups read as many; with the default the cache spills dirty
    // pages into the WAL mid-transaction and re-reads pages from the file.
    this.db.pragma('cache_size = -32768');
    this.db.exec(SCHEMA);
    const v = this.stmt('SELECT value FROM meta WHERE key = ?').get('schema_version') as Row | undefined;
    if (!v) this.stmt('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema_version', String(SCHEMA_VERSION));
    else if (Number(v.value) === 1) {
      // Under the write lock, and only if no other process migrated meanwhile.
      this.db
        .transaction(() => {
          const again = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as Row;
          if (Number(again.value) === 1) this.db.exec(MIGRATE_1_TO_2);
        })
        .immediate();
    } else if (Number(v.value) !== SCHEMA_VERSION) throw new Error('ledger schema version ' + v.value + ' not supported');
    if (opts.backgroundCheckpoint && path !== ':memory:') {
      this.db.pragma('wal_autocheckpoint = ' + FALLBACK_AUTOCHECKPOINT);
      this.checkpointer = new BackgroundCheckpointer(path, () => {
        // The worker is gone: SQLite's own checkpoint after commits takes over again.
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      });
    }
    const ckpt = this.checkpointer;
    this.group = new GroupCommit(this.db, undefined, undefined, ckpt ? () => ckpt.nudge() : undefined);
  }

  private readonly statements = new Map<string, Database.Statement>();

  /** A prepared statement, compiled once per SQL text (a bounded set: the texts below). */
  private stmt(sql: string): Database.Statement {
    let st = this.statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.statements.set(sql, st);
    }
    return st;
  }

  /** Run fn in its own savepoint of the next group commit; settles once COMMIT has returned. */
  private tx<T>(fn: () => T): Promise<T> {
    return this.group.run(fn);
  }

  async listKeysets(): Promise<KeysetRow[]> {
    const rows = this.stmt('SELECT * FROM keysets ORDER BY unit, idx').all() as Row[];
    return rows.map((r) => ({ id: r.id, unit: r.unit, index: r.idx, active: r.active === 1, inputFeePpk: r.input_fee_ppk }));
  }

  async addKeyset(row: KeysetRow, makeOnlyActive: boolean): Promise<void> {
    await this.tx(() => {
      if (makeOnlyActive) this.stmt('UPDATE keysets SET active = 0 WHERE unit = ?').run(row.unit);
      this.db
        .prepare('INSERT INTO keysets (id, unit, idx, active, input_fee_ppk) VALUES (?, ?, ?, ?, ?)')
        .run(row.id, row.unit, row.index, row.active ? 1 : 0, row.inputFeePpk);
    });
  }

  async createAccount(id: string, name: string, tokenHash: string, now: number): Promise<AccountRow> {
    try {
      this.db
        .prepare('INSERT INTO accounts (id, name, token_hash, balance, created_at) VALUES (?, ?, ?, 0, ?)')
        .run(id, name, tokenHash, now);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('account_exists', 'account name already taken');
      throw e;
    }
    return { id, name, tokenHash, balance: 0, createdAt: now };
  }

  async getAccount(id: string): Promise<AccountRow | null> {
    const r = this.stmt('SELECT * FROM accounts WHERE id = ?').get(id) as Row | undefined;
    return r ? accountFromRow(r) : null;
  }

  async getAccountByName(name: string): Promise<AccountRow | null> {
    const r = this.stmt('SELECT * FROM accounts WHERE name = ?').get(name) as Row | undefined;
    return r ? accountFromRow(r) : null;
  }

  async creditAccount(id: string, amount: number, ref: string, now: number): Promise<number> {
    return this.tx(() => {
      const r = this.stmt('UPDATE accounts SET balance = balance + ? WHERE id = ?').run(amount, id);
      if (r.changes !== 1) throw new StoreError('account_unknown');
      this.db
        .prepare("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES (?, ?, 'deposit', ?, ?)")
        .run(id, amount, ref, now);
      this.stmt('UPDATE totals SET deposits = deposits + ? WHERE id = 1').run(amount);
      return (this.stmt('SELECT balance FROM accounts WHERE id = ?').get(id) as Row).balance as number;
    });
  }

  async createMintQuote(q: MintQuoteRow, now: number, maxUnpaid: number): Promise<void> {
    // `payer` of an UNPAID quote is the account that created it (null: anonymous); paying sets it
    // to the account debited. The cap counts per creator, so a flood of anonymous quotes cannot
    // take the places of quotes an account holder creates for himself.
    const creator = 'payer ' + (q.payerAccountId === null ? 'IS NULL' : '= ?');
    const args = q.payerAccountId === null ? [] : [q.payerAccountId];
    await this.tx(() => {
      const count = () => (this.stmt("SELECT COUNT(*) n FROM mint_quotes WHERE state = 'UNPAID' AND " + creator).get(...args) as Row).n as number;
      if (count() >= maxUnpaid) {
        this.stmt("DELETE FROM mint_quotes WHERE state = 'UNPAID' AND expiry <= ? AND " + creator).run(now, ...args);
        if (count() >= maxUnpaid) throw new StoreError('too_many_quotes');
      }
      this.db
        .prepare('INSERT INTO mint_quotes (id, amount, unit, state, expiry, payer, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(q.id, q.amount, q.unit, 'UNPAID', q.expiry, q.payerAccountId, now);
    });
  }

  async getMintQuote(id: string): Promise<MintQuoteRow | null> {
    const r = this.stmt('SELECT * FROM mint_quotes WHERE id = ?').get(id) as Row | undefined;
    return r ? mintQuoteFromRow(r) : null;
  }

  async payMintQuote(id: string, accountId: string, now: number): Promise<OpResult<MintQuoteRow>> {
    return this.tx(() => {
      const r = this.stmt('SELECT * FROM mint_quotes WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new StoreError('quote_unknown');
      const q = mintQuoteFromRow(r);
      if (q.state !== 'UNPAID') return { value: q, replay: true };
      if (q.expiry <= now) throw new StoreError('quote_expired');
      const d = this.db
        .prepare('UPDATE accounts SET balance = balance - ? WHERE id = ? AND balance >= ?')
        .run(q.amount, accountId, q.amount);
      if (d.changes !== 1) {
        const exists = this.stmt('SELECT 1 FROM accounts WHERE id = ?').get(accountId);
        throw new StoreError(exists ? 'insufficient_funds' : 'account_unknown');
      }
      this.db
        .prepare("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES (?, ?, 'mint_quote', ?, ?)")
        .run(accountId, -q.amount, q.id, now);
      this.stmt("UPDATE mint_quotes SET state = 'PAID', payer = ? WHERE id = ?").run(accountId, id);
      return { value: { ...q, state: 'PAID', payerAccountId: accountId }, replay: false };
    });
  }

  private insertOutputs(opId: string, outputs: IssuedOutput[]): void {
    const ins = this.stmt(
      'INSERT INTO promises (b_, amount, keyset_id, c_, dleq_e, dleq_s, op_id, pos) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    try {
      for (let i = 0; i < outputs.length; i++) {
        const o = outputs[i];
        ins.run(o.B_, o.amount, o.keysetId, o.C_, o.dleqE, o.dleqS, opId, i);
      }
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('already_signed', 'outputs already signed');
      throw e;
    }
  }

  private insertInputs(opId: string, inputs: SpentInput[]): void {
    const ins = this.stmt('INSERT INTO spent (y, amount, keyset_id, op_id) VALUES (?, ?, ?, ?)');
    try {
      for (const p of inputs) ins.run(p.Y, p.amount, p.keysetId, opId);
    } catch (e) {
      if (isUniqueViolation(e)) throw new StoreError('already_spent', 'proofs already spent');
      throw e;
    }
  }

  /** The list of an operation's blinded messages for operations.outputs. */
  private static outputList(outputs: IssuedOutput[]): string {
    let s = '';
    for (let i = 0; i < outputs.length; i++) s += (i ? ',' : '') + outputs[i].B_;
    return s;
  }

  /** The stored signatures of an operation, in output order (its `outputs` list: schema.ts). */
  private outputsOf(opId: string, list?: string | null): IssuedOutput[] {
    if (list === undefined) list = ((this.stmt('SELECT outputs FROM operations WHERE id = ?').get(opId) as Row | undefined)?.outputs ?? null) as string | null;
    // Stored before schema version 2: those ledgers keep their promises_op index.
    if (list === null) return (this.stmt('SELECT * FROM promises WHERE op_id = ? ORDER BY pos').all(opId) as Row[]).map(outputFromRow);
    if (list === '') return [];
    const byB = this.stmt('SELECT * FROM promises WHERE b_ = ?');
    return list.split(',').map((b) => {
      const r = byB.get(b) as Row | undefined;
      if (!r || r.op_id !== opId) throw new Error('ledger: signature of operation ' + opId + ' missing');
      return outputFromRow(r);
    });
  }

  async issueMintQuote(id: string, outputsKey: string, outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>> {
    return this.tx(() => {
      const r = this.stmt('SELECT * FROM mint_quotes WHERE id = ?').get(id) as Row | undefined;
      if (!r) throw new StoreError('quote_unknown');
      const opId = 'mint:' + id;
      if (r.state === 'ISSUED') {
        if (r.outputs_key === outputsKey) return { value: this.outputsOf(opId), replay: true };
        throw new StoreError('quote_issued');
      }
      if (r.state !== 'PAID') throw new StoreError('quote_not_paid');
      const total = sum(outputs);
      if (total !== r.amount) throw new Error('issueMintQuote: outputs do not match quote amount');
      this.stmt("INSERT INTO operations (id, kind, in_total, out_total, at, outputs) VALUES (?, 'mint', 0, ?, ?, ?)").run(opId, total, now, SqliteLedgerStore.outputList(outputs));
      this.insertOutputs(opId, outputs);
      this.stmt("UPDATE mint_quotes SET state = 'ISSUED', outputs_key = ? WHERE id = ?").run(outputsKey, id);
      this.stmt('UPDATE totals SET issued = issued + ?, outstanding = outstanding + ? WHERE id = 1').run(total, total);
      return { value: outputs, replay: false };
    });
  }

  async createMeltQuote(q: MeltQuoteRow, now: number, maxUnpaid: number): Promise<void> {
    await this.tx(() => {
      const count = () => (this.stmt("SELECT COUNT(*) n FROM melt_quotes WHERE state = 'UNPAID'").get() as Row).n as number;
      if (count() >= maxUnpaid) {
        this.stmt("DELETE FROM melt_quotes WHERE state = 'UNPAID' AND expiry <= ?").run(now);
        if (count() >= maxUnpaid) throw new StoreError('too_many_quotes');
      }
      this.db
        .prepare('INSERT INTO melt_quotes (id, amount, unit, account_id, request, state, expiry, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(q.id, q.amount, q.unit, q.accountId, q.request, 'UNPAID', q.expiry, now);
    });
  }

  async purgeExpiredQuotes(now: number): Promise<{ mint: number; melt: number }> {
    return this.tx(() => ({
      mint: this.stmt("DELETE FROM mint_quotes WHERE state = 'UNPAID' AND expiry <= ?").run(now).changes,
      melt: this.stmt("DELETE FROM melt_quotes WHERE state = 'UNPAID' AND expiry <= ?").run(now).changes,
    }));
  }

  async countUnpaidQuotes(): Promise<{ mint: number; melt: number }> {
    const n = (t: string) => (this.stmt('SELECT COUNT(*) n FROM ' + t + " WHERE state = 'UNPAID'").get() as Row).n as number;
    return { mint: n('mint_quotes'), melt: n('melt_quotes') };
  }

  async getMeltQuote(id: string): Promise<MeltQuoteRow | null> {
    const r = this.stmt('SELECT * FROM melt_quotes WHERE id = ?').get(id) as Row | undefined;
    return r ? meltQuoteFromRow(r) : null;
  }

  async payMeltQuote(id: string, inputsKey: string, inputs: SpentInput[], now: number): Promise<OpResult<MeltQuoteRow>> {
    return this.tx(() => {
      const r = this.stmt('SELECT * FROM melt_quotes WHERE id = ?').get(id) as Row | undefined;
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
      this.stmt("INSERT INTO operations (id, kind, in_total, out_total, at) VALUES (?, 'melt', ?, 0, ?)").run(opId, total, now);
      this.insertInputs(opId, inputs);
      const c = this.stmt('UPDATE accounts SET balance = balance + ? WHERE id = ?').run(total, q.accountId);
      if (c.changes !== 1) throw new StoreError('account_unknown');
      this.db
        .prepare("INSERT INTO account_entries (account_id, delta, kind, ref, at) VALUES (?, ?, 'melt', ?, ?)")
        .run(q.accountId, total, id, now);
      this.stmt("UPDATE melt_quotes SET state = 'PAID', inputs_key = ? WHERE id = ?").run(inputsKey, id);
      this.stmt('UPDATE totals SET spent = spent + ?, outstanding = outstanding - ? WHERE id = 1').run(total, total);
      return { value: { ...q, state: 'PAID' }, replay: false };
    });
  }

  async swap(opKey: string, inputs: SpentInput[], outputs: IssuedOutput[], now: number): Promise<OpResult<IssuedOutput[]>> {
    return this.tx(() => {
      const inTotal = sum(inputs);
      const outTotal = sum(outputs);
      if (inTotal !== outTotal) throw new Error('swap: not balanced');
      // The operation row first: its primary key is the idempotency key, so a repeated swap fails
      // here, before anything is written, and gets the stored answer (NUT-03 replay). One
      // statement instead of a lookup before every insert.
      try {
        this.stmt("INSERT INTO operations (id, kind, in_total, out_total, at, outputs) VALUES (?, 'swap', ?, ?, ?, ?)").run(
          opKey,
          inTotal,
          outTotal,
          now,
          SqliteLedgerStore.outputList(outputs),
        );
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        const prior = this.stmt("SELECT outputs FROM operations WHERE id = ? AND kind = 'swap'").get(opKey) as Row | undefined;
        if (!prior) throw e;
        return { value: this.outputsOf(opKey, prior.outputs), replay: true };
      }
      this.insertInputs(opKey, inputs);
      this.insertOutputs(opKey, outputs);
      this.stmt('UPDATE totals SET issued = issued + ?, spent = spent + ? WHERE id = 1').run(outTotal, inTotal);
      return { value: outputs, replay: false };
    });
  }

  async findSwap(opKey: string): Promise<IssuedOutput[] | null> {
    const prior = this.stmt("SELECT outputs FROM operations WHERE id = ? AND kind = 'swap'").get(opKey) as Row | undefined;
    return prior ? this.outputsOf(opKey, prior.outputs) : null;
  }

  async spentYs(Ys: string[]): Promise<Set<string>> {
    const out = new Set<string>();
    const q = this.stmt('SELECT 1 FROM spent WHERE y = ?');
    for (const y of Ys) if (q.get(y)) out.add(y);
    return out;
  }

  async audit(): Promise<AuditReport> {
    // One read transaction: a consistent snapshot even while the bank writes.
    return this.db.transaction(() => this.auditNow())();
  }

  private auditNow(): AuditReport {
    const one = (sql: string, ...args: unknown[]): number => {
      const r = this.stmt(sql).get(...args) as Row;
      return Number(Object.values(r)[0] ?? 0);
    };
    const problems: string[] = [];
    const issued = one('SELECT COALESCE(SUM(amount), 0) FROM promises');
    const spent = one('SELECT COALESCE(SUM(amount), 0) FROM spent');
    const mintedIssued = one("SELECT COALESCE(SUM(amount), 0) FROM mint_quotes WHERE state = 'ISSUED'");
    const mintedPaid = one("SELECT COALESCE(SUM(amount), 0) FROM mint_quotes WHERE state = 'PAID'");
    const melted = one("SELECT COALESCE(SUM(amount), 0) FROM melt_quotes WHERE state = 'PAID'");
    const outstanding = mintedIssued - melted;
    const accountsTotal = one('SELECT COALESCE(SUM(balance), 0) FROM accounts');
    const deposits = one("SELECT COALESCE(SUM(delta), 0) FROM account_entries WHERE kind = 'deposit'");

    if (issued !== outstanding + spent) problems.push(`issued ${issued} != outstanding ${outstanding} + spent ${spent}`);
    if (outstanding < 0) problems.push(`negative outstanding ${outstanding}`);
    if (deposits !== accountsTotal + mintedPaid + outstanding) {
      problems.push(`deposits ${deposits} != accounts ${accountsTotal} + paid quotes ${mintedPaid} + outstanding ${outstanding}`);
    }
    const badAccounts = this.db
      .prepare(
        'SELECT a.id FROM accounts a LEFT JOIN (SELECT account_id, SUM(delta) s FROM account_entries GROUP BY account_id) e ' +
          'ON e.account_id = a.id WHERE a.balance != COALESCE(e.s, 0)',
      )
      .all() as Row[];
    for (const a of badAccounts) problems.push('account ' + a.id + ' balance != sum of its entries');
    // Grouped sums joined to the operations: one pass over spent and promises (spent has no
    // op_id index, see schema.ts).
    const badOps = this.db
      .prepare(
        `SELECT o.id, o.kind, o.in_total, o.out_total, COALESCE(s.si, 0) si, COALESCE(p.po, 0) po
         FROM operations o
         LEFT JOIN (SELECT op_id, SUM(amount) si FROM spent GROUP BY op_id) s ON s.op_id = o.id
         LEFT JOIN (SELECT op_id, SUM(amount) po FROM promises GROUP BY op_id) p ON p.op_id = o.id`,
      )
      .all() as Row[];
    const strays = one(
      `SELECT (SELECT COUNT(*) FROM spent s WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = s.op_id))
            + (SELECT COUNT(*) FROM promises p WHERE NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = p.op_id))`,
    );
    if (strays) problems.push(strays + ' spent or signed rows without an operation');
    for (const o of badOps) {
      if (o.si !== o.in_total || o.po !== o.out_total) problems.push(`operation ${o.id}: rows do not match its totals`);
      if (o.kind === 'swap' && o.in_total !== o.out_total) problems.push(`swap ${o.id} not balanced`);
      if (o.kind === 'mint' && o.in_total !== 0) problems.push(`mint ${o.id} spent proofs`);
      if (o.kind === 'melt' && o.out_total !== 0) problems.push(`melt ${o.id} issued outputs`);
    }
    const orphanQuotes = one(
      "SELECT COUNT(*) FROM mint_quotes q WHERE q.state = 'ISSUED' AND NOT EXISTS (SELECT 1 FROM operations o WHERE o.id = 'mint:' || q.id)",
    );
    if (orphanQuotes) problems.push(orphanQuotes + ' issued mint quotes without an operation');
    const t = this.stmt('SELECT * FROM totals WHERE id = 1').get() as Row;
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
        promises: one('SELECT COUNT(*) FROM promises'),
        spent: one('SELECT COUNT(*) FROM spent'),
        operations: one('SELECT COUNT(*) FROM operations'),
        accounts: one('SELECT COUNT(*) FROM accounts'),
      },
      problems,
    };
  }

  async close(): Promise<void> {
    // Queued requests are committed (and answered) before the file closes, never dropped.
    if (this.db.open) this.group.drain();
    if (this.checkpointer) await this.checkpointer.close();
    if (this.db.open) this.db.close();
  }
}
