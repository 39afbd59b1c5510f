/**
 * What counts as an identifier on the wire, how each is normalised (one value, one spelling), and how a
 * value is matched against the home identity.
 *
 * Strong kinds (a value in two sessions links them; a leak):
 *   mac               Ethernet source, ARP sender hardware address, DHCP chaddr, ICMPv6 link-layer option
 *   dhcp-client-id    option 61 (RFC 2132 §9.14), as hex
 *   dhcp-hostname     option 12, lower-cased (host names are case-insensitive)
 *   dhcp-fqdn         option 81 client name (RFC 4702)
 *   dhcp-requested-ip option 50 when the client picks it (DISCOVER, INIT-REBOOT): an address remembered
 *                     from an earlier lease
 *   dhcp-xid          transaction id (RFC 2131 §2: chosen by the client)
 *   mqtt-client-id    CONNECT client identifier (MQTT 3.1.1 §3.1.3.1)
 *   mqtt-username     CONNECT user name
 *   ipv6-iid          interface identifier (low 64 bits) of an IPv6 source or DAD target address
 * Weak kinds (reported, never a leak by themselves: a 16-bit value repeats by chance):
 *   tcp-src-port
 */
import { isIP } from 'node:net';

export const STRONG_KINDS = [
  'mac', 'dhcp-client-id', 'dhcp-hostname', 'dhcp-fqdn', 'dhcp-requested-ip', 'dhcp-xid', 'mqtt-client-id', 'mqtt-username', 'ipv6-iid',
] as const;
export const WEAK_KINDS = ['tcp-src-port'] as const;
export type IdKind = (typeof STRONG_KINDS)[number] | (typeof WEAK_KINDS)[number];

export function isStrong(k: IdKind): boolean {
  return (STRONG_KINDS as readonly string[]).indexOf(k) >= 0;
}

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function normMac(s: string): string | null {
  const m = s.trim().toLowerCase().replace(/-/g, ':');
  if (MAC_RE.test(m)) return m;
  const h = m.replace(/[:.]/g, '');
  if (/^[0-9a-f]{12}$/.test(h)) return h.replace(/(..)(?!$)/g, '$1:');
  return null;
}

export function macBytes(mac: string): number[] {
  return mac.split(':').map((x) => parseInt(x, 16));
}

/** Unicast (I/G = 0) and locally administered (U/L = 1), IEEE 802-2014 §8.2.2. */
export function isLocalUnicast(mac: string): boolean {
  const b0 = macBytes(mac)[0];
  return (b0 & 1) === 0 && (b0 & 2) === 2;
}

/** Expand an IPv6 address to 32 hex digits, or null. */
export function expandIpv6(a: string): string | null {
  const s = a.trim().toLowerCase().split('%')[0];
  if (isIP(s) !== 6) return null;
  let [head, tail] = s.includes('::') ? s.split('::') : [s, null as string | null];
  const conv = (part: string): string[] => {
    if (!part) return [];
    const out: string[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const o = g.split('.').map(Number);
        out.push(((o[0] << 8) | o[1]).toString(16), ((o[2] << 8) | o[3]).toString(16));
      } else out.push(g);
    }
    return out;
  };
  const h = conv(head);
  const t = tail === null ? [] : conv(tail);
  const fill = tail === null ? [] : new Array(8 - h.length - t.length).fill('0');
  const all = h.concat(fill, t);
  if (all.length !== 8) return null;
  return all.map((g) => g.padStart(4, '0')).join('');
}

/** Interface id (low 64 bits, hex) of an IPv6 address; null for :: and non-addresses. */
export function ipv6Iid(a: string): string | null {
  const x = expandIpv6(a);
  if (!x || /^0+$/.test(x)) return null;
  return x.slice(16);
}

/** Modified EUI-64 interface id of a MAC (RFC 4291 appendix A): what SLAAC derives from it. */
export function eui64Iid(mac: string): string {
  const b = macBytes(mac);
  b[0] ^= 0x02;
  const h = b.map((x) => x.toString(16).padStart(2, '0'));
  return h[0] + h[1] + h[2] + 'fffe' + h[3] + h[4] + h[5];
}

export interface HomeIdentity {
  burnedIn: string[];
  ids: string[];
}

/**
 * Why `value` (of `kind`) is a home identifier, or null. Beyond equality it catches the usual
 * derivations: a value containing a burned-in MAC in hex (lwIP's client id 01+MAC, "hood240ac4..."),
 * the EUI-64 interface id of a burned-in MAC, and a name containing the NIC-specific half of one
 * ("esp32-1ab001", the vendor-default host name).
 */
export function homeMatch(kind: IdKind, value: string, home: HomeIdentity): string | null {
  const v = value.toLowerCase();
  const vHex = v.replace(/[^0-9a-f]/g, '');
  for (const m of home.burnedIn) {
    const hex = m.replace(/:/g, '');
    if (kind === 'mac' && v === m) return 'burned-in MAC ' + m;
    if (kind === 'ipv6-iid' && v === eui64Iid(m)) return 'EUI-64 interface id of burned-in MAC ' + m;
    if (kind !== 'tcp-src-port' && kind !== 'dhcp-xid' && kind !== 'mac' && kind !== 'ipv6-iid') {
      if (vHex.includes(hex) || v.includes(hex)) return 'contains burned-in MAC ' + m;
      if (kind !== 'dhcp-requested-ip' && v.includes(hex.slice(6))) return 'contains the NIC-specific part of burned-in MAC ' + m;
    }
  }
  for (const id of home.ids) {
    const h = id.toLowerCase();
    if (v === h) return 'home identifier ' + JSON.stringify(id);
    const hh = h.replace(/[^0-9a-f]/g, '');
    if (kind === 'dhcp-client-id' && hh.length >= 4 && vHex === hh) return 'home identifier ' + JSON.stringify(id);
  }
  return null;
}
