/** `hood demo [--json]`: one anonymous session end to end, in-process. */
import type { Command } from 'commander';
import { runAbuseDemo } from '../../demo/abuse';
import { runDemo } from '../../demo/demo';
import { runHandoffDemo } from '../../demo/handoff';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { parseIntOption } from '../options';
import { MAX_SHARES, MIN_SHARES } from '../../../shared/src/exchange/shares';

export function registerDemoCommand(program: Command): void {
  jsonOption(program.command('demo'))
    .description('one anonymous session in-process: gateway, broker, bank, mail and an emulated PDA — beacon, join, TmpId, pay, mail to Alice and her reply, drop box, BYE, wipe')
    .option('--abuse', 'Extended Nymble instead: two MSSs, a complained-about PDA blocked at both before it presents a ticket, another PDA unaffected (docs/nymble.md)')
    .option('--handoff', 'hand-off instead (paper §6.3): two MSSs of one federation; Bob moves from doug to erin keeping TmpId and paid time under a new TmpMAC; Alice\'s reply follows him; the used ticket is refused again (docs/handoff.md)')
    .option('--exchanges <n>', 'split the drop box over n exchange servers (2..16) run in-process; adds dropBoxShares, pickupRequests, coverRequests (docs/exchange.md)', parseIntOption)
    .action(async (o: JsonFlag & { abuse?: boolean; handoff?: boolean; exchanges?: number }) => {
      if ([o.abuse, o.handoff, o.exchanges !== undefined].filter(Boolean).length > 1) throw new Error('--abuse, --handoff and --exchanges are separate demos');
      if (o.exchanges !== undefined && !(o.exchanges >= MIN_SHARES && o.exchanges <= MAX_SHARES)) throw new Error('--exchanges must be ' + MIN_SHARES + '..' + MAX_SHARES);
      if (o.abuse) {
        const a = await runAbuseDemo();
        printResult(o, a, (x) => (x.ok ? 'ok: ' : 'FAILED: ') + JSON.stringify(x.nymble));
        if (!a.ok) process.exitCode = 1;
        return;
      }
      const t0 = Date.now();
      const onStep = o.json ? undefined : (s: string, d: string) => process.stdout.write(`${String(Date.now() - t0).padStart(6)} ms  ${s.padEnd(7)} ${d}\n`);
      if (o.handoff) {
        const h = await runHandoffDemo({ onStep });
        printResult(o, h, (x) => (x.ok ? `\nok: TmpId ${x.tmpId} moved doug -> erin under TmpMACs ${x.tmpMacs.join(' -> ')}; ` + JSON.stringify(x.handoff) : `\nFAILED: ${x.error || JSON.stringify(x.handoff)}`));
        if (!h.ok) process.exitCode = 1;
        return;
      }
      const r = await runDemo({
        exchanges: o.exchanges,
        onStep: o.json ? undefined : (s, d) => process.stdout.write(`${String(Date.now() - t0).padStart(6)} ms  ${s.padEnd(7)} ${d}\n`),
      });
      printResult(o, r, (x) =>
        x.ok
          ? `\nok: TmpMAC ${x.tmpMac}, TmpId ${x.tmpId}; burned-in ${x.burnedInMac} never on the air; session wiped`
          : `\nFAILED: ${x.error || JSON.stringify(x)}`,
      );
      if (!r.ok) process.exitCode = 1;
    });
}
