/**
 * Unlinkability on the wire: 3 PDAs x 3 anonymous sessions through the namespace testbed, captured on the
 * bridge, audited from the capture alone. Then the same audit must FAIL on deliberately leaky PDAs.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { auditPcap, type AuditReport } from '../../host/audit/audit';
import { isLocalUnicast } from '../../host/audit/identifiers';
import { runLab, type LabRunResult } from '../../host/lab/run';
import { countFrames, namespacesOf, requireLabHost, sourceMacs, tmpFile } from './helpers';

/** `hood audit pcap ...` as a user runs it: exit code and stdout. */
function hoodAudit(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [resolve('bin/hood.js'), 'audit', 'pcap', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('exit', (code) => (clearTimeout(t), res({ code, stdout, stderr })));
  });
}

const burnedArgs = (r: LabRunResult) => r.pdas.flatMap((p) => ['--burned-in', p.burnedIn]);

describe('testbed: 3 PDAs x 3 anonymous sessions', () => {
  let run: LabRunResult;
  let report: AuditReport;
  const pcap = tmpFile('clean.pcap');

  beforeAll(async () => {
    requireLabHost();
    run = await runLab({ pdas: 3, sessions: 3, pcap });
    report = await auditPcap(pcap, { burnedIn: run.pdas.map((p) => p.burnedIn) });
  }, 120_000);

  it('ran 9 sessions and removed every namespace of the run', () => {
    expect(run.sessions.filter((s) => s.mode === 'anonymous')).toHaveLength(9);
    expect(run.leftover).toEqual([]);
    expect(namespacesOf(run.prefix)).toEqual([]);
  });

  it('the audit finds the 9 sessions in the capture and zero leaks', () => {
    expect(report.leaks).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.sessionCount).toBe(9);
    for (const s of report.sessions) {
      expect(s.leaseIp).toMatch(/^10\.77\.0\.\d+$/);
      expect(s.mqttConnections).toBe(1);
      // every layer's identifier is present, so "no leak" is not "nothing seen"
      for (const k of ['mac', 'dhcp-client-id', 'dhcp-hostname', 'dhcp-xid', 'mqtt-client-id', 'tcp-src-port']) expect(s.identifiers[k], k).toHaveLength(1);
    }
    expect(report.identifiersChecked).toBeGreaterThanOrEqual(9 * 6);
  });

  it('the session MACs on the wire are exactly the TmpMACs the PDAs loaded, one per session', () => {
    const wire = report.sessions.map((s) => s.identifiers.mac[0]).sort();
    expect(wire).toEqual(run.sessions.map((s) => s.mac).sort());
    expect(new Set(wire).size).toBe(9);
    const ids = report.sessions.map((s) => s.identifiers['mqtt-client-id'][0]).sort();
    expect(ids).toEqual(run.sessions.map((s) => s.clientId).sort());
  });

  it('the burned-in MACs never appear, and every PDA source MAC is unicast + locally administered', () => {
    for (const p of run.pdas) {
      expect(countFrames(pcap, `eth.addr == ${p.burnedIn} || arp.src.hw_mac == ${p.burnedIn} || dhcp.hw.mac_addr == ${p.burnedIn}`), p.burnedIn).toBe(0);
    }
    const clients = sourceMacs(pcap, 'frame').filter((m) => report.infrastructureMacs.indexOf(m) < 0);
    expect(clients.length).toBeGreaterThanOrEqual(9);
    for (const m of clients) expect(isLocalUnicast(m), m).toBe(true);
  });

  it('`hood audit pcap` exits 0 with a JSON report on the clean capture', async () => {
    const r = await hoodAudit([pcap, ...burnedArgs(run)]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ok).toBe(true);
    expect(j.sessionCount).toBe(9);
  }, 60_000);
});

describe('a deliberately leaky build is caught by the audit', () => {
  let run: LabRunResult;
  let report: AuditReport;
  const pcap = tmpFile('leaky.pcap');

  beforeAll(async () => {
    requireLabHost();
    run = await runLab({ pdas: 3, sessions: 2, pcap, leaks: { 0: ['mqtt-client-id'], 1: ['mac'], 2: ['hostname'] } });
    report = await auditPcap(pcap, { burnedIn: run.pdas.map((p) => p.burnedIn) });
  }, 120_000);

  it('reports each leak, with the sessions it links', () => {
    expect(report.ok).toBe(false);
    expect(report.sessionCount).toBe(6);
    const find = (kind: string, reason: string) => report.leaks.filter((l) => l.kind === kind && l.reason === reason);
    // PDA 0 reuses its MQTT client id: two sessions linked by it.
    const cid = find('mqtt-client-id', 'reused');
    expect(cid).toHaveLength(1);
    expect(cid[0].sessions).toHaveLength(2);
    // PDA 1's driver never loaded the TmpMAC: its burned-in MAC is on the wire.
    expect(find('mac', 'home').map((l) => l.value)).toEqual([run.pdas[1].burnedIn]);
    expect(find('mac', 'global-mac').map((l) => l.value)).toEqual([run.pdas[1].burnedIn]);
    // PDA 2 sends the vendor-default host name in both sessions.
    expect(find('dhcp-hostname', 'reused').map((l) => l.value)).toEqual(['esp32-' + run.pdas[2].burnedIn.replace(/:/g, '').slice(6)]);
    expect(namespacesOf(run.prefix)).toEqual([]);
  });

  it('`hood audit pcap` exits 1 on it, and 2 on a file that is not a capture', async () => {
    const bad = tmpFile('not-a.pcap');
    writeFileSync(bad, 'this is not a capture\n');
    const [leaky, broken] = await Promise.all([hoodAudit([pcap, ...burnedArgs(run)]), hoodAudit([bad, '--burned-in', '24:0a:c4:00:00:01'])]);
    expect(leaky.code, leaky.stderr).toBe(1);
    expect(JSON.parse(leaky.stdout).leaks.length).toBeGreaterThanOrEqual(4);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/tshark cannot read/);
  }, 60_000);
});
