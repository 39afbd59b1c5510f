/**
 * The SQLite ledger's write path: WAL checkpoints on a worker thread (ledger/checkpointer.ts), the
 * schema version 1 -> 2 migration, and replays answered from operations.outputs (schema.ts) —
 * including replays of operations stored before the migration — under random sequences of swaps,
 * double spends, replays and forged proofs.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { LEDGER_FILE, openMint } from '../../host/bank/service';
import type { Mint } from '../../host/bank/mint';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { FALLBACK_AUTOCHECKPOINT } from '../../host/bank/ledger/checkpointer';
import { SCHEMA_VERSION } from '../../host/bank/ledger/schema';
import { BankError } from '../../host/cashu/errors';
import { activeKeys, finish, mintOnes, prepare, preparedByB, wire, type KeysetKeys, type TestProof } from './fast-wallet';
import { cleanupTempDirs, tempDir } from './helpers';

afterAll(() => cleanupTempDirs());

type SwapBody = { inputs: TestProof[]; outputs: { amount: number; id: string; B_: string }[] };
type Outcome = { ok: true; sigs: { C_: string; amount: number }[] } | { ok: false; code: number };

function fire(mint: Mint, bodies: SwapBody[]): Promise<Outcome[]> {
  return Promise.all(
    bodies.map((b) =>
      mint.swap(b).then(
        (r): Outcome => ({ ok: true, sigs: r.signatures }),
        (e): Outcome => {
          if (!(e instanceof BankError)) throw e;
          return { ok: false, code: e.code };
        },
      ),
    ),
  );
}

async function funded(dir: string, n: number, backgroundCheckpoint: boolean): Promise<{ mint: Mint; ks: KeysetKeys; proofs: TestProof[] }> {
  const mint = await openMint(dir, { backgroundCheckpoint });
  const { token } = await mint.createAccount('bob');
  await mint.creditAccount('bob', n);
  return { mint, ks: activeKeys(mint), proofs: await mintOnes(mint, 'Bearer ' + token, n) };
}

const store = (m: Mint) => m.store as SqliteLedgerStore;

async function until(cond: () => boolean, ms: number): Promise<void> {
  for (let t = 0; t < ms && !cond(); t += 20) await new Promise((r) => setTimeout(r, 20));
}

describe('WAL checkpoints on a worker thread', () => {
  it('checkpoints after group commits, keeps the WAL bounded, and every acknowledged swap is on disk after close', async () => {
    const dir = tempDir('wal');
    const { mint, ks, proofs } = await funded(dir, 480, true);
    const ck = store(mint).checkpointer!;
    expect(ck).not.toBeNull();
    // SQLite's own checkpoint stays on as the fallback, at a higher threshold.
    expect(store(mint).db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT);
    const acked: { B_: string; C_: string }[] = [];
    for (let round = 0; round < 10; round++) {
      const bodies = proofs.slice(round * 48, round * 48 + 48).map((p) => ({ inputs: [p], outputs: wire(prepare([1]), ks) }));
      const out = await fire(mint, bodies);
      out.forEach((o, i) => {
        if (!o.ok) throw new Error('swap refused: ' + o.code);
        acked.push({ B_: bodies[i].outputs[0].B_, C_: o.sigs[0].C_ });
      });
      await new Promise((r) => setTimeout(r, 30));
    }
    await until(() => ck.stats.complete > 0, 5000);
    expect(ck.stats.runs).toBeGreaterThan(0);
    expect(ck.stats.complete).toBeGreaterThan(0);
    expect(ck.stats.failed).toBe(0);
    // Without restarts the WAL would hold every frame of the run; with them it holds about a group's.
    expect(statSync(join(dir, LEDGER_FILE + '-wal')).size).toBeLessThan(FALLBACK_AUTOCHECKPOINT * 4096);
    expect((await mint.audit()).problems).toEqual([]);
    await mint.store.close();
    expect(ck.stats.running).toBe(false);

    const db = new Database(join(dir, LEDGER_FILE), { readonly: true });
    const get = db.prepare('SELECT c_ FROM promises WHERE b_ = ?');
    for (const a of acked) expect((get.get(a.B_) as { c_: string }).c_).toBe(a.C_);
    db.close();
  }, 120_000);

  it('if the worker dies, the ledger checkpoints on its own connection again', async () => {
    const s = new SqliteLedgerStore(join(tempDir('walfail'), LEDGER_FILE), { backgroundCheckpoint: true });
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(FALLBACK_AUTOCHECKPOINT);
    await (s.checkpointer as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await until(() => !s.checkpointer!.stats.running, 5000);
    expect(s.checkpointer!.stats.running).toBe(false);
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await s.creditAccount('nobody', 1, 'x', 1).catch(() => undefined); // commits still work
    await s.close();
  });

  it('admin use (no option) starts no worker', async () => {
    const s = new SqliteLedgerStore(join(tempDir('walnone'), LEDGER_FILE));
    expect(s.checkpointer).toBeNull();
    expect(s.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    await s.close();
  });
});

/** Turn a fresh ledger file back into schema version 1 (no operations.outputs, both op_id indexes). */
function downgradeToV1(file: string): void {
  const db = new Database(file);
  db.exec(`
    ALTER TABLE operations DROP COLUMN outputs;
    CREATE INDEX spent_op ON spent(op_id);
    CREATE INDEX promises_op ON promises(op_id, pos);
    UPDATE meta SET value = '1' WHERE key = 'schema_version';`);
  db.close();
}

describe('schema version 1 -> 2', () => {
  it('migrates on open; replays of swaps stored before and after it return their first signatures (random sequences)', async () => {
    const dir = tempDir('migrate');
    const f = await funded(dir, 96, false);
    let mint = f.mint;
    const { ks, proofs } = f;
    const oldBodies = proofs.slice(0, 16).map((p) => ({ inputs: [p], outputs: wire(prepare([1]), ks) }));
    const first = await fire(mint, oldBodies);
    expect(first.every((o) => o.ok)).toBe(true);
    await mint.store.close();
    // Make it a version 1 ledger whose operations (these swaps, the mints) have no outputs list.
    {
      const db = new Database(join(dir, LEDGER_FILE));
      db.exec('UPDATE operations SET outputs = NULL');
      db.close();
    }
    downgradeToV1(join(dir, LEDGER_FILE));
    mint = await openMint(dir, { backgroundCheckpoint: true });
    {
      const db = store(mint).db;
      expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(SCHEMA_VERSION));
      expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'spent_op'").pluck().get()).toBe(0);
      expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'promises_op'").pluck().get()).toBe(1);
    }
    // Operations stored before the migration replay through promises_op, which the ledger keeps.
    expect(JSON.stringify(await fire(mint, oldBodies))).toBe(JSON.stringify(first));

    let pool = proofs.slice(16);
    const done: { body: SwapBody; out: Outcome }[] = oldBodies.map((body, i) => ({ body, out: first[i] }));
    let spentTotal = 16;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pick: fc.nat(), kind: fc.constantFrom('fresh', 'fresh', 'replay', 'old', 'double', 'forged') }), { minLength: 1, maxLength: 30 }),
        async (plan) => {
          const bodies: SwapBody[] = [];
          const picks: number[] = [];
          const expected: (Outcome | null)[] = [];
          for (const step of plan) {
            const i = step.pick % pool.length;
            if (step.kind === 'old') {
              // a replay of an operation committed in an earlier round (before or after the migration)
              const d = done[step.pick % done.length];
              bodies.push(d.body);
              picks.push(-2);
              expected.push(d.out);
            } else if (step.kind === 'double') {
              // an earlier round's input again, with new outputs
              const d = done[step.pick % done.length];
              bodies.push({ inputs: d.body.inputs, outputs: wire(prepare([1]), ks) });
              picks.push(-2);
              expected.push({ ok: false, code: 11001 });
            } else if (step.kind === 'replay' && bodies.length > 0 && picks[picks.length - 1] >= 0) {
              bodies.push(bodies[bodies.length - 1]);
              picks.push(picks[picks.length - 1]);
              expected.push(null);
            } else if (step.kind === 'forged') {
              bodies.push({ inputs: [{ ...pool[i], C: pool[(i + 1) % pool.length].C }], outputs: wire(prepare([1]), ks) });
              picks.push(-1);
              expected.push({ ok: false, code: 10001 });
            } else {
              bodies.push({ inputs: [pool[i]], outputs: wire(prepare([1]), ks) });
              picks.push(i);
              expected.push(null);
            }
          }
          const out = await fire(mint, bodies);
          const won = new Map<number, number>();
          for (let j = 0; j < bodies.length; j++) {
            const o = out[j];
            const e = expected[j];
            if (e) {
              expect(JSON.stringify(o)).toBe(JSON.stringify(e));
              continue;
            }
            if (!o.ok) {
              expect(o.code).toBe(11001);
              continue;
            }
            const w = won.get(picks[j]);
            if (w === undefined) won.set(picks[j], j);
            else {
              expect(bodies[w]).toBe(bodies[j]);
              expect(JSON.stringify(out[w])).toBe(JSON.stringify(o));
            }
          }
          expect(won.size).toBe(new Set(picks.filter((i) => i >= 0)).size);
          spentTotal += won.size;
          const audit = await mint.audit();
          expect(audit.problems).toEqual([]);
          expect(audit.spent).toBe(spentTotal);
          const next = pool.slice();
          for (const [i, j] of won) {
            const o = out[j];
            if (!o.ok) throw new Error('unreachable');
            done.push({ body: bodies[j], out: o });
            const prep = bodies[j].outputs.map((x) => preparedByB.get(x.B_)!);
            next[i] = finish(prep, o.sigs, ks)[0];
          }
          pool = next;
        },
      ),
      { numRuns: 25 },
    );
    await mint.store.close();
  }, 180_000);

  it('the audit reports spent or signed rows whose operation is missing', async () => {
    const dir = tempDir('stray');
    const { mint } = await funded(dir, 2, false);
    await mint.store.close();
    const db = new Database(join(dir, LEDGER_FILE));
    db.pragma('foreign_keys = OFF');
    const ks = (db.prepare('SELECT id FROM keysets LIMIT 1').get() as { id: string }).id;
    db.prepare('INSERT INTO spent (y, amount, keyset_id, op_id) VALUES (?, 1, ?, ?)').run('02' + 'aa'.repeat(32), ks, 'no-such-op');
    db.close();
    const again = await openMint(dir);
    const audit = await again.audit();
    expect(audit.ok).toBe(false);
    expect(audit.problems.join('; ')).toMatch(/without an operation/);
    await again.store.close();
  });
});
