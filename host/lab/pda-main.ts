/**
 * Lightweight entry of the lab's PDA process (`node bin/run-ts.js host/lab/pda-main.ts --iface eth0
 * --bundle firmware/dist/hood.js [--leak KIND]...`): the same command as `hood lab pda`
 * (host/lab/pda-command.ts), started without the full CLI because loading every command costs
 * seconds per process on a small machine.
 */
import { pdaProcessCommand } from './pda-command';

// No top-level await: the lab starts this through bin/run-ts.js (tsx's in-thread require hooks).
pdaProcessCommand('pda-main')
  .parseAsync(process.argv)
  .then(
    () => process.exit(0),
    (e) => {
      process.stderr.write('pda-main: ' + ((e as Error).message || String(e)) + '\n');
      process.exit(1);
    },
  );
