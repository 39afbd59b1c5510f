/**
 * Board HAL for the Espruino interpreter built for Linux: the same bundle as on ESP32, TCP through
 * `net` (the host's stack), flash through `Storage` (a file next to the interpreter), randomness
 * from E.hwRand, and the radio played by the test harness over the console (harness-radio.ts).
 */
import type { Board } from '../../firmware/src/board';
import { registerApp } from '../../firmware/src/apps';
import { EVENT_PREFIX } from '../../firmware/src/event-prefix';
import { espruinoClock, espruinoConsole, hwRandom } from '../espruino-common/basics';
import type { EspruinoE, EspruinoNetModule, EspruinoStorageModule } from '../espruino-common/espruino-api';
import { espruinoNet } from '../espruino-common/net';
import { espruinoStorage } from '../espruino-common/storage';
import { ESPRUINO_LINUX } from './facts';
import { harnessRadio } from './harness-radio';

export interface LinuxDeps {
  net: EspruinoNetModule;
  storage: EspruinoStorageModule;
  E: EspruinoE;
  print: (s: string) => void;
}

/** The radio of the most recently created board (the `radio` command is registered once). */
let current: { onAnswer(c: any, ctx: any): void } | null = null;

export function createLinuxBoard(d: LinuxDeps): Board {
  const consoleWrite = espruinoConsole(d.print);
  const clock = espruinoClock();
  const hr = harnessRadio(function (ev) {
    consoleWrite(EVENT_PREFIX + JSON.stringify(ev));
  }, clock);
  if (!current) {
    registerApp({
      name: 'linux-radio',
      commands: {
        radio: function (c: any, ctx: any) {
          current!.onAnswer(c, ctx);
        },
      },
    });
  }
  current = hr;
  return {
    name: ESPRUINO_LINUX.name,
    radio: hr.radio,
    net: espruinoNet(d.net, d.E),
    storage: espruinoStorage(d.storage),
    clock: clock,
    random: hwRandom(d.E),
    consoleWrite: consoleWrite,
  };
}
