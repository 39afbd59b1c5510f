/**
 * The built firmware bundle (firmware/dist/hood.js, the file uploaded to real boards) in an
 * Espruino-profile VM (boards/emu/espruino-vm.ts), booted on a board made in Node. The host talks to it
 * as a board link does: JSON commands in, `@hood` events out (kept in `log`).
 *
 * Bytes handed to the firmware go through toVm(): re-created with the VM's own Uint8Array, so the
 * firmware sees exactly the objects it would see on Espruino (no host-realm objects with extra methods).
 */
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import type { Board } from '../../firmware/src/board';
import type { PdaEvent } from '../espruino-common/framing';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../emu/espruino-vm';
import { PdaEventLog } from './events';

export interface FirmwareVmOptions {
  /** The board's hardware random source (E.hwRand inside the VM). */
  random: (n: number) => Uint8Array;
  /** Every console line: the VM's print() and the board's consoleWrite (events included). */
  onLine?: (line: string) => void;
  /** Called for every event as it happens. */
  onEvent?: (e: PdaEvent) => void;
}

export class FirmwareVm {
  readonly log: PdaEventLog;
  private readonly ctx: vm.Context;
  private readonly vmUint8Array: Uint8ArrayConstructor;

  constructor(private readonly o: FirmwareVmOptions) {
    this.log = new PdaEventLog(o.onEvent);
    this.ctx = createEspruinoContext({ random: o.random, print: (s) => o.onLine?.(s) });
    this.vmUint8Array = vm.runInContext('Uint8Array', this.ctx) as Uint8ArrayConstructor;
  }

  /** A copy of `b` made with the VM's Uint8Array. */
  readonly toVm = (b: Uint8Array): Uint8Array => {
    const out = new this.vmUint8Array(b.length);
    out.set(b);
    return out;
  };

  /** The board's consoleWrite: one line out of the firmware. */
  readonly consoleWrite = (line: string): void => {
    this.o.onLine?.(line);
    this.log.line(line);
  };

  /** Run the bundle and boot the firmware on `board` (whose consoleWrite should be this.consoleWrite). */
  boot(bundlePath: string, board: Board): void {
    runBundle(this.ctx, readFileSync(bundlePath, 'utf8'), bundlePath);
    this.firmware.boot(board);
  }

  /** The firmware's global `hood` object inside the VM (its session is inspected by tests). */
  get firmware(): any {
    return vm.runInContext('hood', this.ctx);
  }

  /** Cancel every timer the VM still has pending. */
  dispose(): void {
    disposeEspruinoContext(this.ctx);
  }
}
