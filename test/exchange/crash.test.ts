/**
 * `hood exchange` as a process: a share acknowledged by PUT is committed, so after kill -9 and a
 * restart on the same data dir it is still there (and the server keeps its id, which every
 * pseudonym depends on). `add-mss` prints the token once and stores only its hash.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ExchangeClient } from '../../host/exchange/client';
import { MAX_SLOTS } from '../../shared/src/exchange/pseudonym';
import { testDir } from '../helpers/temp-dir';

const run = promisify(execFile);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const live: ChildProcess[] = [];

/** Start `hood exchange --json` and wait for its one line {url, id}. */
function startExchange(dataDir: string): Promise<{ proc: ChildProcess; url: string; id: string }> {
  const proc = spawn(process.execPath, ['bin/hood.js', 'exchange', '--data-dir', dataDir, '--listen', '127.0.0.1:0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  live.push(proc);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const t = setTimeout(() => reject(new Error('hood exchange did not start: ' + err)), 30_000);
    proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(t);
        const j = JSON.parse(out.slice(0, nl)) as { url: string; id: string };
        resolve({ proc, url: j.url, id: j.id });
      }
    });
    proc.on('exit', (code) => reject(new Error('hood exchange exited with ' + code + ': ' + err)));
  });
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

afterEach(async () => {
  for (const p of live.splice(0)) {
    if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    await exited(p);
  }
});

describe('hood exchange (process)', () => {
  it('an acknowledged share survives kill -9 and a restart on the same data dir', async () => {
    const dir = testDir('hood-exchange-crash-');
    const tokenFile = join(dir, 'doug.token');
    const added = await run(process.execPath, ['bin/hood.js', 'exchange', 'add-mss', '--data-dir', dir, '--mss', 'doug', '--token-out', tokenFile, '--json']);
    expect(JSON.parse(added.stdout)).toEqual({ mss: 'doug', tokenFile });
    const token = readFileSync(tokenFile, 'utf8').trim();

    const a = await startExchange(dir);
    const c1 = new ExchangeClient({ url: a.url, token });
    const p = new Uint8Array(randomBytes(32));
    const share = new Uint8Array(randomBytes(4096));
    expect(await c1.put(p, share)).toBe('stored');
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    expect(a.proc.signalCode).toBe('SIGKILL');

    const b = await startExchange(dir);
    expect(b.id).toBe(a.id);
    const c2 = new ExchangeClient({ url: b.url, token });
    const got = await c2.pickup(4096, [p, ...Array.from({ length: MAX_SLOTS - 1 }, () => new Uint8Array(randomBytes(32)))]);
    expect(hex(got[0])).toBe(hex(share));
    b.proc.kill('SIGTERM');
    await exited(b.proc);
    expect(b.proc.exitCode).toBe(0);
  });

  it('add-mss prints the token once; a second add for the same MSS is refused', async () => {
    const dir = testDir('hood-exchange-add-');
    const r = await run(process.execPath, ['bin/hood.js', 'exchange', 'add-mss', '--data-dir', dir, '--mss', 'erin']);
    const m = /token ([A-Za-z0-9_-]{43})/.exec(r.stdout);
    expect(m).not.toBeNull();
    expect(readFileSync(join(dir, 'exchange.sqlite')).includes(Buffer.from(m![1]))).toBe(false);
    const again = await run(process.execPath, ['bin/hood.js', 'exchange', 'add-mss', '--data-dir', dir, '--mss', 'erin']).catch((e: { code: number; stderr: string }) => e);
    expect((again as { code: number }).code).toBe(1);
    expect((again as { stderr: string }).stderr).toMatch(/MSS erin already has a token/);
  });
});
