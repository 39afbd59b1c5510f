/**
 * Nothing lost on a crash (docs/handoff.md §5): `hood mss` is killed with SIGKILL in the middle of a paid
 * session and started again on the same data dir. The PDA (the real firmware bundle on an emulated board)
 * loses its broker, keeps trying with its ticket, and comes back under the same TmpId with the same
 * paid-until, which the MSS had on disk (routes.sqlite) before it answered PAID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { joinSession } from '../../host/demo/emu-session';
import { EmuPda as Pda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { coinsFromMssBank, type StoredProof } from './mss-coins';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { freePort, waitForPort } from '../mqtt/node-board';

let dir: string;
let mssDir: string;
let port: number;
let bankPort: number;
let child: ChildProcess | null = null;
let pda: EmuPda | null = null;
let proofs: StoredProof[] = [];
let identityKey = '';

function startChild(): ChildProcess {
  const c = spawn(
    process.execPath,
    [resolve('bin/hood.js'), 'mss', '--listen', '127.0.0.1:' + port, '--data-dir', mssDir, '--bank-listen', '127.0.0.1:' + bankPort, '--no-mail', '--price', '2', '--grace', '10', '--beacon-period', '5', '--log-level', 'warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  c.stderr!.on('data', () => undefined);
  return c;
}

function routeOf(tmpId: string): { paidUntil: number } | undefined {
  const db = new Database(join(mssDir, 'routes.sqlite'), { readonly: true });
  try {
    const r = db.prepare('SELECT state FROM routes WHERE tmp_id = ?').get(tmpId) as { state: string } | undefined;
    return r ? (JSON.parse(r.state)['16'] as { paidUntil: number }) : undefined;
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  dir = testDir('hood-kill-');
  mssDir = join(dir, 'mss');
  port = await freePort();
  bankPort = await freePort();
  ({ identityKey, proofs } = await coinsFromMssBank(mssDir, bankPort, dir));
}, 60_000);

afterAll(async () => {
  pda?.powerOff();
  if (child && child.exitCode === null && child.signalCode === null) {
    const c = child;
    c.kill('SIGTERM');
    await new Promise((r) => c.once('exit', r));
  }
  removeTestDir(dir);
});

describe('kill -9 of the MSS mid-session', () => {
  it('the PDA resumes its TmpId and paid time from the restarted MSS', async () => {
    child = startChild();
    await waitForPort(port, 30_000);
    pda = new Pda({ bundlePath: BUNDLE });
    pda.cmd({ cmd: 'config', brokerHost: '127.0.0.1', brokerPort: port, mssId: 'doug' });
    pda.cmd({ cmd: 'pin', mssId: 'doug', key: identityKey });
    pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs }));
    const joined = await joinSession(pda, 30_000);
    const paid = await pda.waitFor('paid', 30_000);
    expect(paid.paidForSec).toBeGreaterThan(0);
    await pda.waitFor('ticket', 10_000);
    const before = routeOf(joined.tmpId);
    expect(before?.paidUntil).toBeGreaterThan(Date.now());

    const since = pda.events.length;
    const dead = child;
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    await pda.waitFor('moving', 10_000, since);
    child = startChild();
    const back = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 90_000, since);
    expect(back).toMatchObject({ ev: 'resumed', tmpId: joined.tmpId });
    expect(back.tmpMac).not.toBe(joined.tmpMac);
    // Paid: a ticket request (a channel the MSS serves only to paid sessions) is answered.
    const n = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0x40, payload: '01' });
    await pda.waitFor('ticket', 10_000, n);
    expect(routeOf(joined.tmpId)?.paidUntil).toBe(before!.paidUntil);
  }, 180_000);
});
