/**
 * `hood demo --exchanges 3 --json`: the whole session with the drop box split over 3 exchange servers
 * run in-process — every server held a share of the reply (the MSS kept none), the later session
 * picked it up through a round of 3 buckets × 3 servers, of which 6 carried no share.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const hood = (args: string[]) => spawnSync(process.execPath, ['bin/hood.js', ...args], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });

describe('hood demo --exchanges', () => {
  it('3 servers: dropBox picked up, 3 shares, 9 pickup requests of which 6 cover', () => {
    const r = hood(['demo', '--exchanges', '3', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const o = JSON.parse(r.stdout);
    expect(o).toMatchObject({ ok: true, dropBox: true, exchangeServers: 3, dropBoxShares: 3, pickupRequests: 9, coverRequests: 6, burnedInMacSeen: false });
  }, 150_000);

  it('refuses a count outside 2..16 and the combination with --abuse', () => {
    for (const bad of [['--exchanges', '1'], ['--exchanges', '17'], ['--exchanges', '3', '--abuse']]) {
      const r = hood(['demo', ...bad, '--json']);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/--exchanges must be 2\.\.16|separate demos/);
    }
  }, 60_000);
});
