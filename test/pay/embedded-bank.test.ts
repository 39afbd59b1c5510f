/**
 * The MSS's embedded bank is a child process (host/bank/embedded.ts): setupPayment waits until it
 * is ready, admin work (accounts) goes through its IPC channel with tokens never in argv, the
 * environment or a log, its logs reach the MSS's log, it stops on close (SIGTERM, then SIGKILL),
 * and it exits by itself when the MSS process dies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../host/common/log';
import { BankAdminError, spawnBank } from '../../host/bank/embedded';
import { DEFAULT_PRICE, setupPayment } from '../../host/pay/setup';
import { cleanupTempDirs, tempDir } from '../bank/helpers';
import { RUN_TS } from '../helpers/run-ts';

const ROOT = join(import.meta.dirname, '..', '..');
const started: ChildProcess[] = [];
/** Bank processes a failing run could leave behind. */
const banks: number[] = [];

afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const pid of banks) if (running(pid)) process.kill(pid, 'SIGKILL');
  cleanupTempDirs();
});

/** Gone, or a zombie nobody has reaped yet: either way no longer running. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync('/proc/' + pid + '/stat', 'utf8');
    return !/^\d+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function capture() {
  const lines: string[] = [];
  const log = createLogger({
    level: 'info',
    name: 'mss',
    destination: new Writable({
      write(c, _e, cb) {
        lines.push(...String(c).split('\n').filter(Boolean));
        cb();
      },
    }),
  });
  return { log, lines, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('embedded bank process', () => {
  it('setupPayment starts it, waits until it serves, creates the MSS account in it, forwards its logs, and stops it', async () => {
    const dir = tempDir('embedded');
    const cap = capture();
    const p = await setupPayment({ dataDir: dir, log: cap.log, price: DEFAULT_PRICE, bankListen: { host: '127.0.0.1', port: 0 }, account: 'doug' });
    const bank = p.bank!;
    try {
      expect(bank.pid).not.toBe(process.pid);
      expect(running(bank.pid)).toBe(true);
      expect(p.bankUrl).toBe(bank.url);
      expect(((await (await fetch(bank.url + '/v1/info')).json()) as any).nuts['4'].methods[0].method).toBe('account');
      // The MSS account exists in the child's ledger already.
      await expect(bank.mint.createAccount('doug')).rejects.toThrow(/already taken/);

      const bob = await bank.mint.createAccount('bob');
      expect(bob.token).toMatch(/^hoodacct_/);
      expect(await bank.mint.creditAccount('bob', 70)).toBe(70);
      const r = await fetch(bank.url + '/v1/account/balance', { headers: { authorization: 'Bearer ' + bob.token } });
      expect(await r.json()).toMatchObject({ name: 'bob', balance: 70 });
      expect((await bank.mint.audit()).ok).toBe(true);
      await expect(bank.mint.creditAccount('nobody', 1)).rejects.toBeInstanceOf(BankAdminError);

      // Tokens never in the child's argv or environment.
      const cmdline = readFileSync('/proc/' + bank.pid + '/cmdline', 'utf8');
      const environ = readFileSync('/proc/' + bank.pid + '/environ', 'utf8');
      expect(cmdline).toContain('host/bank/main.ts');
      expect(cmdline + environ).not.toContain('hoodacct_');

      // The bank's request log lines arrive in the MSS log, as bank lines; no token in them.
      expect(await until(() => cap.json().some((j) => j.name === 'bank' && j.msg === 'request' && j.route === 'balance' && j.status === 200), 5000)).toBe(true);
      expect(cap.json().some((j) => j.name === 'bank' && j.msg === 'listening')).toBe(true);
      expect(cap.lines.join('\n')).not.toContain(bob.token);
      // The secret is everything after `hoodacct_<id>_`: base64url, so it may itself contain '_'.
      expect(cap.lines.join('\n')).not.toContain(bob.token.split('_').slice(2).join('_'));
    } finally {
      await p.close();
    }
    expect(running(bank.pid)).toBe(false);
    await p.close(); // twice is fine
    await expect(bank.mint.audit()).rejects.toThrow(/not running/);
    expect(cap.json().some((j) => j.event === 'bank_exited')).toBe(false); // a requested stop is not an error
  });

  it('a bank that does not stop on SIGTERM is killed after the timeout', async () => {
    const bank = await spawnBank({ dataDir: tempDir('stuck'), host: '127.0.0.1', port: 0, log: silentLogger(), stopTimeoutMs: 300 });
    process.kill(bank.pid, 'SIGSTOP'); // a stopped process cannot act on SIGTERM; SIGKILL still ends it
    const t0 = Date.now();
    await bank.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(running(bank.pid)).toBe(false);
  });

  it('a bank that crashes is reported in the MSS log and its admin requests fail instead of hanging', async () => {
    const cap = capture();
    const bank = await spawnBank({ dataDir: tempDir('crash'), host: '127.0.0.1', port: 0, log: cap.log });
    process.kill(bank.pid, 'SIGKILL');
    expect(await until(() => cap.json().some((j) => j.event === 'bank_exited' && j.signal === 'SIGKILL'), 5000)).toBe(true);
    await expect(bank.mint.createAccount('bob')).rejects.toBeInstanceOf(BankAdminError);
    await bank.close();
  });

  it('a bank that cannot start (port taken) fails setupPayment with its reason, which is in the MSS log', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    const cap = capture();
    try {
      await expect(setupPayment({ dataDir: tempDir('taken'), log: cap.log, price: DEFAULT_PRICE, bankListen: { host: '127.0.0.1', port } })).rejects.toThrow(/EADDRINUSE/);
      expect(cap.json().some((j) => j.name === 'bank' && typeof j.stderr === 'string' && /EADDRINUSE/.test(j.stderr as string))).toBe(true);
    } finally {
      blocker.close();
    }
  });

  it('exits by itself when the MSS process dies (no orphan)', async () => {
    const dir = tempDir('orphan');
    const parent = spawn(process.execPath, [RUN_TS, join(ROOT, 'test/pay/fixtures/bank-parent.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    started.push(parent);
    const info = await new Promise<{ pid: number; url: string }>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('stand-in MSS did not start its bank')), 30_000);
      createInterface({ input: parent.stdout! }).once('line', (l) => {
        clearTimeout(t);
        resolve(JSON.parse(l));
      });
    });
    banks.push(info.pid);
    expect(running(info.pid)).toBe(true);
    expect((await fetch(info.url + '/v1/keysets')).status).toBe(200);
    parent.kill('SIGKILL');
    expect(await until(() => !running(info.pid), 10_000)).toBe(true);
    await expect(fetch(info.url + '/v1/keysets')).rejects.toThrow();
    // The ledger was closed cleanly enough to reopen.
    expect(existsSync(join(dir, 'ledger.sqlite'))).toBe(true);
  });
});
