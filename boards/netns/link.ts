/**
 * The PDA's NIC in the testbed: a real veth inside the PDA's network namespace, driven with iproute2.
 * Like an ESP32 station interface (esp_wifi_set_mac: "station mode, not connected"), its address
 * register may be written only while the link is down; the value the firmware reads back is read from
 * the kernel after the write, never the value it asked for, so the firmware's check that the register
 * holds the TmpMAC is a check of the real device.
 */
import { execFileSync } from 'node:child_process';
import { formatMac, parseMac } from '../../shared/src/tmpmac';
import { execTool } from './exec';

export const IFACE_RE = /^[a-zA-Z0-9_.-]{1,15}$/;

interface IpLink {
  address: string;
  flags: string[];
}

function parseLink(json: string, iface: string): IpLink {
  const j = JSON.parse(json) as IpLink[];
  if (!Array.isArray(j) || j.length !== 1 || typeof j[0].address !== 'string') throw new Error('ip: no link ' + iface);
  return j[0];
}

export class NetnsLink {
  private mac: Uint8Array;
  private up = false;

  constructor(readonly iface: string) {
    if (!IFACE_RE.test(iface)) throw new Error('bad interface name ' + JSON.stringify(iface));
    // Synchronous once, at power-on: the register as the board boots with it (the burned-in address).
    const l = parseLink(execFileSync('ip', ['-j', 'link', 'show', 'dev', iface], { encoding: 'utf8', timeout: 5000 }), iface);
    this.mac = parseMac(l.address.toLowerCase());
    this.up = l.flags.indexOf('UP') >= 0;
  }

  /** The register as last read from the kernel. */
  get address(): Uint8Array {
    return this.mac.slice();
  }

  get isUp(): boolean {
    return this.up;
  }

  private async reread(): Promise<void> {
    const r = await execTool('ip', ['-j', 'link', 'show', 'dev', this.iface]);
    const l = parseLink(r.stdout, this.iface);
    this.mac = parseMac(l.address.toLowerCase());
    this.up = l.flags.indexOf('UP') >= 0;
  }

  /** Read the register from the kernel now (not the last value seen). */
  async readAddress(): Promise<Uint8Array> {
    await this.reread();
    return this.mac.slice();
  }

  async setMac(mac: Uint8Array): Promise<void> {
    if (mac.length !== 6) throw new Error('MAC must be 6 bytes');
    if (mac[0] & 1) throw new Error('I/G bit set: not a unicast address');
    await this.reread();
    if (this.up) throw new Error('cannot change the MAC while the link is up');
    await execTool('ip', ['link', 'set', 'dev', this.iface, 'address', formatMac(mac)]);
    await this.reread();
  }

  async linkUp(): Promise<void> {
    await execTool('ip', ['link', 'set', 'dev', this.iface, 'up']);
    await this.reread();
  }

  async addAddress(ip: string, prefixLen: number): Promise<void> {
    if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || !(prefixLen >= 8 && prefixLen <= 32)) throw new Error('bad lease address');
    await execTool('ip', ['addr', 'add', ip + '/' + prefixLen, 'dev', this.iface]);
  }

  /** Forget the lease address and take the link down (IPv6 addresses go with it). */
  async linkDown(): Promise<void> {
    await execTool('ip', ['addr', 'flush', 'dev', this.iface]);
    await execTool('ip', ['link', 'set', 'dev', this.iface, 'down']);
    await this.reread();
  }
}
