/**
 * `hood federation keygen/sign/show` as a user runs them (`node bin/hood.js`): the key file is 0600 and
 * never overwritten, the signed list loads, `show` verifies before it prints and refuses a tampered list.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { loadFederation } from '../../host/federation/list';
import { testDir } from '../helpers/temp-dir';
import { signer } from './fixtures';

function hood(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['bin/hood.js', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hood federation', () => {
  it('keygen, sign, show', async () => {
    const dir = testDir('hood-fed-cli-');
    const key = join(dir, 'fed.key');
    const list = join(dir, 'list.json');
    const k = await hood(['federation', 'keygen', '--out', key, '--json']);
    expect(k.code).toBe(0);
    const pub = JSON.parse(k.stdout).federationKey as string;
    expect(pub).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).not.toContain(pub); // the file holds the private key, not just the public one

    const again = await hood(['federation', 'keygen', '--out', key]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; refusing to overwrite/);

    const d = toHex(signer(11).publicKey);
    const e = toHex(signer(12).publicKey);
    const s = await hood(['federation', 'sign', '--key', key, '--name', 'north', '--member', 'doug=' + d + '@http://127.0.0.1:4001', '--member', 'erin=' + e + '@https://erin.example:4443/', '--out', list]);
    expect(s.code, s.stderr).toBe(0);
    const f = loadFederation(list);
    expect(toHex(f.federationKey)).toBe(pub);
    expect(f.members.map((m) => [m.mssId, m.url])).toEqual([['doug', 'http://127.0.0.1:4001'], ['erin', 'https://erin.example:4443']]);

    const shown = await hood(['federation', 'show', list, '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ federation: 'north', federationKey: pub, members: [{ mssId: 'doug', identityKey: d }, { mssId: 'erin', identityKey: e }] });
    const text = await hood(['federation', 'show', list]);
    expect(text.stdout).toMatch(/north \(verified\)/);

    const j = JSON.parse(readFileSync(list, 'utf8'));
    j.members[1].url = 'http://127.0.0.1:6666';
    writeFileSync(list, JSON.stringify(j));
    const tampered = await hood(['federation', 'show', list]);
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toBe('');
    expect(tampered.stderr).toMatch(/signature does not verify/);
  }, 240_000);

  it('refuses bad members and a key file others can read', async () => {
    const dir = testDir('hood-fed-cli-');
    const key = join(dir, 'fed.key');
    expect((await hood(['federation', 'keygen', '--out', key])).code).toBe(0);
    const d = toHex(signer(11).publicKey);
    const dup = await hood(['federation', 'sign', '--key', key, '--name', 'north', '--member', 'doug=' + d + '@http://a:1', '--member', 'erin=' + d + '@http://b:1']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/duplicate member identity key/);
    const badUrl = await hood(['federation', 'sign', '--key', key, '--name', 'north', '--member', 'doug=' + d + '@ftp://a']);
    expect(badUrl.code).not.toBe(0);
    expect(badUrl.stderr).toMatch(/http/);
    const { chmodSync } = await import('node:fs');
    chmodSync(key, 0o644);
    const open = await hood(['federation', 'sign', '--key', key, '--name', 'north', '--member', 'doug=' + d + '@http://a:1']);
    expect(open.code).toBe(1);
    expect(open.stderr).toMatch(/too open/);
  }, 240_000);
});
