/**
 * An emulated PDA: the built firmware bundle (firmware/dist/hood.js — the same file that is uploaded to
 * a board) running in an Espruino-profile VM on the emulated board. The host side talks to it the way
 * the board link talks to a real board: console commands in, `@hood` JSON events out.
 */
import { randomBytes } from 'node:crypto';
import type { PdaEvent } from '../espruino-common/framing';
import { FirmwareVm } from '../node/firmware-vm';
import { EmuAccessPoint } from './access-point';
import { createEmuBoard, type EmuBoardHandle } from './board';
import { EmuNic } from './nic';
import { EmuStorage } from './storage';

export interface EmuPdaOptions {
  bundlePath: string;
  burnedInMac?: string;
  /** false = a board whose MAC register cannot be written (stock Espruino ESP32 without the extension). */
  canSetMac?: boolean;
  localAddress?: string;
  /** Hardware RNG of the board (default node:crypto); tests script it to force collisions. */
  random?: (n: number) => Uint8Array;
  /** Called for every event as it happens (hood demo prints the protocol steps from these). */
  onEvent?: (e: PdaEvent) => void;
}

export class EmuPda {
  readonly nic: EmuNic;
  readonly ap = new EmuAccessPoint();
  readonly storage = new EmuStorage();
  readonly consoleLines: string[] = [];
  private handle: EmuBoardHandle;
  private vm: FirmwareVm;

  constructor(opts: EmuPdaOptions) {
    this.nic = new EmuNic(opts.burnedInMac, opts.canSetMac !== false);
    const random = opts.random || ((n: number) => new Uint8Array(randomBytes(n)));
    this.vm = new FirmwareVm({ random, onLine: (l) => this.consoleLines.push(l), onEvent: opts.onEvent });
    this.handle = createEmuBoard({
      nic: this.nic,
      ap: this.ap,
      storage: this.storage,
      toVm: this.vm.toVm,
      random,
      localAddress: opts.localAddress,
      consoleWrite: this.vm.consoleWrite,
    });
    this.vm.boot(opts.bundlePath, this.handle.board);
  }

  /** Every event so far, in order. */
  get events(): PdaEvent[] {
    return this.vm.log.events;
  }

  /** The firmware's global `hood` object inside the VM (its session is inspected by tests). */
  get firmware(): any {
    return this.vm.firmware;
  }

  cmd(c: Record<string, unknown>): void {
    this.firmware.cmd(JSON.stringify(c));
  }

  /** Resolve with the first event (already seen after `since`, or future) matching `pred`. */
  waitFor(pred: string | ((e: PdaEvent) => boolean), timeoutMs = 20_000, since = 0): Promise<PdaEvent> {
    return this.vm.log.waitFor(pred, timeoutMs, since, () => 'timed out waiting for PDA event; last events: ' + JSON.stringify(this.events.slice(-5)));
  }

  /** Was the burned-in address ever on the air (associated or sent with)? */
  burnedInMacSeen(): boolean {
    return this.ap.sawMac(this.nic.burnedIn);
  }

  powerOff(): void {
    this.vm.dispose();
    this.handle.powerOff();
  }
}
