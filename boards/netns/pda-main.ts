/**
 * Lightweight entry of the PDA process (`node --import tsx boards/netns/pda-main.ts --iface eth0
 * --bundle firmware/dist/hood.js [--leak KIND]...`). The lab starts PDAs through this file rather than
 * the full `hood` CLI (`hood lab pda` runs the same code) because loading every CLI command costs
 * seconds per process on a small machine.
 */
import { parseArgs } from 'node:util';
import { parseLeakKind } from './leaks';
import { runPdaProcess } from './pda-process';

const a = parseArgs({
  options: { iface: { type: 'string', default: 'eth0' }, bundle: { type: 'string' }, leak: { type: 'string', multiple: true } },
  strict: true,
});
if (!a.values.bundle) {
  process.stderr.write('usage: pda-main.ts --bundle FILE [--iface IF] [--leak KIND]...\n');
  process.exit(2);
}
await runPdaProcess({ bundlePath: a.values.bundle, iface: a.values.iface!, leaks: (a.values.leak || []).map(parseLeakKind) });
process.exit(0);
