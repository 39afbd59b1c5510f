/**
 * TmpMAC (paper §5): the temporary IEEE 802 address the PDA loads into its unicast address register
 * for one anonymous session. 48 bits from the cryptographic RNG with, in the first octet (IEEE 802-2014
 * §8.2.2), the I/G bit (bit 0) cleared — unicast — and the U/L bit (bit 1) set — locally administered —
 * so it can never collide with a burned-in (globally administered) address. Never all-zero.
 */
import { DecodeError } from './bytes';
import { MAC_LEN } from './protocol/constants';
import { isLowerHex } from './text';

export function newTmpMac(random: (n: number) => Uint8Array): Uint8Array {
  const m = random(MAC_LEN);
  if (!m || m.length !== MAC_LEN) throw new Error('RNG returned ' + (m ? m.length : 0) + ' bytes, wanted ' + MAC_LEN);
  // With U/L set and I/G clear the result can be neither all-zero nor broadcast, whatever the RNG gave.
  m[0] = (m[0] & 0xfc) | 0x02;
  return m;
}

export function isUnicast(mac: Uint8Array): boolean {
  return (mac[0] & 0x01) === 0;
}

export function isLocallyAdministered(mac: Uint8Array): boolean {
  return (mac[0] & 0x02) === 0x02;
}

/** A valid TmpMAC: 6 bytes, unicast, locally administered, not all-zero, not broadcast. */
export function isValidTmpMac(mac: Uint8Array): boolean {
  if (!mac || mac.length !== MAC_LEN) return false;
  if (!isUnicast(mac) || !isLocallyAdministered(mac)) return false;
  let or = 0;
  let and = 0xff;
  for (let i = 0; i < MAC_LEN; i++) {
    or |= mac[i];
    and &= mac[i];
  }
  return or !== 0 && and !== 0xff;
}

/** Canonical form: six lower-case two-digit hex octets separated by colons. */
export function formatMac(mac: Uint8Array): string {
  if (mac.length !== MAC_LEN) throw new Error('MAC must be 6 bytes');
  const h = '0123456789abcdef';
  let s = '';
  for (let i = 0; i < MAC_LEN; i++) {
    if (i) s += ':';
    s += h[mac[i] >> 4] + h[mac[i] & 15];
  }
  return s;
}

/** Parse the canonical form only (so one address has one spelling in logs, pins and audits). */
export function parseMac(s: string): Uint8Array {
  if (typeof s !== 'string' || s.length !== 17) throw new DecodeError('bad_mac', JSON.stringify(s));
  const out = new Uint8Array(MAC_LEN);
  for (let i = 0; i < MAC_LEN; i++) {
    const pair = s.substr(3 * i, 2);
    if (!isLowerHex(pair, 2) || (i < MAC_LEN - 1 && s[3 * i + 2] !== ':')) throw new DecodeError('bad_mac', JSON.stringify(s));
    out[i] = parseInt(pair, 16);
  }
  return out;
}
