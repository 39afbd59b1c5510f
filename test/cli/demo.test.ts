/** `npx hood demo --json` as a user runs it: a child process, its exit code and its JSON. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';

const run = promisify(execFile);

/** Run the CLI; on failure, the error carries what it printed (the demo reports its failures on stdout). */
async function hood(args: string[]) {
  try {
    return await run(process.execPath, ['bin/hood.js', ...args], { timeout: 90_000, killSignal: 'SIGKILL' });
  } catch (e) {
    const x = e as { message: string; stdout?: string; stderr?: string };
    throw new Error(x.message + '\nstdout:\n' + x.stdout + '\nstderr:\n' + x.stderr);
  }
}

async function demo() {
  const { stdout } = await hood(['demo', '--json']);
  return JSON.parse(stdout);
}

describe('hood demo --json', () => {
  it('exits 0 with a locally administered unicast TmpMAC and no burned-in MAC on the air; two runs share nothing', async () => {
    const a = await demo();
    const b = await demo();
    for (const r of [a, b]) {
      expect(r.ok).toBe(true);
      expect(r.burnedInMacSeen).toBe(false);
      expect(r.wiped).toBe(true);
      const mac = parseMac(r.tmpMac);
      expect(isUnicast(mac) && isLocallyAdministered(mac)).toBe(true);
      expect(r.tmpId).toMatch(/^[a-z2-7]{16}$/);
      expect(r.mqttClientId).toMatch(/^c[0-9a-f]{18}$/);
      expect(r.joinMs).toBeGreaterThan(0);
      expect(r.macsOnAir).toContain(r.tmpMac);
      for (const m of r.macsOnAir) expect(isLocallyAdministered(parseMac(m)) && isUnicast(parseMac(m))).toBe(true);
      expect(r.macsOnAir).not.toContain(r.burnedInMac);
      // Step 4 (payment) and steps 5-7 with the drop box (paper §6.2).
      expect(r.paid).toBe(true);
      expect(r.amount).toBeGreaterThan(0);
      expect(r.sent).toBe(true);
      expect(r.aliceRead).toBe(true);
      expect(r.replyReceived).toBe(true);
      expect(r.dropBox).toBe(true);
      expect(r.fromAddress).toBe(r.tmpId + '@doug.hood.invalid');
    }
    expect(a.tmpMac).not.toBe(b.tmpMac);
    expect(a.tmpId).not.toBe(b.tmpId);
    expect(a.mqttClientId).not.toBe(b.mqttClientId);
  });

  it('prints each protocol step without --json', async () => {
    const { stdout } = await hood(['demo']);
    const steps = stdout.split('\n').map((l) => l.trim().split(/\s+/)[2]).filter(Boolean);
    expect(steps).toEqual(expect.arrayContaining(['mss', 'wallet', 'radio', 'beacon', 'join', 'accept', 'paid', 'data', 'mail', 'smtp', 'reply', 'dropbox', 'pickup', 'bye', 'wipe']));
    expect(steps.indexOf('radio')).toBeLessThan(steps.indexOf('beacon'));
    expect(steps.indexOf('beacon')).toBeLessThan(steps.indexOf('accept'));
    expect(stdout).toMatch(/^ok: /m);
  });

  it('--help tells the truth about the commands', async () => {
    const { stdout } = await run(process.execPath, ['bin/hood.js', '--help']);
    for (const c of ['mss', 'demo', 'bench', 'build']) expect(stdout).toContain(c);
    const bad = await run(process.execPath, ['bin/hood.js', 'no-such-command']).catch((e) => e);
    expect(bad.code).not.toBe(0);
    expect(String(bad.stderr)).toMatch(/unknown command/);
  });
});
