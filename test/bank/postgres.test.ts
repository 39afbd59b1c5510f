/**
 * The PostgreSQL ledger against a private server: the same operations give the same outcomes as
 * the SQLite ledger (differential, long random sequences), racing stores and racing bank
 * processes on one database spend each proof exactly once, and a bank killed mid-swap loses no
 * acknowledged swap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PgLedgerStore } from '../../host/bank/ledger/postgres';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { StoreError, type IssuedOutput, type LedgerStore } from '../../host/bank/ledger/store';
import { openMint } from '../../host/bank/service';
import { BankClient } from '../../host/wallet/bank-client';
import { finishProofs, prepareOutputs, wireOutputs, type PreparedOutputs } from '../../host/wallet/blinding';
import type { WireSignature } from '../../host/wallet/client';
import { cleanupTempDirs, tempDir } from './helpers';
import { startPgServer, type PgServer } from './postgres-server';
import { RUN_TS } from '../helpers/run-ts';

const ROOT = join(import.meta.dirname, '..', '..');
let server: PgServer;
let dbs = 0;
const children: ChildProcess[] = [];
const stores: LedgerStore[] = [];

beforeAll(async () => {
  server = await startPgServer();
}, 180_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of stores) await s.close().catch(() => undefined);
  await server?.stop();
  cleanupTempDirs();
}, 60_000);

async function freshPg(): Promise<PgLedgerStore> {
  const s = await PgLedgerStore.open(await server.createDatabase('ledger' + ++dbs));
  stores.push(s);
  return s;
}

const KS = 'k1';
const out = (b: number, amount = 1): IssuedOutput => ({ B_: 'B' + b, amount, keysetId: KS, C_: 'C' + b, dleqE: 'e', dleqS: 's' });

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (e) {
    return e instanceof StoreError ? { refused: e.reason } : { error: true };
  }
}

type Op =
  | { t: 'swap'; key: number; ins: number[]; outs: number[] }
  | { t: 'mintq'; id: number; amount: number }
  | { t: 'pay'; id: number }
  | { t: 'issue'; id: number; okey: number; outs: number[] }
  | { t: 'credit'; amount: number }
  | { t: 'melt'; id: number; ins: number[] };

const idx = fc.array(fc.integer({ min: 0, max: 11 }), { minLength: 1, maxLength: 3 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('swap' as const), key: fc.integer({ min: 0, max: 5 }), ins: idx, outs: idx }),
  fc.record({ t: fc.constant('mintq' as const), id: fc.integer({ min: 0, max: 4 }), amount: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ t: fc.constant('pay' as const), id: fc.integer({ min: 0, max: 4 }) }),
  fc.record({ t: fc.constant('issue' as const), id: fc.integer({ min: 0, max: 4 }), okey: fc.integer({ min: 0, max: 1 }), outs: idx }),
  fc.record({ t: fc.constant('credit' as const), amount: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ t: fc.constant('melt' as const), id: fc.integer({ min: 0, max: 4 }), ins: idx }),
);

async function apply(s: LedgerStore, op: Op): Promise<unknown> {
  const now = 1000;
  switch (op.t) {
    case 'swap': {
      const n = Math.min(op.ins.length, op.outs.length);
      const ins = op.ins.slice(0, n).map((i) => ({ Y: 'Y' + i, amount: 1, keysetId: KS }));
      return outcome(s.swap('op' + op.key, ins, op.outs.slice(0, n).map((b) => out(b)), now));
    }
    case 'mintq':
      return outcome(s.createMintQuote({ id: 'q' + op.id, amount: op.amount, unit: 'sat', state: 'UNPAID', expiry: 2000, payerAccountId: 'a' }, now, 3));
    case 'pay':
      return outcome(s.payMintQuote('q' + op.id, 'a', now));
    case 'issue':
      return outcome(s.issueMintQuote('q' + op.id, 'o' + op.okey, op.outs.map((b) => out(100 + b)), now));
    case 'credit':
      return outcome(s.creditAccount('a', op.amount, 'dep', now));
    case 'melt': {
      const id = 'm' + op.id;
      await outcome(s.createMeltQuote({ id, amount: op.ins.length, unit: 'sat', accountId: 'a', request: 'a', state: 'UNPAID', expiry: 2000 }, now, 3));
      const ins = op.ins.map((i) => ({ Y: 'Y' + i, amount: 1, keysetId: KS }));
      return outcome(s.payMeltQuote(id, op.ins.join(','), ins, now));
    }
  }
}

async function seed(s: LedgerStore): Promise<void> {
  await s.addKeyset({ id: KS, unit: 'sat', index: 0, active: true, inputFeePpk: 0 }, true);
  await s.createAccount('a', 'alice', 'h', 1);
  await s.creditAccount('a', 10, 'dep', 1);
}

it('gives the same outcome as the SQLite ledger for random operation sequences, and the audit balances', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
      const lite = new SqliteLedgerStore(':memory:');
      const pgs = await freshPg();
      try {
        await seed(lite);
        await seed(pgs);
        for (const op of ops) expect(await apply(pgs, op)).toEqual(await apply(lite, op));
        const [a, b] = [await lite.audit(), await pgs.audit()];
        expect(b).toEqual(a);
        // The store trusts the mint that melted proofs were issued (the mint checks C = kY); these
        // sequences melt made-up proofs, which only the outstanding/deposit balances can show.
        expect(b.problems.filter((p) => !/^(negative outstanding|deposits|issued)/.test(p))).toEqual([]);
        const ys = Array.from({ length: 12 }, (_, i) => 'Y' + i);
        expect([...(await pgs.spentYs(ys))].sort()).toEqual([...(await lite.spentYs(ys))].sort());
        expect(await pgs.countUnpaidQuotes()).toEqual(await lite.countUnpaidQuotes());
      } finally {
        await lite.close();
        await pgs.close();
      }
    }),
    { numRuns: 25 },
  );
}, 300_000);

it('two stores (two connection pools) racing to spend the same proofs: each is spent exactly once', async () => {
  const a = await freshPg();
  await seed(a);
  const url = 'postgres://postgres@127.0.0.1:' + server.port + '/ledger' + dbs;
  const b = await PgLedgerStore.open(url);
  stores.push(b);
  const ROUNDS = 200;
  let winsA = 0;
  for (let r = 0; r < ROUNDS; r += 20) {
    const batch = [];
    for (let i = r; i < r + 20; i++) {
      const ins = [{ Y: 'Y' + i, amount: 1, keysetId: KS }];
      batch.push(Promise.all([outcome(a.swap('a' + i, ins, [out(2 * i)], 1)), outcome(b.swap('b' + i, ins, [out(2 * i + 1)], 1))]));
    }
    for (const [ra, rb] of await Promise.all(batch)) {
      const results = [ra, rb] as { ok?: unknown; refused?: string }[];
      expect(results.filter((x) => x.ok)).toHaveLength(1);
      expect(results.filter((x) => x.refused === 'already_spent')).toHaveLength(1);
      if (results[0].ok) winsA++;
    }
  }
  const audit = await a.audit();
  expect(audit.problems).toEqual([]);
  expect(audit.counts.spent).toBe(ROUNDS);
  expect(audit.counts.promises).toBe(ROUNDS);
  expect(winsA).toBeLessThanOrEqual(ROUNDS);
}, 120_000);

it('refuses an unreachable database without quoting the password of its URL', async () => {
  const e = await PgLedgerStore.open('postgres://bob:s3cretpw@127.0.0.1:1/nope').then(
    () => null,
    (x: Error) => x,
  );
  expect(e).toBeInstanceOf(Error);
  expect(String(e!.message) + String(e!.stack)).not.toContain('s3cretpw');
});

function spawnBank(dir: string, db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [RUN_TS, join(ROOT, 'host/bank/main.ts'), '--listen', '127.0.0.1:0', '--data-dir', dir, '--db', db],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOOD_LOG_LEVEL: 'info' } },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bank did not start')), 60_000);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error('bank exited ' + code + ': ' + err)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      expect(line).not.toContain(db); // the database URL is never logged
      try {
        const j = JSON.parse(line);
        if (j.msg === 'listening') {
          clearTimeout(timer);
          resolve({ child, url: j.url });
        }
      } catch {
        // not a log line
      }
    });
  });
}

it('two bank processes on one database: each proof accepted once; SIGKILL of one mid-swap loses nothing acknowledged', async () => {
  const dir = tempDir('pgbank'); // one mint seed for both banks: they serve the same keyset
  const db = await server.createDatabase('banks');
  const admin = await openMint(dir, { db });
  const acct = await admin.createAccount('bob');
  await admin.creditAccount('bob', 1000);
  await admin.store.close();

  const [A, B] = await Promise.all([spawnBank(dir, db), spawnBank(dir, db)]);
  const ca = new BankClient(A.url);
  const cb = new BankClient(B.url);
  const ks = await ca.ring.active();
  expect((await cb.ring.active()).id).toBe(ks.id);
  const N = 60;
  const q = await ca.createMintQuote(N + 40);
  await ca.payMintQuote(q.quote, acct.token);
  const prep = prepareOutputs(new Array(N + 40).fill(1), ks);
  const proofs = finishProofs(prep, await cb.mint(q.quote, wireOutputs(prep)), ks);

  // Race: the same proof swapped at both banks, for different outputs.
  for (let i = 0; i < N; i++) {
    const [ra, rb] = await Promise.allSettled([
      ca.postSwap([proofs[i]], wireOutputs(prepareOutputs([1], ks))),
      cb.postSwap([proofs[i]], wireOutputs(prepareOutputs([1], ks))),
    ]);
    expect([ra, rb].filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  }

  // SIGKILL bank A while it answers concurrent swaps; bank B must still know every acknowledged one.
  const swaps = proofs.slice(N).map((p) => ({ input: p, outputs: prepareOutputs([1], ks) as PreparedOutputs, ack: null as WireSignature[] | null }));
  let acked = 0;
  const killAfter = 5 + Math.floor(Math.random() * 15);
  await Promise.all(
    swaps.map((s) =>
      ca.postSwap([s.input], wireOutputs(s.outputs)).then(
        (sigs) => {
          s.ack = sigs;
          if (++acked === killAfter) A.child.kill('SIGKILL');
        },
        () => undefined,
      ),
    ),
  );
  expect(acked).toBeGreaterThanOrEqual(killAfter);
  const states = await cb.checkState(swaps.map((s) => s.input));
  let committed = 0;
  for (let i = 0; i < swaps.length; i++) {
    const s = swaps[i];
    if (s.ack) expect(states[i]).toBe('SPENT');
    if (states[i] !== 'SPENT') continue;
    committed++;
    // The other bank replays the first answer: the very signatures bank A acknowledged.
    const replay = await cb.postSwap([s.input], wireOutputs(s.outputs));
    if (s.ack) expect(replay).toEqual(s.ack);
  }
  expect(committed).toBeGreaterThanOrEqual(acked);
  B.child.kill('SIGTERM');
  await new Promise<void>((r) => (B.child.exitCode !== null ? r() : B.child.once('exit', () => r())));

  const after = await openMint(dir, { db });
  const audit = await after.audit();
  await after.store.close();
  expect(audit.problems).toEqual([]);
  expect(audit.spent).toBe(N + committed);
  expect(audit.outstanding).toBe(N + 40);
}, 240_000);
