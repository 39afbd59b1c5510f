/**
 * Emulated network interface: a unicast address register that starts at a fixed "burned-in" globally
 * administered MAC (as a real ESP32's eFuse address does), and can be rewritten only while the radio is
 * not associated (as esp_wifi_set_mac requires: station mode, not connected).
 */
import { formatMac, parseMac } from '../../shared/src/tmpmac';

/** A globally administered (U/L bit 0), unicast address: what a factory burns in. */
export const DEFAULT_BURNED_IN_MAC = '24:0a:c4:12:34:56';

export class EmuNic {
  readonly burnedIn: Uint8Array;
  private register: Uint8Array;
  associated = false;
  /** Every value ever loaded into the register, in order (for tests and the demo). */
  readonly history: string[] = [];

  constructor(burnedInMac = DEFAULT_BURNED_IN_MAC, readonly writable = true) {
    this.burnedIn = parseMac(burnedInMac);
    if (this.burnedIn[0] & 0x03) throw new Error('a burned-in MAC is unicast and globally administered');
    this.register = this.burnedIn.slice();
  }

  get mac(): Uint8Array {
    return this.register.slice();
  }

  setMac(mac: Uint8Array): void {
    if (!this.writable) throw new Error('MAC register is read-only on this board');
    if (this.associated) throw new Error('cannot change the MAC while associated');
    if (mac.length !== 6) throw new Error('MAC must be 6 bytes');
    if (mac[0] & 0x01) throw new Error('I/G bit set: not a unicast address');
    this.register = Uint8Array.from(mac);
    this.history.push(formatMac(this.register));
  }
}
