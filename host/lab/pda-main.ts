/**
 * Lightweight entry of the lab's PDA process (`node --import tsx host/lab/pda-main.ts --iface eth0
 * --bundle firmware/dist/hood.js [--leak KIND]...`): the same command as `hood lab pda`
 * (host/lab/pda-command.ts), started without the full CLI because loading every command costs
 * seconds per process on a small machine.
 */
import { pdaProcessCommand } from './pda-command';

await pdaProcessCommand('pda-main').parseAsync(process.argv);
process.exit(0);
