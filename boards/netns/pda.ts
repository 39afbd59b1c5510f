/**
 * One emulated PDA on the netns board: the built firmware bundle (the file uploaded to real boards) in
 * the Espruino-profile VM (boards/emu/espruino-vm.ts), its radio a veth in this process's network
 * namespace. Like EmuPda, the host side talks to it as a board link does: JSON commands in, `@hood`
 * events out.
 */
import { randomBytes } from 'node:crypto';
import type { PdaEvent } from '../espruino-common/framing';
import { FirmwareVm } from '../node/firmware-vm';
import { createNetnsBoard, type NetnsBoardHandle } from './board';
import type { LeakKind } from './leaks';

export interface NetnsPdaOptions {
  bundlePath: string;
  iface: string;
  leaks?: LeakKind[];
  /** Every console line (events included), as printed by the firmware. */
  onLine?: (line: string) => void;
  onEvent?: (e: PdaEvent) => void;
}

export class NetnsPda {
  readonly handle: NetnsBoardHandle;
  private vm: FirmwareVm;

  constructor(o: NetnsPdaOptions) {
    const random = (n: number) => new Uint8Array(randomBytes(n));
    this.vm = new FirmwareVm({ random, onLine: o.onLine, onEvent: o.onEvent });
    this.handle = createNetnsBoard({
      iface: o.iface,
      toVm: this.vm.toVm,
      random,
      leaks: o.leaks,
      consoleWrite: this.vm.consoleWrite,
    });
    this.vm.boot(o.bundlePath, this.handle.board);
  }

  /** Every event so far, in order. */
  get events(): PdaEvent[] {
    return this.vm.log.events;
  }

  get firmware(): any {
    return this.vm.firmware;
  }

  /** One console command line (JSON), exactly as the board link would send it. */
  cmdLine(line: string): void {
    this.firmware.cmd(line);
  }

  async powerOff(): Promise<void> {
    this.vm.dispose();
    await this.handle.powerOff();
  }
}
