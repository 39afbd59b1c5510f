/**
 * Paper §6.1 on the testbed: emulated PDAs on real veths mail Alice through the lab MSS, the bridge is
 * captured, and the timing attack (host/audit/timing.ts) runs on that capture and the MSS's maildir. Without
 * the mix the last burst before each mail names its sender; behind the exponential mix (mean delay from the
 * lab's own send rate) the attacker mostly guesses wrong and each mail has more than a bit of sender
 * anonymity. Reduced size: 2 PDAs × 5 sessions (10 mails) per run.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { runLab, labMixMeanDelay, LAB_MAIL_GAP_SEC, type LabRunResult } from '../../host/lab/run';
import { namespacesOf, requireLabHost } from './helpers';

describe('the timing attack with the mix off and on (hood lab run --mail --mix off|on)', () => {
  let off: LabRunResult;
  let on: LabRunResult;

  beforeAll(async () => {
    requireLabHost();
    off = await runLab({ pdas: 2, sessions: 5, mail: { mix: false } });
    on = await runLab({ pdas: 2, sessions: 5, mail: { mix: true } });
    console.log('lab mix off: ' + JSON.stringify(off.attack) + ' ' + JSON.stringify(off.mail) + '; on: ' + JSON.stringify(on.attack) + ' ' + JSON.stringify(on.mail));
  }, 900_000);

  it('every mail was sent, released by the MSS and attacked; nothing is left behind', () => {
    for (const r of [off, on]) {
      expect(r.mail).toMatchObject({ sent: 10, released: 10 });
      expect(r.attack!.mails).toBe(10);
      expect(r.leftover).toEqual([]);
      expect(namespacesOf(r.prefix)).toEqual([]);
    }
    expect(off.mail!.mixMeanDelaySec).toBe(0);
    expect(on.mail!.mixMeanDelaySec).toBe(labMixMeanDelay(LAB_MAIL_GAP_SEC));
  });

  it('mix off: the last burst before a mail is its sender', () => {
    expect(off.attack!.rank1Rate!).toBeGreaterThanOrEqual(0.7);
    expect(off.attack!.meanEntropyBits).toBeLessThan(0.5);
  });

  it('mix on: the attacker mostly fails and each mail hides among others (≥ 1 bit)', () => {
    expect(on.attack!.meanEntropyBits).toBeGreaterThanOrEqual(1);
    expect(on.attack!.rank1Rate!).toBeLessThanOrEqual(off.attack!.rank1Rate! - 0.2);
    expect(on.attack!.theoryBits!).toBeGreaterThan(1);
  });
});
