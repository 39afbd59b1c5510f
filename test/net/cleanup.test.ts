/** A failing or interrupted lab run leaves no namespace (and no process, no work directory) behind. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { pidAlive } from '../../host/lab/names';
import { runLab } from '../../host/lab/run';
import { Testbed } from '../../host/lab/testbed';
import { namespacesOf, requireLabHost } from './helpers';

/** The run's work directories (`<tmpdir>/<prefix>-XXXXXX`, its MSS keys inside) still present. */
const workDirsOf = (prefix: string) => readdirSync(tmpdir()).filter((n) => n.startsWith(prefix + '-'));

describe('lab cleanup', () => {
  beforeAll(() => requireLabHost());

  for (const step of ['stations', 'pdas'] as const) {
    it(`a failure injected after setup step "${step}" leaves no namespace behind`, async () => {
      let prefix = '';
      let seen: string[] = [];
      await expect(
        runLab({
          pdas: 2,
          sessions: 1,
          failAfter: step,
          onPrefix: (p) => (prefix = p),
          log: (s) => {
            if (s.startsWith('setup: ' + step)) seen = namespacesOf(prefix);
          },
        }),
      ).rejects.toThrow('injected failure after setup step ' + step);
      expect(seen.length).toBe(4); // the namespaces did exist when it failed
      expect(namespacesOf(prefix)).toEqual([]);
      expect(workDirsOf(prefix)).toEqual([]);
    });
  }

  it('down() stops every process of the run by pid', async () => {
    const tb = await Testbed.up({ pdas: 1 });
    expect(existsSync(tb.workDir)).toBe(true);
    const pids = tb.pdas.map((p) => p.proc.pid!);
    expect(pids.every((p) => pidAlive(p))).toBe(true);
    expect(namespacesOf(tb.prefix)).toHaveLength(3);
    expect(await tb.down()).toEqual([]);
    expect(pids.some((p) => pidAlive(p))).toBe(false);
    expect(namespacesOf(tb.prefix)).toEqual([]);
    expect(existsSync(tb.workDir)).toBe(false);
  });

  it('SIGINT during `hood lab run` tears the run down', async () => {
    const cli = spawn(process.execPath, [resolve('bin/hood.js'), 'lab', 'run', '--pdas', '2', '--sessions', '50'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let prefix = '';
    const exited = new Promise<number | null>((r) => cli.on('exit', (c) => r(c)));
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error('lab did not start: ' + out)), 60_000);
      cli.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /lab run (hoodlab-\S+)/.exec(out);
        if (m) prefix = m[1];
        // interrupt in the middle: namespaces made, processes being started
        if (prefix && /setup: (dhcp|mss|pdas) done|session 0/.test(out)) {
          clearTimeout(t);
          res();
        }
      });
    });
    expect(namespacesOf(prefix).length).toBe(4);
    cli.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    expect(code).toBe(130);
    expect(namespacesOf(prefix)).toEqual([]);
    expect(workDirsOf(prefix)).toEqual([]);
  }, 120_000);

  it('two runs at once do not collide, and each removes only its own namespaces', async () => {
    const [a, b] = await Promise.all([runLab({ pdas: 1, sessions: 1 }), runLab({ pdas: 1, sessions: 1 })]);
    expect(a.prefix).not.toBe(b.prefix);
    expect(a.sessions).toHaveLength(1);
    expect(b.sessions).toHaveLength(1);
    expect([...namespacesOf(a.prefix), ...namespacesOf(b.prefix)]).toEqual([]);
  }, 120_000);

  it('`hood lab down` removes what a SIGKILLed run left (namespaces and the processes in them)', async () => {
    const cli = spawn(process.execPath, [resolve('bin/hood.js'), 'lab', 'run', '--pdas', '1', '--sessions', '50'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    await new Promise<void>((res, rej) => {
      const t = setTimeout(() => rej(new Error('lab did not start: ' + out)), 60_000);
      cli.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (/session 0/.test(out)) (clearTimeout(t), res());
      });
    });
    const prefix = /lab run (hoodlab-\S+)/.exec(out)![1];
    const exited = new Promise((r) => cli.on('exit', r));
    cli.kill('SIGKILL'); // no handler runs: the namespaces stay
    await exited;
    expect(namespacesOf(prefix).length).toBe(3);
    expect(workDirsOf(prefix)).toHaveLength(1); // SIGKILL: nothing removed it
    const down = spawnSync(process.execPath, [resolve('bin/hood.js'), 'lab', 'down'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(down.status, down.stderr).toBe(0);
    expect(down.stdout).toContain(prefix + '-mss');
    expect(namespacesOf(prefix)).toEqual([]);
    expect(workDirsOf(prefix)).toEqual([]);
  }, 120_000);
});
