/** `hood demo --handoff --json` as a user runs it: every check of the hand-off holds, the burned-in MAC never shows. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

describe('hood demo --handoff', () => {
  it('reports a hand-off that kept TmpId and paid time, moved the reply, and refused the used ticket', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/hood.js', 'demo', '--handoff', '--json'], { timeout: 150_000 });
    const r = JSON.parse(stdout);
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, paid: true, wiped: true, burnedInMacSeen: false });
    expect(r.handoff).toMatchObject({
      ok: true,
      tmpIdKept: true,
      macChanged: true,
      clientIdChanged: true,
      sessionMoved: true,
      replyAfterHandoff: true,
      paidSecondsKept: true,
      ticketReuseRefused: true,
    });
    expect(r.tmpMacs).toHaveLength(2);
    expect(r.tmpMacs[0]).not.toBe(r.tmpMacs[1]);
    expect(r.macsOnAir).not.toContain(r.burnedInMac);
    expect(r.macsOnAir).toEqual(expect.arrayContaining(r.tmpMacs));
  }, 180_000);

  it('refuses two demos at once', async () => {
    const e = await promisify(execFile)(process.execPath, ['bin/hood.js', 'demo', '--handoff', '--abuse'], { timeout: 60_000 }).catch((x) => x);
    expect(e.code).not.toBe(0);
    expect(String(e.stderr)).toMatch(/separate demos/);
  }, 90_000);
});
