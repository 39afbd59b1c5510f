/**
 * `hood bench sessions`: the CLI admits and holds every session and reports a per-session cost under the
 * 4 KiB budget; and the compact forms the session table keeps (flat keys, one buffer for a key set) are
 * the same values as before and are erased as completely.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { base32Encode } from '../../shared/src/base32';
import { deriveSessionKeys, wipeSessionKeys } from '../../shared/src/protocol/session-keys';
import { formatMac } from '../../shared/src/tmpmac';
import { flatKey, hexKey, packKeys } from '../../host/mss/session-table';

describe('hood bench sessions', () => {
  it('--n 500 --json: all 500 JOINs admitted and held, fewer than 4096 bytes per session', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'sessions', '--n', '500', '--json'], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    console.log('bench sessions: ' + lines[0]);
    const o = JSON.parse(lines[0]);
    expect(o.n).toBe(500);
    expect(o.joined).toBe(500);
    // A session holds at least its keys (96 bytes) and four index entries; a figure below that means the
    // sessions were not held, one above 4 KiB is the regression this bench is here to catch.
    expect(o.bytesPerSession).toBeGreaterThan(300);
    expect(o.bytesPerSession).toBeLessThan(4096);
    expect(o.joinsPerSec).toBeGreaterThan(0);
    expect(o.joinsPerCpuSec).toBeGreaterThan(0);
    expect(o.heapAfterMB).toBeGreaterThan(o.heapBeforeMB);
  }, 150_000);

  it('rejects an --n out of range', () => {
    const r = spawnSync(process.execPath, ['bin/hood.js', 'bench', 'sessions', '--n', '0', '--json'], { encoding: 'utf8', timeout: 60_000, killSignal: 'SIGKILL' });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/--n must be in 1\.\./);
  }, 90_000);
});

describe('session table keys', () => {
  it('hexKey = toHex and flatKey is the same string, for any bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.nat(8), (b, off) => {
        const view = new Uint8Array(b.length + off);
        view.set(b, off);
        const sub = view.subarray(off);
        expect(hexKey(sub)).toBe(toHex(b));
        expect(flatKey(toHex(b))).toBe(toHex(b));
        expect(flatKey(base32Encode(b))).toBe(base32Encode(b));
        if (b.length >= 6) expect(flatKey(formatMac(b.subarray(0, 6)))).toBe(formatMac(b.subarray(0, 6)));
      }),
      { numRuns: 300 },
    );
  });

  it('packKeys keeps the values, wipes the given set, and wipeSessionKeys on the packed set erases every byte', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (kbd, epk) => {
        const k = deriveSessionKeys(kbd, epk);
        const want = [k.upKey, k.downKey, k.upTag, k.downTag].map(toHex);
        const originals = [k.upKey, k.downKey, k.upTag, k.downTag];
        const p = packKeys(k);
        expect([p.upKey, p.downKey, p.upTag, p.downTag].map(toHex)).toEqual(want);
        for (const o of originals) expect(o.every((x) => x === 0)).toBe(true);
        expect(p.upKey.buffer).toBe(p.downTag.buffer);
        expect(p.upKey.buffer.byteLength).toBe(96);
        wipeSessionKeys(p);
        expect(new Uint8Array(p.upKey.buffer).every((x) => x === 0)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
