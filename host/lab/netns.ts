/**
 * iproute2 plumbing of the lab: namespaces, the bridge that is the shared medium, veth pairs.
 * Nothing is created in the caller's own namespace: the bridge lives in the run's `air` namespace and
 * each veth is created directly with one end in a station namespace and the other in `air`.
 */
import { execFileSync } from 'node:child_process';
import { execTool } from '../../boards/netns/exec';
import { pidAlive, prefixOf, ownerPid } from './names';

export async function listNamespaces(): Promise<string[]> {
  const r = await execTool('ip', ['netns', 'list']);
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n);
}

export function listNamespacesSync(): string[] {
  const out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 5000 });
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0])
    .filter((n) => n);
}

export async function addNamespace(name: string): Promise<void> {
  await execTool('ip', ['netns', 'add', name]);
  await execTool('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

/** Set net.* sysctls inside a namespace (they are per namespace). */
export async function nsSysctl(ns: string, settings: string[]): Promise<void> {
  await execTool('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...settings]);
}

export async function addBridge(ns: string, name: string): Promise<void> {
  // No STP and no forwarding delay: a port forwards the moment it is up, like an AP's radio.
  await execTool('ip', ['-n', ns, 'link', 'add', name, 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
  await execTool('ip', ['-n', ns, 'link', 'set', name, 'up']);
}

/** veth with `inner` (optionally with a fixed address) in `ns` and `outer` enslaved to `bridge` in `air`. */
export async function addStation(ns: string, inner: string, air: string, outer: string, bridge: string, mac?: string): Promise<void> {
  const args = ['-n', ns, 'link', 'add', inner];
  if (mac) args.push('address', mac);
  args.push('type', 'veth', 'peer', 'name', outer, 'netns', air);
  await execTool('ip', args);
  await execTool('ip', ['-n', air, 'link', 'set', outer, 'master', bridge, 'up']);
}

/**
 * End every process still running inside one of OUR namespaces (a lab process that was SIGKILLed
 * leaves dnsmasq, dumpcap and the MSS behind): SIGTERM, then SIGKILL after `graceMs`. The pids come
 * from `ip netns pids`, i.e. only processes inside that namespace.
 */
export async function killNamespacePids(name: string, graceMs = 2000): Promise<number> {
  const pids = async () =>
    (await execTool('ip', ['netns', 'pids', name]).catch(() => ({ stdout: '' }))).stdout
      .split('\n')
      .map((l) => Number(l.trim()))
      .filter((n) => n > 1 && n !== process.pid);
  const first = await pids();
  for (const pid of first) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const until = Date.now() + graceMs;
  while (Date.now() < until && (await pids()).length) await new Promise((r) => setTimeout(r, 100));
  for (const pid of await pids()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return first.length;
}

export async function deleteNamespace(name: string): Promise<void> {
  await execTool('ip', ['netns', 'del', name]).catch(() => undefined);
}

/** Namespaces of runs whose lab process is gone (or of one given prefix). */
export async function leftoverNamespaces(prefix?: string): Promise<string[]> {
  const all = await listNamespaces();
  return all.filter((n) => {
    const p = prefixOf(n);
    if (!p) return false;
    if (prefix) return p === prefix;
    const pid = ownerPid(p);
    return pid !== null && pid !== process.pid && !pidAlive(pid);
  });
}
