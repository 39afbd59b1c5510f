/**
 * Shared by the network tests. They need root (network namespaces) and the Debian tools the lab drives;
 * without them they FAIL with a message saying what is missing — never skip (CI runs them as root).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { prefixOf } from '../../host/lab/names';
import { testDir } from '../helpers/temp-dir';

const TOOLS: [string, string[], string][] = [
  ['ip', ['-V'], 'iproute2'],
  ['dumpcap', ['-v'], 'tshark (dumpcap)'],
  ['tshark', ['-v'], 'tshark'],
  ['dnsmasq', ['--version'], 'dnsmasq-base'],
  ['busybox', ['udhcpc', '--help'], 'busybox (udhcpc)'],
];

/** Throw (failing the suite) unless we are root and every tool the lab needs is installed. */
export function requireLabHost(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error('test/net needs root: it builds network namespaces with `ip netns` (CI runs it as root). Run: sudo npx vitest run test/net');
  }
  const missing = TOOLS.filter(([cmd, args]) => spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 }).error).map((t) => t[2]);
  if (missing.length) throw new Error('test/net needs these Debian packages: ' + missing.join(', '));
}

/** Namespaces belonging to the lab run `prefix` that still exist. */
export function namespacesOf(prefix: string): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n && prefixOf(n) === prefix);
}

export function tmpFile(name: string): string {
  return join(testDir('hood-net-test-'), name);
}

/** Frames matching a tshark display filter (counted by tshark itself, independently of the audit). */
export function countFrames(pcap: string, filter: string): number {
  const out = execFileSync('tshark', ['-r', pcap, '-n', '-Y', filter, '-T', 'fields', '-e', 'frame.number'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l.trim()).length;
}

/** Distinct Ethernet sources of frames matching `filter`. */
export function sourceMacs(pcap: string, filter: string): string[] {
  const out = execFileSync('tshark', ['-r', pcap, '-n', '-Y', filter, '-T', 'fields', '-e', 'eth.src'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return [...new Set(out.split('\n').map((l) => l.trim()).filter((l) => l))];
}
