/**
 * In-process transport to an emulated PDA (boards/emu): the real firmware bundle in the Espruino
 * VM. Command lines are unframed exactly as the REPL would run them (`hood.cmd("...")`), and every
 * console line of the firmware comes back as bytes, so the link code is the same as for a board.
 */
import { EmuPda, type EmuPdaOptions } from '../../../boards/emu/emu-pda';
import { EVENT_PREFIX } from '../../../firmware/src/event-prefix';
import { decodeCommandLine, LineSplitter } from '../../../boards/espruino-common/framing';
import type { Transport } from '../transport';

export interface EmuTransport extends Transport {
  pda: EmuPda;
}

export async function openEmu(opts: EmuPdaOptions): Promise<EmuTransport> {
  const dataFns: ((chunk: string) => void)[] = [];
  const closeFns: ((err?: Error) => void)[] = [];
  let closed = false;
  const pda = new EmuPda({
    ...opts,
    onEvent: (e) => {
      opts.onEvent?.(e);
      // The VM's console line, as a board would print it (with Espruino's prompt in front).
      const line = '>' + EVENT_PREFIX + JSON.stringify(e) + '\r\n';
      setImmediate(() => {
        if (!closed) for (const f of dataFns) f(line);
      });
    },
  });
  const split = new LineSplitter((line) => {
    const json = decodeCommandLine(line);
    if (json === null) {
      if (line.trim()) for (const f of dataFns) f('Uncaught SyntaxError: not a hood command\r\n>');
      return;
    }
    pda.firmware.cmd(json);
  });
  // The firmware installs request ids on its first timer tick after boot (espruino-common/boot.ts).
  await new Promise((r) => setTimeout(r, 5));
  return {
    label: 'emu',
    pda,
    write(data: string) {
      if (closed) return Promise.reject(new Error('emulated board is off'));
      split.push(data);
      return Promise.resolve();
    },
    onData(fn) {
      dataFns.push(fn);
    },
    onClose(fn) {
      if (closed) fn();
      else closeFns.push(fn);
    },
    close() {
      if (!closed) {
        closed = true;
        pda.powerOff();
        for (const f of closeFns.splice(0)) f();
      }
      return Promise.resolve();
    },
  };
}
