/**
 * The emulated PDA process of the lab, declared once: `hood lab pda` and the lightweight entry
 * host/lab/pda-main.ts run this same command (JSON commands on stdin, console lines on stdout,
 * power off on stdin close, SIGINT or SIGTERM).
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseLeakKind, type LeakKind } from '../../boards/netns/leaks';
import { runPdaProcess } from '../../boards/netns/pda-process';
import { watchSignals } from '../cli/signals';

function collectLeak(v: string, prev: LeakKind[]): LeakKind[] {
  try {
    return prev.concat([parseLeakKind(v)]);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

export function pdaProcessCommand(name: string): Command {
  return new Command(name)
    .description('(internal) run one emulated PDA on the netns board in the current namespace: JSON commands on stdin, events on stdout')
    .requiredOption('--bundle <file>', 'firmware bundle')
    .option('--iface <name>', 'the PDA NIC', 'eth0')
    .option('--leak <kind>', 'deliberate leak (tests only)', collectLeak, [] as LeakKind[])
    .action(async (o: { bundle: string; iface: string; leak: LeakKind[] }) => {
      const w = watchSignals();
      try {
        await runPdaProcess({ bundlePath: o.bundle, iface: o.iface, leaks: o.leak, stop: w.signal });
      } finally {
        w.off();
      }
    });
}
