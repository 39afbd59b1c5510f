/**
 * The PDA process the lab starts inside each PDA namespace (`ip netns exec NS ...`): one NetnsPda whose
 * console is this process's stdio — command lines (JSON) on stdin, every console line (the `@hood`
 * events among them) on stdout. It powers off (link down) when stdin closes or on SIGTERM/SIGINT.
 */
import { createInterface } from 'node:readline';
import type { LeakKind } from './leaks';
import { NetnsPda } from './pda';

export interface PdaProcessOptions {
  bundlePath: string;
  iface: string;
  leaks: LeakKind[];
}

export function runPdaProcess(o: PdaProcessOptions): Promise<void> {
  const out = (line: string) => process.stdout.write(line.replace(/[\r\n]/g, ' ') + '\n');
  const pda = new NetnsPda({ bundlePath: o.bundlePath, iface: o.iface, leaks: o.leaks, onLine: out });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      rl.close();
      void pda.powerOff().finally(() => resolve());
    };
    const rl = createInterface({ input: process.stdin, terminal: false });
    rl.on('line', (line) => {
      if (line.trim() === '') return;
      try {
        pda.cmdLine(line);
      } catch (e) {
        out('netns-pda: ' + (e as Error).message);
      }
    });
    rl.on('close', stop);
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
