/**
 * SIGKILL the bank process (a child run with tsx) in the middle of many concurrent swaps, restart
 * it on the same data dir, and check: audit() invariant holds; every swap is all-or-nothing (its
 * inputs are spent iff its outputs are signed; no proof is both spent and still un-reissued); every
 * swap the client saw acknowledged is still there and a retry returns the very same signatures.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openMint, LEDGER_FILE } from '../../host/bank/service';
import { BankClient } from '../../host/wallet/bank-client';
import { finishProofs, prepareOutputs, wireOutputs, type PreparedOutputs } from '../../host/wallet/blinding';
import type { WireSignature } from '../../host/wallet/client';
import type { Proof } from '../../host/wallet/types';
import { cleanupTempDirs, tempDir } from './helpers';
import { RUN_TS } from '../helpers/run-ts';

const ROOT = join(import.meta.dirname, '..', '..');
const children: ChildProcess[] = [];

function spawnBank(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [RUN_TS, join(ROOT, 'host/bank/main.ts'), '--listen', '127.0.0.1:0', '--data-dir', dir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, HOOD_LOG_LEVEL: 'info' },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bank did not start')), 30_000);
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error('bank exited ' + code + ': ' + err)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
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

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanupTempDirs();
});

it('SIGKILL during concurrent swaps loses no acknowledged swap and never half-applies one', async () => {
  const dir = tempDir('crash');
  // Admin work on the data dir directly (WAL allows it beside the running bank).
  const admin = await openMint(dir);
  const acct = await admin.createAccount('bob');
  await admin.creditAccount('bob', 1000);
  await admin.store.close();

  const first = await spawnBank(dir);
  const client = new BankClient(first.url);
  const ks = await client.ring.active();
  const q = await client.createMintQuote(48);
  await client.payMintQuote(q.quote, acct.token);
  const prepMint = prepareOutputs(new Array(48).fill(1), ks);
  const proofs: Proof[] = finishProofs(prepMint, await client.mint(q.quote, wireOutputs(prepMint)), ks);

  const swaps = proofs.map((p) => ({ input: p, outputs: prepareOutputs([1], ks) as PreparedOutputs, ack: null as WireSignature[] | null }));
  let acked = 0;
  const killAfter = 8 + Math.floor(Math.random() * 16);
  const inflight = swaps.map((s) =>
    client.postSwap([s.input], wireOutputs(s.outputs)).then(
      (sigs) => {
        s.ack = sigs;
        if (++acked === killAfter) first.child.kill('SIGKILL');
      },
      () => undefined,
    ),
  );
  await Promise.all(inflight);
  await new Promise<void>((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r() : first.child.once('exit', () => r())));
  expect(first.child.signalCode).toBe('SIGKILL');
  expect(acked).toBeGreaterThanOrEqual(killAfter);
  expect(acked).toBeLessThan(swaps.length);

  const second = await spawnBank(dir);
  const again = new BankClient(second.url);
  const states = await again.checkState(swaps.map((s) => s.input));
  const db = new Database(join(dir, LEDGER_FILE), { readonly: true });
  const signed = db.prepare('SELECT 1 FROM promises WHERE b_ = ?');
  let committed = 0;
  for (let i = 0; i < swaps.length; i++) {
    const s = swaps[i];
    const outputSigned = !!signed.get(s.outputs.items[0].B_);
    // all-or-nothing: input spent <=> its output signed
    expect(states[i] === 'SPENT').toBe(outputSigned);
    if (s.ack) expect(states[i]).toBe('SPENT');
    if (states[i] === 'SPENT') {
      committed++;
      // A retry gets the first answer: identical to what was acknowledged before the crash.
      const replay = await again.postSwap([s.input], wireOutputs(s.outputs));
      if (s.ack) expect(replay).toEqual(s.ack);
      expect(finishProofs(s.outputs, replay, ks)).toHaveLength(1);
    }
  }
  db.close();
  expect(committed).toBeGreaterThanOrEqual(acked);
  second.child.kill('SIGTERM');
  await new Promise<void>((r) => second.child.once('exit', () => r()));

  const after = await openMint(dir);
  const audit = await after.audit();
  await after.store.close();
  expect(audit.problems).toEqual([]);
  expect(audit.ok).toBe(true);
  expect(audit.issued).toBe(48 + committed);
  expect(audit.spent).toBe(committed);
  expect(audit.outstanding).toBe(48);
});
