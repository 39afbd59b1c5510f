/**
 * The one run-until-signal helper, in a real process with real signals: the first SIGINT or SIGTERM
 * runs the stop once and the process exits 0 with no handler left behind, also when it comes while
 * the service starts; a second Ctrl-C during a slow stop kills it outright; work that ends by itself
 * stops without a signal. Then the side entry
 * that uses it for the bank: SIGINT stops a stand-alone bank.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signalExitCode } from '../../host/cli/signals';
import { testDir } from '../helpers/temp-dir';
import { RUN_TS } from '../helpers/run-ts';

const ROOT = join(import.meta.dirname, '..', '..');
const started: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  out: () => string;
  waitFor: (re: RegExp) => Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(entry: string, args: string[], env: Record<string, string> = {}): Proc {
  const child = spawn(process.execPath, [RUN_TS, join(ROOT, entry), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const w of waiters.slice()) if (w.re.test(out)) (waiters.splice(waiters.indexOf(w), 1), w.resolve());
  });
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(out)) return resolve();
      const t = setTimeout(() => reject(new Error('no ' + re + ' in: ' + out)), 60_000);
      waiters.push({ re, resolve: () => (clearTimeout(t), resolve()) });
      void exit.then(() => setTimeout(() => reject(new Error('exited without ' + re + ': ' + out)), 100));
    });
  return { child, out: () => out, waitFor, exit };
}

const FIXTURE = 'test/cli/fixtures/until-signal.ts';

describe('runUntilSignal', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)('%s runs the stop once, then the process exits 0 with no handler left', async (sig) => {
    const p = start(FIXTURE, []);
    await p.waitFor(/ready/);
    p.child.kill(sig);
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(p.out()).toBe('ready\nstop service ' + sig + '\nstopped ' + sig + ' listeners 0\n');
  }, 90_000);

  it('a second SIGINT during a slow stop kills the process (the handlers came off at the first)', async () => {
    const p = start(FIXTURE, [], { STOP_MS: '30000' });
    await p.waitFor(/ready/);
    p.child.kill('SIGINT');
    await p.waitFor(/stop service SIGINT/);
    p.child.kill('SIGINT');
    expect(await p.exit).toEqual({ code: null, signal: 'SIGINT' });
    expect(p.out()).not.toMatch(/stopped/);
  }, 90_000);

  it('a signal while the service starts stops it once it is up', async () => {
    const p = start(FIXTURE, [], { START_MS: '1500' });
    await p.waitFor(/starting/);
    p.child.kill('SIGTERM');
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(p.out()).toBe('starting\nready\nstop service SIGTERM\nstopped SIGTERM listeners 0\n');
  }, 90_000);

  it('work that ends by itself stops without a signal', async () => {
    const p = start(FIXTURE, [], { ENDED_MS: '200' });
    expect(await p.exit).toEqual({ code: 0, signal: null });
    expect(p.out()).toBe('ready\nstop service ended\nstopped ended listeners 0\n');
  }, 90_000);

  it('exit statuses as the shell reports them', () => {
    expect(signalExitCode('SIGINT')).toBe(130);
    expect(signalExitCode('SIGTERM')).toBe(143);
  });
});

describe('host/bank/main.ts on the shared parser', () => {
  it('a stand-alone bank stops on SIGINT and exits 0', async () => {
    const dir = testDir('hood-bank-main-');
    dirs.push(dir);
    const p = start('host/bank/main.ts', ['--listen', '127.0.0.1:0', '--data-dir', dir, '--quote-ttl', '60']);
    await p.waitFor(/"msg":"listening"/);
    p.child.kill('SIGINT');
    expect(await p.exit).toEqual({ code: 0, signal: null });
  }, 90_000);

  it.each([
    [['--listen', 'nope'], /--listen <host:port>' argument 'nope' is invalid\. expected host:port/],
    [['--quote-ttl', '0'], /--quote-ttl <sec>' argument '0' is invalid\. expected a number of at least 1/],
    [['--max-unpaid-quotes', '1e3'], /expected a whole number/],
    [['--no-such-flag'], /unknown option '--no-such-flag'/],
  ])('refuses %j before it opens anything', async (args, msg) => {
    const p = start('host/bank/main.ts', args as string[]);
    const r = await p.exit;
    expect(r.code).not.toBe(0);
    expect(p.out()).toMatch(msg as RegExp);
  }, 90_000);
});
