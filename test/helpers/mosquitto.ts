/**
 * Debian's mosquitto as an external broker, started by the test on a free loopback port with a config
 * file of its own. Missing mosquitto is a failure, not a skip: CI installs it (apt-get install mosquitto).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForPort } from '../mqtt/node-board';

function findMosquitto(): string {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto']) if (existsSync(p)) return p;
  const w = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  if (w.status === 0 && w.stdout.trim()) return w.stdout.trim();
  throw new Error('mosquitto not installed: apt-get install -y mosquitto');
}

export interface Running {
  proc: ChildProcess;
  port: number;
  dir: string;
  log: string[];
  exited: Promise<void>;
}

export async function startMosquitto(): Promise<Running> {
  const bin = findMosquitto();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hood-mosq-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    ['listener ' + port + ' 127.0.0.1', 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'),
  );
  const proc = spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log: string[] = [];
  proc.stdout!.on('data', (d) => log.push(String(d)));
  proc.stderr!.on('data', (d) => log.push(String(d)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  try {
    await Promise.race([
      waitForPort(port, 10000),
      exited.then(() => {
        throw new Error('mosquitto exited early: ' + log.join(''));
      }),
    ]);
  } catch (e) {
    await stopMosquitto({ proc, port, dir, log, exited });
    throw e;
  }
  return { proc, port, dir, log, exited };
}

/** Stop only the process this test spawned (by its own handle/pid) and remove its config dir. */
export async function stopMosquitto(r: Running): Promise<void> {
  if (r.proc.exitCode === null && r.proc.signalCode === null) {
    r.proc.kill('SIGTERM');
    const t = setTimeout(() => r.proc.kill('SIGKILL'), 3000);
    await r.exited;
    clearTimeout(t);
  }
  rmSync(r.dir, { recursive: true, force: true });
}

