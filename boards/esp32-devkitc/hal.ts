/**
 * Board HAL for the ESP32 DevKitC on Espruino for ESP32: the firmware's Board interface over
 * Espruino's `Wifi`, `net`, `Storage` and `E.hwRand`. Thin on purpose: all protocol logic is in
 * firmware/ and identical on every board. The Espruino objects are parameters so tests can run
 * this exact code against test doubles (test/board/esp32-hal.test.ts).
 *
 * Anonymity rules it enforces (paper §5, docs/boards.md):
 *  - the STA address register is loaded with the TmpMAC while the station is NOT associated, and
 *    read back (Wifi.getIP().mac) before anything is sent; without the native call canSetMac()
 *    is false and the firmware refuses anonymous mode (fail closed);
 *  - the DHCP hostname is set to the random per-session name before association (Wifi.setHostname);
 *  - Espruino's saved Wi-Fi config (.wificfg) would make the board auto-connect at power-on with
 *    the burned-in address: it is erased at boot and never written (Wifi.save is never called);
 *  - Wifi.connect is called only after the register was re-read and holds the address the firmware
 *    asked for (Radio.connect's expectedMac);
 *  - the firmware loads a fresh random throwaway address after an anonymous session (link.ts), so the
 *    TmpMAC of the ended session does not linger in the register; the extension itself loads a random
 *    address at init, before any code can start the station (boards/esp32/README.md).
 */
import type { Board, Radio } from '../../firmware/src/board';
import { equalBytes } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';
import { parseMacText } from '../espruino-common/mac';
import { registerApp } from '../../firmware/src/apps';
import { espruinoClock, espruinoConsole, hwRandom } from '../espruino-common/basics';
import type { EspruinoE, EspruinoNetModule, EspruinoStorageModule, EspruinoWifi } from '../espruino-common/espruino-api';
import { espruinoNet } from '../espruino-common/net';
import { espruinoStorage } from '../espruino-common/storage';
import { ESP32_DEVKITC } from './facts';
import { findMacWriter } from './mac-ext';

/** Storage key of the Wi-Fi credentials (set with `hood board config --wifi-ssid ...`). */
export const WIFI_KEY = 'hood.wifi';
/** Espruino's own saved Wi-Fi config (src/jswrap_storage.h WIFI_CONFIG_STORAGE_NAME). */
export const ESPRUINO_WIFI_CONFIG = '.wificfg';

export interface Esp32Deps {
  wifi: EspruinoWifi;
  net: EspruinoNetModule;
  storage: EspruinoStorageModule;
  E: EspruinoE;
  /** The global `ESP32` class (has setStaMac only with the extension). */
  esp32: unknown;
  print: (s: string) => void;
}

function wifiCredentials(storage: { read(k: string): string | undefined }): { ssid: string; password: string } | null {
  const raw = storage.read(WIFI_KEY);
  if (!raw) return null;
  try {
    const j = JSON.parse(raw);
    if (j && typeof j.ssid === 'string' && j.ssid.length > 0 && j.ssid.length <= 32) {
      return { ssid: j.ssid, password: typeof j.password === 'string' ? j.password : '' };
    }
  } catch (e) {
    // fall through: treated as not configured
  }
  return null;
}

export function createEsp32Board(d: Esp32Deps): Board {
  const storage = espruinoStorage(d.storage);
  const random = hwRandom(d.E);
  const writer = findMacWriter(d.esp32);
  const consoleWrite = espruinoConsole(d.print);

  // Never let Espruino auto-connect at the next power-on with the burned-in address.
  if (d.storage.read(ESPRUINO_WIFI_CONFIG) !== undefined) storage.deepErase(ESPRUINO_WIFI_CONFIG);

  const readMac = function (): Uint8Array {
    const ip = d.wifi.getIP();
    // Unreadable = all zero, which never equals a TmpMAC, so the session refuses to go on.
    return parseMacText(ip && ip.mac ? ip.mac : '') || new Uint8Array(6);
  };

  const radio: Radio = {
    canSetMac: function () {
      return writer !== null;
    },
    setMac: function (mac: Uint8Array, cb: (err?: string) => void) {
      if (!writer) return cb('this Espruino build has no ' + ESP32_DEVKITC.macWriteCall + ' (see boards/esp32/README.md)');
      // Not associated first: esp_wifi_set_mac refuses (and must not be tried) while connected.
      d.wifi.disconnect(function () {
        try {
          writer.setStaMac(formatMac(mac));
        } catch (e) {
          return cb('setStaMac: ' + ((e as Error).message || String(e)));
        }
        cb();
      });
    },
    currentMac: readMac,
    burnedInMac: function () {
      // With the extension the register holds a random address from init on (boards/esp32/README.md),
      // so the factory address is read from eFuse; without it the register still holds it.
      const f = writer && writer.getFactoryMac ? parseMacText(writer.getFactoryMac()) : null;
      return f || readMac();
    },
    connect: function (hostname: string, expectedMac: Uint8Array, cb: (err?: string) => void) {
      const creds = wifiCredentials(storage);
      if (!creds) return cb('no Wi-Fi configured (hood board config --wifi-ssid ...)');
      const go = function () {
        // Re-read the register immediately before Wifi.connect (which starts the station and, through
        // Espruino's STA_START handler, associates at once): refuse unless it holds the expected address.
        if (!equalBytes(readMac(), expectedMac)) return cb('MAC register does not hold the expected address');
        d.wifi.connect(creds.ssid, { password: creds.password }, function (err) {
          cb(err ? String(err) : undefined);
        });
      };
      // DHCP option 12 carries the hostname: random per session, set before association.
      if (d.wifi.setHostname) d.wifi.setHostname(hostname, go);
      else go();
    },
    disconnect: function (cb: () => void) {
      // The throwaway address after an anonymous session is loaded by the firmware's link teardown
      // (firmware/src/link.ts) through setMac, and waited for there.
      d.wifi.disconnect(function () {
        cb();
      });
    },
  };

  registerWifiApp(storage);

  return {
    name: ESP32_DEVKITC.name,
    radio: radio,
    net: espruinoNet(d.net, d.E),
    storage: storage,
    clock: espruinoClock(),
    random: random,
    consoleWrite: consoleWrite,
  };
}

interface KeyValue {
  write(k: string, v: string): void;
  erase(k: string): void;
}

/** Storage of the most recently created board (the `wifi` command is registered once). */
let wifiStorage: KeyValue | null = null;

/** Console command `{"cmd":"wifi","ssid":..,"password":..}`: store the credentials (never echoed back). */
function registerWifiApp(s: KeyValue): void {
  const first = wifiStorage === null;
  wifiStorage = s;
  if (!first) return;
  registerApp({
    name: 'esp32-wifi',
    commands: {
      wifi: function (c: any, ctx) {
        const storage = wifiStorage!;
        if (c.ssid === '' || c.ssid === null) {
          storage.erase(WIFI_KEY);
          ctx.emit({ ev: 'wifi', configured: false });
          return;
        }
        if (typeof c.ssid !== 'string' || c.ssid.length > 32) throw new Error('ssid: 1..32 characters');
        if (c.password !== undefined && (typeof c.password !== 'string' || c.password.length > 64)) throw new Error('password: at most 64 characters');
        storage.write(WIFI_KEY, JSON.stringify({ ssid: c.ssid, password: c.password || '' }));
        ctx.emit({ ev: 'wifi', configured: true, ssid: c.ssid });
      },
    },
  });
}
