/**
 * One emulated PDA on the netns board: the built firmware bundle (the file uploaded to real boards) in
 * the Espruino-profile VM (boards/emu/espruino-vm.ts), its radio a veth in this process's network
 * namespace. Like EmuPda, the host side talks to it as a board link does: JSON commands in, `@hood`
 * events out.
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { parseEventLine } from '../../host/board/framing';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../emu/espruino-vm';
import { createNetnsBoard, type NetnsBoardHandle } from './board';
import type { LeakKind } from './leaks';

export type PdaEvent = { ev: string; [k: string]: any };

export interface NetnsPdaOptions {
  bundlePath: string;
  iface: string;
  leaks?: LeakKind[];
  /** Every console line (events included), as printed by the firmware. */
  onLine?: (line: string) => void;
  onEvent?: (e: PdaEvent) => void;
}

export class NetnsPda {
  readonly events: PdaEvent[] = [];
  readonly handle: NetnsBoardHandle;
  private ctx: vm.Context;

  constructor(o: NetnsPdaOptions) {
    this.ctx = createEspruinoContext({ random: (n) => this.handle.board.random(n), print: (s) => o.onLine?.(s) });
    const vmUint8Array = vm.runInContext('Uint8Array', this.ctx) as Uint8ArrayConstructor;
    this.handle = createNetnsBoard({
      iface: o.iface,
      vmUint8Array,
      leaks: o.leaks,
      consoleWrite: (line) => {
        o.onLine?.(line);
        const e = parseEventLine(line) as PdaEvent | null;
        if (!e) return;
        this.events.push(e);
        o.onEvent?.(e);
      },
    });
    runBundle(this.ctx, readFileSync(o.bundlePath, 'utf8'), o.bundlePath);
    this.firmware.boot(this.handle.board);
  }

  get firmware(): any {
    return vm.runInContext('hood', this.ctx);
  }

  /** One console command line (JSON), exactly as the board link would send it. */
  cmdLine(line: string): void {
    this.firmware.cmd(line);
  }

  async powerOff(): Promise<void> {
    disposeEspruinoContext(this.ctx);
    await this.handle.powerOff();
  }
}
