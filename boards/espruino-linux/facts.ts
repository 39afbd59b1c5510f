/** Board facts for the Espruino interpreter built for Linux (`make` in Espruino's tree; BOARD=LINUX). */
import type { BoardFacts } from '../esp32-devkitc/facts';

export const ESPRUINO_LINUX: BoardFacts = {
  name: 'espruino-linux',
  espruinoBoard: 'LINUX',
  module: 'host process (no radio: the test harness on the console plays the NIC)',
  cpu: 'host CPU',
  ramKiB: 0,
  flashMiB: 0,
  // Starts at 4096 and grows on demand (RESIZABLE_JSVARS); ESP32's fixed 16383 is the real limit.
  jsVars: 4096,
  bytesPerJsVar: 27,
  storageBytes: 4 * 1024 * 1024,
  storagePageBytes: 4096,
  consoleBaud: 0,
  usbSerial: 'stdin/stdout through a pty',
  radio: 'none; `radio` events ask the harness to load the TmpMAC into its NIC',
  macWriteCall: 'harness radio protocol (docs/boards.md)',
  maxCommandLine: 65536,
};
