/**
 * `hood mss` as an operator runs it: the mix is on by default (its queue file appears in the data
 * dir), `--mix-mean-delay 0` turns it off, and bad values are refused before anything starts.
 */
import { spawn } from 'node:child_process';
import { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerMssCommands } from '../../host/cli/commands/mss';
import { testDir } from '../helpers/temp-dir';

async function runMss(dataDir: string, extra: string[]): Promise<string> {
  const p = spawn(process.execPath, ['bin/hood.js', 'mss', '--price', '0', '--listen', '127.0.0.1:0', '--smtp-listen', '127.0.0.1:0', '--data-dir', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((res) => p.on('exit', (c) => res(c)));
  try {
    await expect.poll(() => out.includes('"mss_started"'), { timeout: 80_000, interval: 100 }).toBe(true);
  } finally {
    p.kill('SIGTERM');
  }
  expect(await exited).toBe(0);
  return out;
}

describe('hood mss mix options', () => {
  it('default: the mix is on (queue file in <data-dir>/mail); --mix-mean-delay 0: off', async () => {
    const on = testDir('hood-mix-cli-on-');
    await runMss(on, []);
    expect(existsSync(join(on, 'mail', 'mix.sqlite'))).toBe(true);
    const off = testDir('hood-mix-cli-off-');
    await runMss(off, ['--mix-mean-delay', '0']);
    expect(existsSync(join(off, 'mail', 'mix.sqlite'))).toBe(false);
  }, 180_000); // two `hood mss` start-ups on a loaded machine

  it('refuses bad values and documents the options', () => {
    const program = new Command().exitOverride();
    registerMssCommands(program);
    const mss = program.commands.find((c) => c.name() === 'mss')!;
    mss.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    mss.action(() => {
      throw new Error('must not start');
    });
    for (const bad of [['--mix-mean-delay', '-1'], ['--mix-mean-delay', 'soon'], ['--mix-mean-delay', '9999999'], ['--mix-max-queued', '0'], ['--mix-max-queued', '1e3']])
      expect(() => program.parse(['node', 'hood', 'mss', ...bad])).toThrow(/mix-(mean-delay|max-queued)/);
    const help = mss.helpInformation();
    expect(help).toMatch(/--mix-mean-delay <sec>[\s\S]*default: 1800/);
    expect(help).toMatch(/--mix-max-queued <n>[\s\S]*default: 10000/);
  });
});
