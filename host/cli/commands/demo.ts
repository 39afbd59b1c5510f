/** `hood demo [--json]`: one anonymous session end to end, in-process. */
import type { Command } from 'commander';
import { runDemo } from '../../demo/demo';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('one anonymous session in-process: gateway, broker, bank, mail and an emulated PDA — beacon, join, TmpId, pay, mail to Alice and her reply, drop box, BYE, wipe')
    .option('--json', 'print one JSON object with the results instead of the steps')
    .action(async (o: { json?: boolean }) => {
      const t0 = Date.now();
      const r = await runDemo({
        onStep: o.json ? undefined : (s, d) => process.stdout.write(`${String(Date.now() - t0).padStart(6)} ms  ${s.padEnd(7)} ${d}\n`),
      });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        process.stdout.write(
          r.ok
            ? `\nok: TmpMAC ${r.tmpMac}, TmpId ${r.tmpId}; burned-in ${r.burnedInMac} never on the air; session wiped\n`
            : `\nFAILED: ${r.error || JSON.stringify(r)}\n`,
        );
      }
      if (!r.ok) process.exitCode = 1;
    });
}
