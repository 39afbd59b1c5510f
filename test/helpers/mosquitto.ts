/**
 * Debian's mosquitto as an external broker, started by the test on a free loopback port with a config
 * file of its own. Missing mosquitto is a failure, not a skip: CI installs it (apt-get install mosquitto).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_USER, renderMosquittoConfig } from '../../host/mss/mosquitto/config';
import { freePort, waitForPort } from '../mqtt/node-board';
import { removeTestDir, testDir } from './temp-dir';

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

/** Files to put beside the config and the config itself (default: an open broker, anonymous clients may do anything). */
export interface MosquittoSetup {
  files?: Record<string, string>;
  conf?: (dir: string, port: number) => string;
}

export async function startMosquitto(setup: MosquittoSetup = {}): Promise<Running> {
  const bin = findMosquitto();
  const port = await freePort();
  const dir = testDir('hood-mosq-');
  const conf = join(dir, 'mosquitto.conf');
  for (const [name, text] of Object.entries(setup.files || {})) writeFileSync(join(dir, name), text, { mode: 0o600 });
  writeFileSync(
    conf,
    setup.conf
      ? setup.conf(dir, port)
      : ['listener ' + port + ' 127.0.0.1', 'allow_anonymous true', 'persistence false', 'log_dest stderr', ''].join('\n'),
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
  removeTestDir(r.dir);
}


/** A mosquitto 2.0 password_file line (what `mosquitto_passwd` writes: $7$ = PBKDF2-HMAC-SHA512, 101 rounds, 12-byte salt). */
export function passwdLine(user: string, password: string): string {
  const salt = randomBytes(12);
  return user + ':$7$101$' + salt.toString('base64') + '$' + pbkdf2Sync(password, salt, 101, 64, 'sha512').toString('base64') + '\n';
}

export interface HardenedMosquitto extends Running {
  url: string;
  gatewayUser: string;
  gatewayPassword: string;
}

/** mosquitto with the shipped configuration (host/mss/mosquitto) rendered for `mssId`, on a free loopback port. */
export async function startHardenedMosquitto(mssId = 'doug'): Promise<HardenedMosquitto> {
  const gatewayPassword = randomBytes(18).toString('base64url');
  const r = await startMosquitto({
    conf: (dir, port) => {
      const f = renderMosquittoConfig({ mssId, confDir: dir, listener: port + ' 127.0.0.1' });
      for (const name of ['hood.acl', 'hood-dynsec.json'] as const) writeFileSync(join(dir, name), f[name], { mode: 0o600 });
      writeFileSync(join(dir, 'hood.passwd'), passwdLine(GATEWAY_USER, gatewayPassword), { mode: 0o600 });
      // Test-only additions: no state on disk, log to the test, and (as root) keep root so the 0700 temp dir stays readable.
      const extra = ['persistence false', 'log_dest stderr', ...(process.getuid?.() === 0 ? ['user root'] : [])];
      return f['hood.conf'] + extra.join('\n') + '\n';
    },
  });
  return { ...r, url: 'mqtt://127.0.0.1:' + r.port, gatewayUser: GATEWAY_USER, gatewayPassword };
}

/**
 * Restart the broker in place: SIGTERM (clients see their connections drop), then the same config on the
 * same port again. Retained messages are gone (persistence false), as after a real restart without them.
 */
export async function restartMosquitto(r: Running, downMs = 0): Promise<Running> {
  r.proc.kill('SIGTERM');
  await r.exited;
  if (downMs > 0) await new Promise((res) => setTimeout(res, downMs));
  const proc = spawn(findMosquitto(), ['-c', join(r.dir, 'mosquitto.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (d) => r.log.push(String(d)));
  proc.stderr!.on('data', (d) => r.log.push(String(d)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await Promise.race([
    waitForPort(r.port, 10000),
    exited.then(() => {
      throw new Error('mosquitto exited early: ' + r.log.join(''));
    }),
  ]);
  return { proc, port: r.port, dir: r.dir, log: r.log, exited };
}
