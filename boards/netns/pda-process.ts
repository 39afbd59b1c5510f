/**
 * The PDA process the lab starts inside each PDA namespace (`ip netns exec NS ...`): one NetnsPda whose
 * console is this process's stdio — command lines (JSON) on stdin, every console line (the `@hood`
 * events among them) on stdout. It powers off (link down) when stdin closes or when `stop` settles (the
 * host side entry settles it on SIGTERM/SIGINT).
 */
import { createInterface } from 'node:readline';
import type { LeakKind } from './leaks';
import { NetnsPda } from './pda';

export interface PdaProcessOptions {
  bundlePath: string;
  iface: string;
  leaks: LeakKind[];
  /** Power off when this settles. */
  stop?: Promise<unknown>;
}

export function runPdaProcess(o: PdaProcessOptions): Promise<void> {
  const out = (line: string) => process.stdout.write(line.replace(/[\r\n]/g, ' ') + '\n');
  const pda = new NetnsPda({ bundlePath: o.bundlePath, iface: o.iface, leaks: o.leaks, onLine: out });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
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
    if (o.stop) o.stop.then(stop, stop);
  });
}
