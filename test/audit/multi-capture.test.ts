/**
 * `hood audit pcap A B`: captures of the air at two MSSs audited together, as tshark reads them. A PDA
 * that hands off with a fresh TmpMAC leaves nothing that links its two sessions; one that keeps its MAC
 * is reported as a `reused` leak across the two captures, and the command exits 1.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { writePcap } from './pcap-writer';

const dir = testDir('hood-audit-multi-');
afterAll(() => removeTestDir(dir));

function capture(name: string, mac: string, ip: string, t0: number): string {
  const f = join(dir, name);
  writePcap(f, [0, 1, 2, 3].map((i) => ({ t: t0 + i, srcMac: mac, srcIp: ip, topic: 'hood/up', payloadLen: 512 })));
  return f;
}

function audit(files: string[]) {
  const r = spawnSync(process.execPath, ['bin/hood.js', 'audit', 'pcap', ...files, '--burned-in', '24:0a:c4:12:34:56', '--json'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
  return { status: r.status, stderr: r.stderr, report: r.stdout ? JSON.parse(r.stdout) : null };
}

describe('hood audit pcap over the captures of two MSSs', () => {
  it('a fresh TmpMAC at the second MSS: no leak, exit 0, sessions named by capture', () => {
    const a = capture('mss-a-fresh.pcap', '26:11:22:33:44:01', '10.77.0.5', 1_700_000_000);
    const b = capture('mss-b-fresh.pcap', '2a:55:66:77:88:02', '10.77.0.5', 1_700_000_060);
    const r = audit([a, b]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.report.ok).toBe(true);
    expect(r.report.files).toEqual([a, b]);
    expect(r.report.sessions.map((s: { capture: string }) => s.capture)).toEqual([a, b]);
  }, 90_000);

  it('the same MAC at both MSSs: a reused leak across the two captures, exit 1', () => {
    const a = capture('mss-a-kept.pcap', '26:11:22:33:44:01', '10.77.0.5', 1_700_000_000);
    const b = capture('mss-b-kept.pcap', '26:11:22:33:44:01', '10.77.0.9', 1_700_000_060);
    const r = audit([a, b]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.report.leaks).toHaveLength(1);
    expect(r.report.leaks[0]).toMatchObject({ reason: 'reused', kind: 'mac', value: '26:11:22:33:44:01', sessions: [0, 1] });
    expect(r.report.leaks[0].detail).toMatch(/across 2 captures/);
  }, 90_000);
});
