/**
 * An emulated PDA: the built firmware bundle (firmware/dist/hood.js — the same file that is uploaded to
 * a board) running in an Espruino-profile VM on the emulated board. The host side talks to it the way
 * the board link talks to a real board: console commands in, `@hood` JSON events out.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import vm from 'node:vm';
import { parseEventLine } from '../../host/board/framing';
import { EmuAccessPoint } from './access-point';
import { createEmuBoard, type EmuBoardHandle } from './board';
import { createEspruinoContext, runBundle } from './espruino-vm';
import { EmuNic } from './nic';
import { EmuStorage } from './storage';

export type PdaEvent = { ev: string; [k: string]: any };

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
  readonly events: PdaEvent[] = [];
  readonly consoleLines: string[] = [];
  private waiters: { pred: (e: PdaEvent) => boolean; resolve: (e: PdaEvent) => void }[] = [];
  private handle: EmuBoardHandle;
  private ctx: vm.Context;

  constructor(opts: EmuPdaOptions) {
    this.nic = new EmuNic(opts.burnedInMac, opts.canSetMac !== false);
    const random = opts.random || ((n: number) => new Uint8Array(randomBytes(n)));
    this.ctx = createEspruinoContext({
      random,
      print: (s: string) => this.consoleLines.push(s),
    });
    const vmUint8Array = vm.runInContext('Uint8Array', this.ctx) as Uint8ArrayConstructor;
    this.handle = createEmuBoard({
      nic: this.nic,
      ap: this.ap,
      storage: this.storage,
      vmUint8Array,
      random,
      localAddress: opts.localAddress,
      consoleWrite: (line) => {
        this.consoleLines.push(line);
        const e = parseEventLine(line) as PdaEvent | null;
        if (!e) return;
        this.events.push(e);
        opts.onEvent?.(e);
        for (const w of this.waiters.slice()) {
          if (w.pred(e)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(e);
          }
        }
      },
    });
    runBundle(this.ctx, readFileSync(opts.bundlePath, 'utf8'), opts.bundlePath);
    this.firmware.boot(this.handle.board);
  }

  /** The firmware's global `hood` object inside the VM (its session is inspected by tests). */
  get firmware(): any {
    return vm.runInContext('hood', this.ctx);
  }

  cmd(c: Record<string, unknown>): void {
    this.firmware.cmd(JSON.stringify(c));
  }

  /** Resolve with the first event (already seen after `since`, or future) matching `pred`. */
  waitFor(pred: string | ((e: PdaEvent) => boolean), timeoutMs = 20_000, since = 0): Promise<PdaEvent> {
    const p = typeof pred === 'string' ? (e: PdaEvent) => e.ev === pred : pred;
    const seen = this.events.slice(since).find(p);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w = { pred: p, resolve: (e: PdaEvent) => (clearTimeout(t), resolve(e)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error('timed out waiting for PDA event; last events: ' + JSON.stringify(this.events.slice(-5))));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }

  /** Was the burned-in address ever on the air (associated or sent with)? */
  burnedInMacSeen(): boolean {
    return this.ap.sawMac(this.nic.burnedIn);
  }

  powerOff(): void {
    this.handle.powerOff();
  }
}
