/**
 * Paper §2.4 on the wire: in home mode the PDA is itself (burned-in MAC, fixed host name and client
 * ids); after switching to anonymous mode nothing of that identity, and nothing linking the anonymous
 * sessions to it or to each other, reaches the medium.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { auditPcap, type AuditReport } from '../../host/audit/audit';
import { runLab, type LabRunResult } from '../../host/lab/run';
import { countFrames, namespacesOf, requireLabHost, tmpFile } from './helpers';

describe('home mode, then anonymous mode', () => {
  let run: LabRunResult;
  const pcap = tmpFile('modes.pcap');
  let strict: AuditReport;
  let withHome: AuditReport;

  beforeAll(async () => {
    requireLabHost();
    run = await runLab({ pdas: 2, sessions: 2, pcap, homeFirst: true });
    const burnedIn = run.pdas.map((p) => p.burnedIn);
    [strict, withHome] = await Promise.all([
      auditPcap(pcap, { burnedIn, homeIds: run.homeIds }),
      auditPcap(pcap, { burnedIn, homeIds: run.homeIds, allowHome: true }),
    ]);
  }, 120_000);

  it('home mode really uses the home identity on the wire', () => {
    expect(run.sessions.filter((s) => s.mode === 'home').map((s) => s.mac)).toEqual(run.pdas.map((p) => p.burnedIn));
    for (const p of run.pdas) expect(countFrames(pcap, `eth.src == ${p.burnedIn} && dhcp`)).toBeGreaterThan(0);
    // so an audit that allows no home session must fail on this capture
    expect(strict.ok).toBe(false);
    expect(strict.leaks.some((l) => l.kind === 'mac' && l.reason === 'home')).toBe(true);
    expect(strict.leaks.some((l) => l.kind === 'mqtt-client-id' && l.reason === 'home')).toBe(true);
  });

  it('the anonymous sessions after the switch share nothing with home mode or with each other', () => {
    expect(withHome.leaks).toEqual([]);
    expect(withHome.sessionCount).toBe(6);
    expect(withHome.homeSessions).toBe(2);
    const home = withHome.sessions.filter((s) => s.mode === 'home');
    for (const s of home) {
      expect(run.pdas.map((p) => p.burnedIn)).toContain(s.identifiers.mac[0]);
      expect(run.homeIds).toContain(s.identifiers['mqtt-client-id'][0]);
    }
    expect(namespacesOf(run.prefix)).toEqual([]);
  });
});
