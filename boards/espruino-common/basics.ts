/** Clock, hardware RNG and console for Espruino boards (shared by the ESP32 and Linux HALs). */
import type { Clock } from '../../firmware/src/board';
import type { EspruinoE } from './espruino-api';

export function espruinoClock(): Clock {
  return {
    now: function () {
      return Date.now();
    },
    setTimeout: function (fn: () => void, ms: number) {
      return setTimeout(fn, ms) as unknown as number;
    },
    clearTimeout: function (id: number) {
      clearTimeout(id as any);
    },
  };
}

/**
 * n bytes from E.hwRand (ESP32: esp_random(), the hardware RNG — true random while the radio is on;
 * Linux build: the host's random source). Never Math.random: every secret of a session comes from here.
 */
export function hwRandom(e: EspruinoE): (n: number) => Uint8Array {
  if (!e || typeof e.hwRand !== 'function') throw new Error('E.hwRand missing: no hardware RNG, refusing to run');
  return function (n: number) {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const r = e.hwRand();
      out[i] = r & 0xff;
      if (i + 1 < n) out[i + 1] = (r >>> 8) & 0xff;
      if (i + 2 < n) out[i + 2] = (r >>> 16) & 0xff;
      if (i + 3 < n) out[i + 3] = (r >>> 24) & 0xff;
    }
    return out;
  };
}

/** One console line. `print` writes to the console device (UART on ESP32, stdout on Linux). */
export function espruinoConsole(print: (s: string) => void): (line: string) => void {
  return function (line: string) {
    print(line);
  };
}
