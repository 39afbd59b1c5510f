/**
 * The slice of Espruino's own API the board HALs use, as types only (Espruino 2v29: libs/network
 * jswrap_net.c / jswrap_wifi.c, src/jswrap_storage.c, src/jswrap_espruino.c). HALs receive these
 * objects as parameters, so tests can hand them test doubles and the HAL code stays identical.
 */

/** A socket from `require("net").connect`: data arrives as binary strings. */
export interface EspruinoSocket {
  on(event: 'connect' | 'data' | 'close' | 'end' | 'error', fn: (arg?: any) => void): void;
  write(data: string): void;
  end(): void;
}

export interface EspruinoNetModule {
  connect(opts: { host: string; port: number }, onConnect: () => void): EspruinoSocket;
}

/** `require("Storage")`: flash files named by strings of at most 28 characters. */
export interface EspruinoStorageModule {
  read(name: string): string | undefined;
  /** offset 0 (or none) replaces the file; offset > 0 writes into an existing file of `size` bytes. */
  write(name: string, data: string, offset?: number, size?: number): boolean;
  erase(name: string): void;
  list(pattern?: RegExp): string[];
  /** Rewrites live files and erases freed pages (what makes an erase physical). */
  compact?(): void;
}

/** The parts of the `E` object the HALs use. */
export interface EspruinoE {
  /** 32 bits from the hardware RNG (int32, may be negative). */
  hwRand(): number;
  toString?(data: Uint8Array): string | undefined;
  toUint8Array?(data: string): Uint8Array;
}

/** `require("Wifi")` on ESP32 (libs/network/esp32/jswrap_esp32_network.c). */
export interface EspruinoWifi {
  connect(ssid: string, opts: { password?: string }, cb: (err: string | null) => void): void;
  disconnect(cb?: () => void): void;
  getIP(): { ip?: string; mac?: string };
  getDetails?(): { status?: string };
  setHostname?(hostname: string, cb?: () => void): void;
}
