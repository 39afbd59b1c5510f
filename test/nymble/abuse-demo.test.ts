/**
 * `hood demo --abuse --json`: the CLI run of Extended Nymble across two MSSs, each figure asserted on
 * the JSON line the command prints (firmware bundle on emulated PDAs, NM over HTTP, two gateways).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('hood demo --abuse --json', () => {
  it('blocks the complained-about PDA at both MSSs before it presents, leaves the other alone, lowers the rating', () => {
    const out = execFileSync(process.execPath, ['bin/hood.js', 'demo', '--abuse', '--json'], { encoding: 'utf8', timeout: 120_000, killSignal: 'SIGKILL' });
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const r = JSON.parse(lines[0]) as { ok: boolean; nymble: Record<string, unknown> };
    expect(r.nymble.blockedSameMss).toBe(true);
    expect(r.nymble.blockedOtherMss).toBe(true);
    expect(r.nymble.othersUnaffected).toBe(true);
    expect(r.nymble.notifiedBeforeJoin).toBe(true);
    expect(r.nymble.ratingBefore).toBe(10);
    expect(r.nymble.ratingAfter).toBe(9);
    expect(r.nymble.unlinkableBeforeComplaint).toBe(true);
    expect(r.ok).toBe(true);
  }, 150_000);
});
