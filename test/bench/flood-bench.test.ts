/**
 * `hood bench flood`: its JOIN cells (made with node:crypto) are valid JOINs for the MSS, and the CLI runs
 * end to end with --seconds 3 --json and prints the documented fields.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { joinMaker, junkJoinCell, junkSessionCell } from '../../host/bench/flood-cells';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { DecodeError, equalBytes } from '../../shared/src/bytes';
import { decodeCellHeader, openJoin } from '../../shared/src/protocol/cells';
import { KIND_JOIN, KIND_SESSION } from '../../shared/src/protocol/constants';
import { testDir } from '../helpers/temp-dir';

describe('hood bench flood', () => {
  it('makes JOINs the MSS opens, for the beacon nonce given; junk is of the cell size and does not open', () => {
    const dir = testDir('hood-test-floodcells-');
    try {
      const keys = loadOrCreateMssKeys(dir);
      const nonce = new Uint8Array(8).fill(7);
      const make = joinMaker(keys.boxPublic, nonce, 512);
      const epks = new Set<string>();
      for (let i = 0; i < 20; i++) {
        const cell = new Uint8Array(make());
        expect(cell.length).toBe(512);
        const h = decodeCellHeader(cell, 512);
        expect(h.kind).toBe(KIND_JOIN);
        const opened = openJoin(keys.boxSecret, keys.boxPublic, cell, 512);
        expect(equalBytes(opened.msg.beaconNonce, nonce)).toBe(true);
        epks.add(Buffer.from(cell.subarray(2, 34)).toString('hex'));
      }
      expect(epks.size).toBe(20);
      const j = new Uint8Array(junkJoinCell(512));
      expect(() => openJoin(keys.boxSecret, keys.boxPublic, j, 512)).toThrow(DecodeError);
      expect(decodeCellHeader(new Uint8Array(junkSessionCell(512)), 512).kind).toBe(KIND_SESSION);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--seconds 3 --json prints one JSON object with the figures, and nothing on stderr', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'flood', '--seconds', '3', '--json'], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]);
    console.log('bench flood: ' + lines[0]);
    expect(o.seconds).toBe(3);
    expect(o.legitJoinMs).toEqual({ p50: expect.any(Number), p99: expect.any(Number), max: expect.any(Number) });
    expect(o.legitJoins).toBeGreaterThanOrEqual(1);
    expect(o.legitFailed).toEqual(expect.any(Number));
    expect(o.rssGrowthMiB).toEqual(expect.any(Number));
    expect(Object.keys(o.rejected).length).toBeGreaterThan(0);
    for (const v of Object.values(o.rejected)) expect(v).toEqual(expect.any(Number));
    expect(o.floodCellsSent).toBeGreaterThan(0);
    expect(o.floodSendersHeadroom).toEqual(expect.any(Number));
    expect(o.mss.loopDelayMs.p99).toEqual(expect.any(Number));
  }, 150_000);

  it('refuses a zero duration', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'flood', '--seconds', '0', '--json'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/at least 1/);
  }, 60_000);
});
