/**
 * Group commit (host/bank/ledger/group-commit.ts): concurrent swaps share one transaction, each in
 * its own savepoint. Double spends inside one group fail alone, replays get the first answer, no
 * answer leaves before COMMIT, and a SIGKILL inside a group leaves none of it.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openMint, LEDGER_FILE } from '../../host/bank/service';
import type { Mint } from '../../host/bank/mint';
import type { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { BankError } from '../../host/cashu/errors';
import { activeKeys, finish, mintOnes, prepare, preparedByB, wire, type KeysetKeys, type TestProof } from './fast-wallet';
import { cleanupTempDirs, tempDir } from './helpers';
import { RUN_TS } from '../helpers/run-ts';

const ROOT = join(import.meta.dirname, '..', '..');
afterAll(() => cleanupTempDirs());

type SwapBody = { inputs: TestProof[]; outputs: { amount: number; id: string; B_: string }[] };
type Outcome = { ok: true; sigs: { C_: string }[] } | { ok: false; code: number };

async function fire(mint: Mint, bodies: SwapBody[]): Promise<Outcome[]> {
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

async function fundedMint(dir: string, n: number): Promise<{ mint: Mint; ks: KeysetKeys; proofs: TestProof[] }> {
  const mint = await openMint(dir);
  const { token } = await mint.createAccount('bob');
  await mint.creditAccount('bob', n);
  const proofs = await mintOnes(mint, 'Bearer ' + token, n);
  return { mint, ks: activeKeys(mint), proofs };
}

function storeOf(mint: Mint): SqliteLedgerStore {
  return mint.store as SqliteLedgerStore;
}

describe('group commit in process', () => {
  it('200 concurrent swaps with double spends, replays, reused outputs and bad proofs in the same groups', async () => {
    const { mint, ks, proofs } = await fundedMint(tempDir('gc'), 120);
    const stats0 = { ...storeOf(mint).group.stats };
    const bodies: SwapBody[] = [];
    const inputOf: number[] = [];
    for (let i = 0; i < 120; i++) {
      bodies.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) });
      inputOf.push(i);
      if (i % 3 === 0) {
        // the same proof again with other outputs: a double spend
        bodies.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) });
        inputOf.push(i);
      }
      if (i % 5 === 0) {
        // the very same request again: a replay (NUT-03 idempotency)
        bodies.push(bodies[bodies.length - 1]);
        inputOf.push(i);
      }
    }
    // a forged proof (C of another proof): refused before the ledger
    bodies.push({ inputs: [{ ...proofs[1], C: proofs[2].C }], outputs: wire(prepare([1]), ks) });
    inputOf.push(-1);
    const out = await fire(mint, bodies);
    expect(storeOf(mint).group.stats.largest).toBeGreaterThan(10);

    const winners = new Map<number, { body: SwapBody; sigs: string }>();
    for (let j = 0; j < bodies.length; j++) {
      const o = out[j];
      const i = inputOf[j];
      if (i < 0) {
        expect(o).toEqual({ ok: false, code: 10001 });
        continue;
      }
      if (!o.ok) {
        expect(o.code).toBe(11001);
        continue;
      }
      const w = winners.get(i);
      const sigs = JSON.stringify(o.sigs);
      if (w) {
        // a second success for one proof is only the same request, with the same answer
        expect(w.body).toBe(bodies[j]);
        expect(w.sigs).toBe(sigs);
      } else winners.set(i, { body: bodies[j], sigs });
    }
    expect(winners.size).toBe(120);
    const st = storeOf(mint).group.stats;
    expect(st.groups - stats0.groups).toBeLessThan(st.jobs - stats0.jobs);
    const audit = await mint.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.spent).toBe(120);
    expect(audit.issued).toBe(240);
    await mint.store.close();
  });

  it('one output B_ in two different swaps of one group: signed once, the other refused 11003', async () => {
    const { mint, ks, proofs } = await fundedMint(tempDir('gc2'), 2);
    const shared = wire(prepare([1]), ks);
    const out = await fire(mint, [
      { inputs: [proofs[0]], outputs: shared },
      { inputs: [proofs[1]], outputs: shared },
    ]);
    expect(out.map((o) => (o.ok ? 'ok' : o.code)).sort()).toEqual([11003, 'ok']);
    // the refused swap spent nothing: its proof still swaps
    const again = await fire(mint, [{ inputs: [out[0].ok ? proofs[1] : proofs[0]], outputs: wire(prepare([1]), ks) }]);
    expect(again[0].ok).toBe(true);
    expect((await mint.audit()).problems).toEqual([]);
    await mint.store.close();
  });

  it('random groups over a small pool of proofs: each proof spent once, replays answered alike, audit balanced', async () => {
    const { mint, ks, proofs } = await fundedMint(tempDir('gc3'), 64);
    let pool = proofs;
    let spentTotal = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ pick: fc.nat(), kind: fc.constantFrom('fresh', 'fresh', 'replay', 'forged') }), { minLength: 1, maxLength: 40 }),
        async (plan) => {
          const bodies: SwapBody[] = [];
          const picks: number[] = [];
          for (const step of plan) {
            const i = step.pick % pool.length;
            if (step.kind === 'replay' && bodies.length > 0) {
              bodies.push(bodies[bodies.length - 1]);
              picks.push(picks[picks.length - 1]);
            } else if (step.kind === 'forged') {
              bodies.push({ inputs: [{ ...pool[i], secret: pool[i].secret + 'x' }], outputs: wire(prepare([1]), ks) });
              picks.push(-1);
            } else {
              bodies.push({ inputs: [pool[i]], outputs: wire(prepare([1]), ks) });
              picks.push(i);
            }
          }
          const out = await fire(mint, bodies);
          const won = new Map<number, number>();
          for (let j = 0; j < bodies.length; j++) {
            const o = out[j];
            if (picks[j] < 0) {
              expect(o).toEqual({ ok: false, code: 10001 });
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
          // Every pool proof is unspent before the round, so each one tried has exactly one winner.
          const tried = new Set(picks.filter((i) => i >= 0));
          expect(won.size).toBe(tried.size);
          spentTotal += won.size;
          const audit = await mint.audit();
          expect(audit.problems).toEqual([]);
          expect(audit.spent).toBe(spentTotal);
          // Replace each spent proof by the proof its swap issued: the pool stays unspent.
          const next = pool.slice();
          for (const [i, j] of won) {
            const o = out[j];
            if (!o.ok) throw new Error('unreachable');
            const p = preparedByB.get(bodies[j].outputs[0].B_)!;
            next[i] = finish([p], [{ amount: 1, C_: o.sigs[0].C_ }], ks)[0];
          }
          pool = next;
        },
      ),
      { numRuns: 40 },
    );
    await mint.store.close();
  });
});


function runKillChild(dir: string, planPath: string): Promise<{ lines: string[]; signal: string | null; err: string }> {
  const child = spawn(process.execPath, [RUN_TS, join(ROOT, 'test/bank/fixtures/group-kill.ts'), dir, planPath], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve({ lines: out.split('\n').filter(Boolean), signal, err });
    });
  });
}

describe('SIGKILL inside a group', () => {
  it.each([0, 7, 29])('killed after %i savepoints of a group: every acknowledged swap is there, none of the group is', async (killAt) => {
    const dir = tempDir('gckill');
    const { mint, ks, proofs } = await fundedMint(dir, 60);
    await mint.store.close();
    const phase1: SwapBody[] = [];
    for (let i = 0; i < 20; i++) {
      phase1.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) });
      if (i % 4 === 0) phase1.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) }); // double spend
    }
    const phase2: SwapBody[] = [];
    for (let i = 20; i < 60; i++) {
      phase2.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) });
      if (i % 3 === 0) phase2.push({ inputs: [proofs[i]], outputs: wire(prepare([1]), ks) }); // double spend in the group
    }
    const planPath = join(dir, 'plan.json');
    writeFileSync(planPath, JSON.stringify({ phase1, phase2, killAt }));
    const r = await runKillChild(dir, planPath);
    expect(r.err).toBe('');
    expect(r.signal).toBe('SIGKILL');
    expect(r.lines).toHaveLength(1); // phase 1's answers; no phase-2 swap was acknowledged
    const acks = JSON.parse(r.lines[0]).phase1 as Outcome[];
    expect(acks.filter((a) => a.ok)).toHaveLength(20);

    const db = new Database(join(dir, LEDGER_FILE), { readonly: true });
    const signed = db.prepare('SELECT c_ FROM promises WHERE b_ = ?');
    for (let j = 0; j < phase1.length; j++) {
      const a = acks[j];
      const row = signed.get(phase1[j].outputs[0].B_) as { c_: string } | undefined;
      if (a.ok) expect(row?.c_).toBe(a.sigs[0].C_);
      else expect(row).toBeUndefined();
    }
    for (const b of phase2) expect(signed.get(b.outputs[0].B_)).toBeUndefined();
    expect((db.prepare('SELECT COUNT(*) n FROM spent').get() as { n: number }).n).toBe(20);
    db.close();

    // Restarted: the books balance and every phase-2 proof is still unspent and swaps once.
    const again = await openMint(dir);
    expect((await again.audit()).problems).toEqual([]);
    const retry = await fire(again, phase2);
    const okBy = new Map<string, number>();
    phase2.forEach((b, j) => {
      if (retry[j].ok) okBy.set(b.inputs[0].secret, (okBy.get(b.inputs[0].secret) || 0) + 1);
    });
    expect(okBy.size).toBe(40);
    expect([...okBy.values()].every((n) => n === 1)).toBe(true);
    const audit = await again.audit();
    expect(audit.problems).toEqual([]);
    expect(audit.spent).toBe(60);
    await again.store.close();
  });
});
