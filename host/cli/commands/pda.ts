/** `hood pda`: an emulated PDA (the real firmware bundle) with the board console, against any MSS. */
import type { Command } from 'commander';
import { openEmulatedPda } from '../../pda/emulated';
import { runConsole } from '../../pda/console';
import { parseHostPort } from '../options';

export function registerPdaCommand(program: Command): void {
  program
    .command('pda')
    .description('an emulated PDA running the firmware bundle, console as `hood board console`: type JSON commands ({"cmd":"start"}), one JSON event per line; Ctrl-C or Ctrl-D ends the session and wipes it')
    .requiredOption('--broker <host:port>', 'MQTT broker of the MSS (e.g. 127.0.0.1:1883)', parseHostPort)
    .option('--mss <id>', 'MSS id to use (default: the one --pin names, else the first verified beacon)')
    .option('--pin <mss-id=hex>', 'pin an MSS identity key: <mss-id>=<64 hex digits>; without it the first beacon is trusted (with a warning)')
    .action(async (o: { broker: { host: string; port: number }; mss?: string; pin?: string }) => {
      const link = await openEmulatedPda({ broker: o.broker, mssId: o.mss, pin: o.pin, warn: (t) => process.stderr.write(t) });
      try {
        process.stderr.write('emulated PDA for broker ' + o.broker.host + ':' + o.broker.port + '; one JSON command per line ({"cmd":"start"}), Ctrl-D to quit\n');
        await runConsole(link, { input: process.stdin, output: process.stdout, notices: process.stderr });
      } finally {
        await link.close();
      }
      process.stderr.write('PDA off\n');
    });
}
