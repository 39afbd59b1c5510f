/**
 * DHCP client of the netns board: busybox udhcpc, one run per association, so nothing survives from
 * one session to the next (no lease file, no remembered address: every session starts in INIT state,
 * RFC 2131 §4.4, with a DISCOVER and never an INIT-REBOOT REQUEST for an old address).
 *
 * What the PDA puts in its DHCP packets is exactly: chaddr (= the MAC register), option 12 hostname and
 * option 61 client identifier as given by the caller, and udhcpc's parameter request list. `-C` stops
 * udhcpc adding its default client id (type 1 + MAC), `-V ''` stops it sending a vendor class (option 60,
 * "udhcp 1.35.0"), `-q` exits once bound WITHOUT a DHCPRELEASE, so the server does not hand the same
 * address to the next session while the lease runs (the address is as temporary as the lease).
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toHex } from '../../shared/src/bytes';

export interface Lease {
  ip: string;
  prefixLen: number;
  router: string;
  server: string;
  leaseSec: number;
}

export interface DhcpRequest {
  iface: string;
  hostname: string;
  /** Option 61 contents (type octet first, RFC 2132 §9.14). */
  clientId: Uint8Array;
  timeoutMs?: number;
}

export const HOSTNAME_RE = /^[A-Za-z0-9][A-Za-z0-9-]{0,62}$/;

let scriptDir: string | null = null;

/** udhcpc reports through a script; ours only prints the values for us to parse (we configure the NIC). */
function eventScript(): string {
  if (!scriptDir) {
    const dir = mkdtempSync(join(tmpdir(), 'hood-udhcpc-'));
    scriptDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const p = join(scriptDir, 'event.sh');
  writeFileSync(p, '#!/bin/sh\necho "HOOD_DHCP $1 ip=$ip mask=$mask router=$router serverid=$serverid lease=$lease"\n');
  chmodSync(p, 0o755);
  return p;
}

export function parseBound(stdout: string): Lease | null {
  const m = /^HOOD_DHCP bound ip=(\d+\.\d+\.\d+\.\d+) mask=(\d+) router=(\S*) serverid=(\S*) lease=(\d+)$/m.exec(stdout);
  if (!m) return null;
  const prefixLen = Number(m[2]);
  if (!(prefixLen >= 8 && prefixLen <= 32)) return null;
  return { ip: m[1], prefixLen, router: m[3].split(' ')[0] || '', server: m[4], leaseSec: Number(m[5]) };
}

/** One DHCP exchange (DISCOVER/OFFER/REQUEST/ACK); rejects if no lease within the time limit. */
export function requestLease(r: DhcpRequest): Promise<Lease> {
  if (!HOSTNAME_RE.test(r.hostname)) return Promise.reject(new Error('bad DHCP hostname'));
  if (r.clientId.length < 2 || r.clientId.length > 64) return Promise.reject(new Error('bad DHCP client id length'));
  const timeoutMs = r.timeoutMs ?? 8000;
  const args = ['udhcpc', '-i', r.iface, '-f', '-q', '-n', '-t', '4', '-T', '1', '-A', '1', '-C', '-V', '',
    '-x', 'hostname:' + r.hostname, '-x', '0x3d:' + toHex(r.clientId), '-s', eventScript()];
  return new Promise((resolve, reject) => {
    const p = spawn('busybox', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', (e) => {
      clearTimeout(t);
      reject(new Error('busybox udhcpc: ' + e.message));
    });
    p.on('close', (code) => {
      clearTimeout(t);
      const lease = parseBound(out);
      if (lease) resolve(lease);
      else reject(new Error('no DHCP lease (udhcpc exit ' + code + '): ' + err.trim().split('\n').slice(-2).join(' / ')));
    });
  });
}
