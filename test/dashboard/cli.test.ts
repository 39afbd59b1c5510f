/**
 * `hood mss --dashboard` as an operator runs it: the token is printed once on the terminal (stderr), never in
 * the log, the dashboard answers 401 without it and 200 with it, and a second start prints no token.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { testDir } from '../helpers/temp-dir';
import { get } from './fixture';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Start `hood mss` with a free-of-charge, mail-less gateway and the dashboard on a free port; resolve on its URL line. */
function hoodMss(dataDir: string): Promise<{ child: ChildProcess; url: string; out: () => string; exit: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/hood.js'), 'mss', '--data-dir', dataDir, '--price', '0', '--no-mail', '--listen', '127.0.0.1:0', '--dashboard', '127.0.0.1:0'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  started.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const t = setInterval(() => {
      const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\//m.exec(out);
      if (m) {
        clearInterval(t);
        resolve({ child, url: m[1], out: () => out, exit });
      }
    }, 50);
    void exit.then(() => {
      clearInterval(t);
      reject(new Error('hood mss exited: ' + out));
    });
    setTimeout(() => {
      clearInterval(t);
      reject(new Error('no dashboard line: ' + out));
    }, 50_000);
  });
}

describe('hood mss --dashboard', () => {
  it('prints the token once, outside the log; 401 without it, 200 with it; no token on the next start', async () => {
    const dataDir = join(testDir('hood-dash-cli-'), 'mss');
    const a = await hoodMss(dataDir);
    const m = /^dashboard access token \(shown once, keep it\): ([A-Za-z0-9_-]{43})$/m.exec(a.out());
    expect(m, a.out()).not.toBeNull();
    const token = m![1];
    // Only the one line holds it: no JSON log line carries the token.
    expect(a.out().split('\n').filter((l) => l.includes(token))).toHaveLength(1);
    expect((await get(a.url + '/metrics')).status).toBe(401);
    const r = await get(a.url + '/metrics', { headers: { Authorization: 'Bearer ' + token } });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/^hood_sessions 0$/m);
    a.child.kill('SIGTERM');
    expect(await a.exit).toBe(0);

    const b = await hoodMss(dataDir);
    expect(b.out()).not.toMatch(/access token/);
    expect((await get(b.url + '/', { headers: { Authorization: 'Bearer ' + token } })).status).toBe(200);
    b.child.kill('SIGTERM');
    expect(await b.exit).toBe(0);
  });
});
