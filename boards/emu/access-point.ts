/**
 * Emulated access point: it sees what a real AP (or anyone sniffing the air) sees of the board — the
 * source MAC of every association and of every frame the board sends. Tests and `hood demo` ask it
 * whether the burned-in address was ever on the air.
 */
import { equalBytes } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';

export interface AirRecord {
  what: 'associate' | 'send';
  mac: string;
  bytes: number;
  hostname?: string;
}

export class EmuAccessPoint {
  readonly records: AirRecord[] = [];

  associate(mac: Uint8Array, hostname: string): void {
    this.records.push({ what: 'associate', mac: formatMac(mac), bytes: 0, hostname });
  }

  frame(mac: Uint8Array, bytes: number): void {
    const last = this.records[this.records.length - 1];
    const m = formatMac(mac);
    // Coalesce consecutive frames from the same address to keep the record small.
    if (last && last.what === 'send' && last.mac === m) last.bytes += bytes;
    else this.records.push({ what: 'send', mac: m, bytes });
  }

  sourceMacs(): string[] {
    const seen: string[] = [];
    for (const r of this.records) if (!seen.includes(r.mac)) seen.push(r.mac);
    return seen;
  }

  sawMac(mac: Uint8Array): boolean {
    return this.records.some((r) => equalBytes(Buffer.from(r.mac.replace(/:/g, ''), 'hex'), mac));
  }
}
