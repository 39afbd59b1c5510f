/**
 * The bundle entry (firmware/dist/hood.js is built from this file): the firmware, then board
 * selection. The firmware defines the global `hood`; this module then installs request ids on the
 * console protocol and boots the firmware with the HAL of the Espruino build it finds itself on
 * (`process.env.BOARD`). On the emulated board (BOARD "EMU") the host calls hood.boot itself.
 *
 * The firmware never imports a board: a board brings the firmware with it, so the layers run one way
 * (shared <- firmware <- boards <- host).
 */
import '../../firmware/src/main';
import { createEsp32Board } from '../esp32-devkitc/hal';
import { createLinuxBoard } from '../espruino-linux/hal';
import { installRequestIds } from './console-protocol';

declare const E: any;
declare const print: (s: string) => void;
declare const ESP32: unknown;

export function bootForBoard(h: any, boardId: string | undefined): void {
  if (boardId === 'ESP32') {
    h.boot(
      createEsp32Board({
        wifi: require('Wifi'),
        net: require('net'),
        storage: require('Storage'),
        E: E,
        esp32: typeof ESP32 === 'undefined' ? null : ESP32,
        print: print,
      }),
    );
  } else if (boardId === 'LINUX') {
    h.boot(createLinuxBoard({ net: require('net'), storage: require('Storage'), E: E, print: print }));
  }
}

// On the first timer tick, once the whole bundle has been evaluated; the emulated board's transport
// waits for this tick before its first framed command.
setTimeout(function () {
  const h = (global as any).hood;
  if (!h) return;
  installRequestIds(h);
  bootForBoard(h, typeof process !== 'undefined' && process.env ? process.env.BOARD : undefined);
}, 0);
