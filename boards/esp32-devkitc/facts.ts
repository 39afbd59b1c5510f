/**
 * Board facts for the ESP32 DevKitC (ESP32-WROOM-32 module) running Espruino for ESP32, as data.
 * Sources: Espruino boards/ESP32.py (RELEASE_2V29: variables, saved_code, console), the ESP32
 * datasheet (radio), and ESP-IDF's esp_wifi_set_mac documentation (address register rules).
 */
export interface BoardFacts {
  /** Board name the firmware reports (`boot` and `status` events). */
  name: string;
  /** `process.env.BOARD` of the Espruino build that runs on it. */
  espruinoBoard: string;
  module: string;
  cpu: string;
  ramKiB: number;
  flashMiB: number;
  /** Espruino variables (JsVars) and their size in bytes. */
  jsVars: number;
  bytesPerJsVar: number;
  /** Espruino Storage area (where the firmware bundle and the proofs live), bytes. */
  storageBytes: number;
  storagePageBytes: number;
  consoleBaud: number;
  /** USB-serial bridge on the dev board (vendor dependent). */
  usbSerial: string;
  radio: string;
  /** JS call of the native extension (boards/esp32/) that writes the STA unicast address register. */
  macWriteCall: string;
  /** Max bytes of one console command line (Espruino's input buffer is drained as it fills; keep lines modest). */
  maxCommandLine: number;
}

export const ESP32_DEVKITC: BoardFacts = {
  name: 'esp32-devkitc',
  espruinoBoard: 'ESP32',
  module: 'ESP32-WROOM-32 (ESP32-D0WD, 4 MiB flash)',
  cpu: 'Xtensa LX6 dual core, 240 MHz',
  ramKiB: 520,
  flashMiB: 4,
  jsVars: 16383,
  bytesPerJsVar: 14,
  storageBytes: 224 * 4096,
  storagePageBytes: 4096,
  consoleBaud: 115200,
  usbSerial: 'CP2102 or CH340 USB-UART on UART0 (GPIO1 TX, GPIO3 RX)',
  radio: '802.11 b/g/n 2.4 GHz, station interface used; address register written with esp_wifi_set_mac(WIFI_IF_STA)',
  macWriteCall: 'ESP32.setStaMac',
  maxCommandLine: 4096,
};
