/**
 * The native MAC-write call (boards/esp32/jswrap_hood_mac.c adds `ESP32.setStaMac(mac)` to
 * Espruino). Stock Espruino for ESP32 has no such call: then `find` returns null and the board
 * reports canSetMac() === false, so the firmware refuses anonymous mode (paper §5: the burned-in
 * address must never carry an anonymous session).
 */
export interface MacWriter {
  /** Write the STA unicast address register; throws (Espruino exception) on any refusal. */
  setStaMac(mac: string): boolean;
  /** The factory station address from eFuse (the register itself holds a random one from init on). */
  getFactoryMac?(): string;
}

/** The extension's entry point if this Espruino build has it, else null. Never throws. */
export function findMacWriter(esp32: unknown): MacWriter | null {
  if (!esp32 || (typeof esp32 !== 'object' && typeof esp32 !== 'function')) return null;
  const f = (esp32 as any).setStaMac;
  return typeof f === 'function' ? (esp32 as MacWriter) : null;
}
