/**
 * The board interface: everything the PDA firmware needs from the hardware it runs on.
 * Each folder under boards/ implements it (emu for Node, esp32-* for Espruino on ESP32,
 * espruino-linux for the Linux interpreter). The firmware never touches a board API directly,
 * so the protocol code is identical on every board.
 *
 * Runs on Espruino: callbacks only (no async/await), Uint8Array for bytes.
 */

/** A TCP stream as the firmware sees it (Espruino `net` socket, or a Node socket in emu). */
export interface Socket {
  /** Queue bytes for sending. */
  write(data: Uint8Array): void;
  /** Close the stream; `onClose` fires afterwards. */
  end(): void;
}

export interface SocketHandlers {
  onConnect(): void;
  onData(data: Uint8Array): void;
  /** Fires exactly once, after a clean close or an error (`err` set). */
  onClose(err?: string): void;
}

/** The 802.11 radio and its unicast address register (paper §5: TmpMAC). */
export interface Radio {
  /** True when this board can write the unicast address register (ESP32 needs a native extension). */
  canSetMac(): boolean;
  /** Load `mac` (6 bytes) into the unicast address register. Must be called before any traffic. */
  setMac(mac: Uint8Array, cb: (err?: string) => void): void;
  /** The address currently in the register (6 bytes). */
  currentMac(): Uint8Array;
  /**
   * The factory (burned-in) address, where the register may hold another one at power-on (the ESP32
   * extension loads a random address at init). Absent: the register holds it at boot.
   */
  burnedInMac?(): Uint8Array;
  /**
   * Associate with the access point; `hostname` is what DHCP would send (random per session). The
   * board re-reads the address register immediately before associating and fails (cb(err), nothing
   * sent) unless it holds `expectedMac`: whatever happened since the firmware's own read-back, the
   * association never goes out under an address the firmware did not ask for (paper §5).
   */
  connect(hostname: string, expectedMac: Uint8Array, cb: (err?: string) => void): void;
  disconnect(cb: () => void): void;
}

export interface Net {
  /** Open a TCP connection to the broker. */
  connect(host: string, port: number, handlers: SocketHandlers): Socket;
}

/** Non-volatile key/value store (Espruino `Storage`). Only configuration and pins live here, never session data. */
export interface Storage {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
  erase(key: string): void;
  keys(): string[];
}

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/**
 * One board: the only way firmware code reaches hardware. A board module (boards/<name>/hal.ts)
 * builds it from its platform's objects and hands it to the firmware at boot; the firmware keeps it
 * and calls nothing else, so protocol code is the same on the ESP32, the Linux interpreter and the
 * emulated board. Every call is callback-based and every byte string a Uint8Array, because Espruino
 * has neither async/await nor Buffer.
 *
 * @example
 * ```ts
 * // boards/espruino-linux/hal.ts: assemble the board from Espruino's modules
 * const board: Board = {
 *   name: 'espruino-linux',
 *   radio: harness.radio,
 *   net: espruinoNet(require('net'), E),
 *   storage: espruinoStorage(require('Storage')),
 *   clock: espruinoClock(),
 *   random: hwRandom(E),
 *   consoleWrite: espruinoConsole(print),
 * };
 * hood.boot(board);
 *
 * // firmware: load the TmpMAC, then associate only under it (paper §5)
 * board.radio.setMac(tmpMac, function (err) {
 *   if (!err) board.radio.connect(hostname, tmpMac, onAssociated);
 * });
 * ```
 */
export interface Board {
  /** Short board name, e.g. "emu", "esp32-devkitc". */
  name: string;
  radio: Radio;
  net: Net;
  storage: Storage;
  clock: Clock;
  /** Cryptographic random bytes from the board's hardware RNG (never Math.random). */
  random(n: number): Uint8Array;
  /** One line out on the board console (events for the host's board link). */
  consoleWrite(line: string): void;
}
