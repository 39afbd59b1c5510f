/** `hood bench nymble --json`: one JSON object with the documented figures, and the checks it measures did what they should. */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('hood bench nymble', () => {
  it('prints ticket-check, lookup and issue figures; every fresh ticket accepted, every complained user refused', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'nymble', '--json', '--users', '200', '--entries', '20000'], {
      encoding: 'utf8',
      timeout: 180_000,
      killSignal: 'SIGKILL',
    });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]);
    expect(j.periodsPerWindow).toBe(288);
    expect(j.linkedEntries).toBe(20000 + 100);
    expect(j.allAccepted).toBe(true);
    expect(j.allLinkedRefused).toBe(true);
    expect(j.ticketCheckUs.n).toBe(200);
    for (const k of ['p50', 'p99', 'mean']) expect(j.ticketCheckUs[k]).toBeGreaterThan(0);
    expect(j.blacklistLookupNs.full).toBeGreaterThan(0);
    expect(j.blacklistLookupNs.smallEntries).toBe(200);
    expect(j.issue.ticketsPerSec).toBeGreaterThan(0);
    expect(j.pdaStatusCheckMs.entries).toBe(100);
  }, 200_000);

  it('refuses nonsense options', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'nymble', '--users', '0'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/at least 1/);
  }, 70_000);
});
