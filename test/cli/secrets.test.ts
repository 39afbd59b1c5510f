/**
 * Passwords and tokens never come from argv (every local user can read it): the old flags are refused
 * with what to use instead, without echoing the secret; environment variables, 0600 files and a
 * no-echo terminal prompt work; a 0644 file is refused. `hood mss --broker` as a user runs it:
 * an open broker is refused naming the ACL files; the hardened one starts with the password from
 * $HOOD_BROKER_PASSWORD or --broker-password-file, and no output line carries the password.
 */
import { spawn } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../host/cli/hood';
import { promptHidden, readSecret } from '../../host/common/secret-input';
import { startHardenedMosquitto, startMosquitto, stopMosquitto, type HardenedMosquitto, type Running } from '../helpers/mosquitto';
import { testDir } from '../helpers/temp-dir';

const dirs: string[] = [];
const tmp = () => {
  const d = testDir('hood-secrets-');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SECRET = 'Sup3r-Secret-Value';

async function parse(args: string[]): Promise<Error> {
  const p = buildProgram();
  for (const c of [p, ...p.commands]) c.configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  return p.parseAsync(['node', 'hood', ...args]).then(
    () => new Error('accepted'),
    (e: Error) => e,
  );
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `hood …`; `until` (if given) is awaited on stdout, then the process gets SIGTERM. */
function hood(args: string[], opts: { env?: Record<string, string>; until?: RegExp; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/hood.js', ...args], { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error('hood ' + args.join(' ') + ' timed out; stdout: ' + stdout + ' stderr: ' + stderr));
    }, opts.timeoutMs ?? 60_000);
    p.stdout.on('data', (d) => {
      stdout += d;
      if (opts.until && opts.until.test(stdout)) p.kill('SIGTERM');
    });
    p.stderr.on('data', (d) => (stderr += d));
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('argv forms of secrets are refused, saying what to use', () => {
  it.each([
    [['wallet', 'withdraw', '--amount', '1', '--bank', 'http://127.0.0.1:1', '--account-token', SECRET], /--account-token is not accepted.*\$HOOD_ACCOUNT_TOKEN, --account-token-file FILE/],
    [['board', 'config', '--port', '/dev/null', '--wifi-ssid', 'net', '--wifi-password', SECRET], /--wifi-password is not accepted.*\$HOOD_WIFI_PASSWORD, --wifi-password-file FILE/],
    [['mss', '--broker', 'mqtt://127.0.0.1:1', '--broker-username', 'hood-mss', '--broker-password', SECRET], /--broker-password is not accepted.*\$HOOD_BROKER_PASSWORD, --broker-password-file FILE/],
  ])('%j', async (args, msg) => {
    const e = await parse(args as string[]);
    expect(e.message).toMatch(msg as RegExp);
    expect(e.message).not.toContain(SECRET);
  });

  it('a password inside the --broker URL', async () => {
    const e = await parse(['mss', '--broker', 'mqtt://hood-mss:' + SECRET + '@127.0.0.1:1', '--price', '0', '--no-mail']);
    expect(e.message).toMatch(/--broker must not carry credentials.*HOOD_BROKER_PASSWORD/);
    expect(e.message).not.toContain(SECRET);
  });
});

describe('readSecret: file, environment, prompt', () => {
  const spec = { what: 'Wi-Fi password', envVar: 'HOOD_WIFI_PASSWORD', fileFlag: '--wifi-password-file' };

  it('a 0600 file (one trailing newline dropped) wins over the environment; a 0644 file is refused', async () => {
    const f = join(tmp(), 'pw');
    writeFileSync(f, SECRET + ' with spaces\n', { mode: 0o600 });
    expect(await readSecret({ ...spec, file: f, env: { HOOD_WIFI_PASSWORD: 'other' } })).toBe(SECRET + ' with spaces');
    chmodSync(f, 0o644);
    await expect(readSecret({ ...spec, file: f })).rejects.toThrow('permissions 0644 for ' + f + ' are too open; chmod 600 ' + f);
  });

  it('the environment variable; nothing without a terminal', async () => {
    const notTty = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream;
    expect(await readSecret({ ...spec, env: { HOOD_WIFI_PASSWORD: SECRET }, stdin: notTty })).toBe(SECRET);
    expect(await readSecret({ ...spec, env: {}, stdin: notTty })).toBeUndefined();
  });

  it('the prompt turns echo off while reading and restores it', async () => {
    const modes: boolean[] = [];
    const tty = Object.assign(new PassThrough(), { isTTY: true, isRaw: false, setRawMode: (b: boolean) => modes.push(b) }) as unknown as NodeJS.ReadStream;
    const out = new PassThrough();
    let shown = '';
    out.on('data', (d) => (shown += d));
    const p = promptHidden('Wi-Fi password: ', tty, out);
    tty.push('ab\u007fc d\r');
    expect(await p).toBe('ac d');
    expect(modes).toEqual([true, false]);
    expect(shown).toBe('Wi-Fi password: \n');
  });
});

describe('secrets reach the command', () => {
  it('board config reads --wifi-password-file before opening the board: 0644 refused, 0600 read', async () => {
    const f = join(tmp(), 'wifi');
    writeFileSync(f, SECRET, { mode: 0o644 });
    chmodSync(f, 0o644);
    const port = join(tmp(), 'no-such-tty');
    expect((await parse(['board', 'config', '--port', port, '--wifi-ssid', 'net', '--wifi-password-file', f])).message).toMatch(/too open; chmod 600/);
    chmodSync(f, 0o600);
    const e = await parse(['board', 'config', '--port', port, '--wifi-ssid', 'net', '--wifi-password-file', f]);
    expect(e.message).not.toMatch(/too open|not accepted/); // past the secret: fails on the missing port
    expect(e.message).not.toContain(SECRET);
  });

  it('wallet withdraw takes the token from --account-token-file (0600) and refuses a 0644 one', async () => {
    const f = join(tmp(), 'token');
    writeFileSync(f, SECRET + '\n', { mode: 0o644 });
    chmodSync(f, 0o644);
    const base = ['wallet', '--data-dir', tmp(), 'withdraw', '--amount', '1', '--bank', 'http://127.0.0.1:1'];
    expect((await parse([...base, '--account-token-file', f])).message).toMatch(/permissions 0644 for .* are too open; chmod 600/);
    chmodSync(f, 0o600);
    const e = await parse([...base, '--account-token-file', f]);
    expect(e.message).not.toMatch(/too open|token is required/); // past the token: the bank at port 1 is not there
    expect(e.message).not.toContain(SECRET);
  });
});

describe('hood mss --broker', () => {
  let open: Running;
  let hard: HardenedMosquitto;
  beforeAll(async () => {
    open = await startMosquitto();
    hard = await startHardenedMosquitto('doug');
  });
  afterAll(async () => {
    if (open) await stopMosquitto(open);
    if (hard) await stopMosquitto(hard);
  });
  const mss = (url: string, extra: string[] = []) => ['mss', '--broker', url, '--data-dir', tmp(), '--price', '0', '--no-mail', '--log-level', 'debug', ...extra];

  it('exits non-zero on an open broker, naming the ACL files', async () => {
    const r = await hood(mss('mqtt://127.0.0.1:' + open.port));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/hood: the broker at mqtt:\/\/127\.0\.0\.1:\d+ lets any anonymous client .*hood\.conf with hood\.acl and hood-dynsec\.json.*--allow-open-broker/);
  });

  it('starts on the hardened broker with $HOOD_BROKER_PASSWORD; no output carries the password', async () => {
    const r = await hood(mss(hard.url, ['--broker-username', hard.gatewayUser]), { env: { HOOD_BROKER_PASSWORD: hard.gatewayPassword }, until: /"event":"mss_started"/ });
    expect(r.stdout).toMatch(/"event":"broker_checked"/);
    expect(r.stdout).toMatch(/"event":"mss_stopped"/);
    expect(r.stdout + r.stderr).not.toContain(hard.gatewayPassword);
  });

  it('reads --broker-password-file (0600) and refuses it at 0644', async () => {
    const f = join(tmp(), 'broker-pw');
    writeFileSync(f, hard.gatewayPassword + '\n', { mode: 0o600 });
    const ok = await hood(mss(hard.url, ['--broker-username', hard.gatewayUser, '--broker-password-file', f]), { env: { HOOD_BROKER_PASSWORD: '' }, until: /"event":"mss_started"/ });
    expect(ok.stdout).toMatch(/"event":"mss_stopped"/);
    expect(ok.stdout + ok.stderr).not.toContain(hard.gatewayPassword);
    chmodSync(f, 0o644);
    const bad = await hood(mss(hard.url, ['--broker-username', hard.gatewayUser, '--broker-password-file', f]), { env: { HOOD_BROKER_PASSWORD: '' } });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('permissions 0644 for ' + f + ' are too open; chmod 600 ' + f);
  });
});
