/**
 * A private PostgreSQL server for tests: Debian's binaries (package `postgresql`), a fresh cluster
 * (initdb, trust authentication) in a test temp dir, listening on 127.0.0.1 at a free port only.
 * PostgreSQL refuses to run as root, so when the tests run as root the server runs as the
 * `postgres` system user (runuser). `stop()` shuts it down (fast shutdown) and removes the cluster.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { removeTestDir, testDir } from '../helpers/temp-dir';

export interface PgServer {
  port: number;
  /** URL of a new, empty database on this server. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  throw new Error('PostgreSQL server not installed (Debian package postgresql)');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const asRoot = process.getuid?.() === 0;

/** argv run as the postgres user when we are root, else as ourselves. */
function asPostgres(argv: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', ...argv]] : [argv[0], argv.slice(1)];
}

export async function startPgServer(): Promise<PgServer> {
  const bin = binDir();
  const dir = testDir('hood-pg-');
  const data = join(dir, 'data');
  mkdirSync(data, { mode: 0o700 });
  if (asRoot) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    if (ids.status !== 0) throw new Error('no postgres system user (installed with the postgresql package)');
    chmodSync(dir, 0o711);
    chownSync(data, Number(ids.stdout.trim()), Number(gid.stdout.trim()));
    const can = spawnSync('runuser', ['-u', 'postgres', '--', 'test', '-w', data]);
    if (can.status !== 0) {
      removeTestDir(dir);
      throw new Error('the postgres user cannot reach ' + data + ' (a parent directory of the temp dir is not searchable)');
    }
  }
  const [cmd, args] = asPostgres([join(bin, 'initdb'), '-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  const init = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000 });
  if (init.status !== 0) {
    removeTestDir(dir);
    throw new Error('initdb failed: ' + init.stderr);
  }
  let child: ChildProcess | null = null;
  let port = 0;
  let log = '';
  for (let attempt = 0; attempt < 5 && !child; attempt++) {
    port = await freePort();
    const [c, a] = asPostgres([
      join(bin, 'postgres'), '-D', data, '-p', String(port), '-k', data,
      '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=60', '-c', 'shared_buffers=16MB',
    ]);
    const p = spawn(c, a, { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    if (await waitReady(port, p)) child = p;
    else {
      p.kill('SIGKILL');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!child) {
    removeTestDir(dir);
    throw new Error('postgres did not start: ' + log);
  }
  const server = child;
  const base = 'postgres://postgres@127.0.0.1:' + port + '/';
  return {
    port,
    async createDatabase(name: string) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error('bad database name');
      const c = new pg.Client({ connectionString: base + 'postgres' });
      await c.connect();
      try {
        await c.query('CREATE DATABASE ' + name);
      } finally {
        await c.end();
      }
      return base + name;
    },
    async stop() {
      if (server.exitCode === null && server.signalCode === null) {
        // SIGINT to the postmaster itself (the runuser parent may not forward it): fast shutdown.
        const pidFile = join(data, 'postmaster.pid');
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGINT');
          } catch {
            /* already gone */
          }
        }
        const exited = new Promise<boolean>((r) => server.once('exit', () => r(true)));
        const ok = await Promise.race([exited, new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
        if (!ok) {
          if (pid > 0) {
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* already gone */
            }
          }
          server.kill('SIGKILL');
        }
      }
      removeTestDir(dir);
    },
  };
}

async function waitReady(port: number, p: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 150; i++) {
    if (p.exitCode !== null || p.signalCode !== null) return false;
    const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:' + port + '/postgres' });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.end();
      return true;
    } catch {
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return false;
}
