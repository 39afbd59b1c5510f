/**
 * Deliberately leaky builds of the netns board, for one purpose only: to prove that the leak audit
 * (host/audit) can fail. Each reproduces a real-world mistake of a HAL or stack:
 *  - mac:            a driver that reports success for set-MAC but never writes the register, and reads
 *                    back what it was asked for (the burned-in address stays on the wire);
 *  - dhcp-client-id: the DHCP stack's default option 61 (type 1 + burned-in MAC, as lwIP sends it);
 *  - hostname:       a fixed vendor-default DHCP hostname ("esp32-XXXXXX");
 *  - mqtt-client-id: the same MQTT client id in every session (rewritten in the CONNECT packet).
 * Never enabled unless asked for by name (`hood lab run --leak KIND@PDA`).
 */
import { toHex } from '../../shared/src/bytes';

export const LEAK_KINDS = ['mac', 'dhcp-client-id', 'hostname', 'mqtt-client-id'] as const;
export type LeakKind = (typeof LEAK_KINDS)[number];

export function parseLeakKind(s: string): LeakKind {
  if ((LEAK_KINDS as readonly string[]).indexOf(s) < 0) throw new Error('unknown leak kind ' + JSON.stringify(s) + ' (one of ' + LEAK_KINDS.join(', ') + ')');
  return s as LeakKind;
}

/** lwIP's default client id: hardware type 1 followed by the (burned-in) MAC. */
export function hardwareClientId(mac: Uint8Array): Uint8Array {
  const out = new Uint8Array(7);
  out[0] = 1;
  out.set(mac, 1);
  return out;
}

export function vendorHostname(burnedIn: Uint8Array): string {
  return 'esp32-' + toHex(burnedIn.subarray(3));
}

/**
 * If `pkt` is an MQTT 3.1.1 CONNECT (§3.1), a copy whose client id is replaced by a fixed id of the
 * same length derived from the burned-in MAC; otherwise `pkt` itself.
 */
export function pinConnectClientId(pkt: Uint8Array, burnedIn: Uint8Array): Uint8Array {
  if (pkt.length < 2 || pkt[0] !== 0x10) return pkt;
  let i = 1;
  for (let n = 0; n < 4 && i < pkt.length && pkt[i] & 0x80; n++) i++;
  i++; // last remaining-length byte
  if (i + 2 > pkt.length) return pkt;
  const nameLen = (pkt[i] << 8) | pkt[i + 1];
  i += 2 + nameLen + 1 + 1 + 2; // protocol name, level, flags, keep alive
  if (i + 2 > pkt.length) return pkt;
  const idLen = (pkt[i] << 8) | pkt[i + 1];
  i += 2;
  if (i + idLen > pkt.length || idLen === 0) return pkt;
  const fixed = ('L' + toHex(burnedIn) + 'x'.repeat(23)).slice(0, idLen);
  const out = pkt.slice();
  for (let k = 0; k < idLen; k++) out[i + k] = fixed.charCodeAt(k);
  return out;
}
