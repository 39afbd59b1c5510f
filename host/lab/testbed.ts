/**
 * The network-namespace testbed: one `air` namespace holding a Linux bridge — the shared
 * medium, sniffed with dumpcap — one `mss` namespace running dnsmasq (short DHCP leases) and the MSS
 * gateway with its embedded broker, and N `pdaK` namespaces, each with one emulated PDA process running
 * the real firmware bundle on the netns board. Each PDA's veth starts with a fixed, globally
 * administered "burned-in" MAC and stays down until the firmware has loaded a TmpMAC.
 *
 * With two MSSs (`mss: 2`, hand-off, paper §6.3) the air namespace holds two bridges, br0 for MSS `lab-a` in
 * `<run>-mss` (10.77.0.0/24) and br1 for MSS `lab-b` in `<run>-mssb` (10.78.0.0/24), each MSS with its own
 * dnsmasq and each bridge captured into its own file; the two MSSs reach each other's MSS-to-MSS endpoint
 * over a veth pair of their own (10.79.0.0/30), on neither air. A PDA's station starts on br0;
 * moveStation() moves its bridge port to the other bridge, as a radio re-associates with another AP.
 *
 * Cleanup: every namespace name carries the run prefix (names.ts); down() stops the processes by pid
 * and deletes exactly this run's namespaces. It runs on any setup failure, and a synchronous copy runs
 * from the process 'exit' handler, so an exception, a failed assertion or a signal handled by the CLI
 * leaves nothing behind. The run's work directory (`<tmpdir>/<prefix>-XXXXXX`: the MSS keys, DHCP
 * leases) goes with it; `hood lab down` removes those of a run that was killed outright.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import { PdaEventLog } from '../../boards/node/events';
import { execTool } from '../../boards/netns/exec';
import type { LeakKind } from '../../boards/netns/leaks';
import { addBridge, addNamespace, addStation, killNamespacePids, listNamespaces, listNamespacesSync, nsSysctl, deleteNamespace } from './netns';
import { newRunPrefix, ownerPid, pidAlive, prefixOf, runNames, type RunNames } from './names';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { LabProc } from './procs';
import { BACKBONE_PREFIX_LEN, LAB_FEDERATION, makeLabFederation, PEER_PORT, SITES, sitePcap, type LabMssSite } from './federation';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** TypeScript entries start through bin/run-ts.js (tsx's in-thread hooks; see there). */
const RUN_TS = join(ROOT, 'bin/run-ts.js');
export const DEFAULT_BUNDLE = join(ROOT, 'firmware/dist/hood.js');

export const SUBNET = '10.77.0';
export const MSS_IP = SUBNET + '.1';
export const BROKER_PORT = 1883;
export const MAX_PDAS = 32;

export type SetupStep = 'namespaces' | 'bridge' | 'stations' | 'capture' | 'dhcp' | 'mss' | 'pdas';

export interface TestbedOptions {
  pdas: number;
  /** Capture everything on the bridge into this file (.pcap = libpcap format, else pcapng). */
  pcap?: string;
  /** Deliberate leaks per PDA index (only to prove the audit fails). */
  leaks?: { [pda: number]: LeakKind[] };
  bundlePath?: string;
  /** DHCP lease time in seconds (dnsmasq's minimum is 120). */
  leaseSec?: number;
  log?: (s: string) => void;
  /** Fault injection for tests: throw right after this setup step. */
  failAfter?: SetupStep;
  /** Called once the run prefix is chosen, before anything is created. */
  onPrefix?: (prefix: string) => void;
  /** The MSS relays mail to a local maildir, through an exponential mix of this mean delay (0 = none). */
  mail?: { mixMeanDelaySec: number };
  /** 1 (default) or 2: two MSSs of one federation, each on its own air (hand-off). */
  mss?: number;
}

/** The burned-in (globally administered, unicast) MAC of PDA `i`: Espressif's OUI, fixed per index. */
export function burnedInMac(i: number): string {
  return '24:0a:c4:1a:b0:' + (i + 1).toString(16).padStart(2, '0');
}

export class LabPda {
  private log = new PdaEventLog();
  proc!: LabProc;

  constructor(
    readonly index: number,
    readonly ns: string,
    readonly burnedIn: string,
    readonly leaks: LeakKind[],
  ) {}

  /** The MSS site (index into Testbed.sites) whose bridge the station is on. */
  site = 0;

  /** Every event so far, in order. */
  get events(): PdaEvent[] {
    return this.log.events;
  }

  onLine(l: string): void {
    this.log.line(l);
  }

  cmd(c: Record<string, unknown>): void {
    this.proc.send(JSON.stringify(c));
  }

  /** First event after index `since` matching `pred`. */
  waitFor(pred: (e: PdaEvent) => boolean, timeoutMs: number, since: number): Promise<PdaEvent> {
    return this.log.waitFor(pred, timeoutMs, since, () => 'pda' + this.index + ': timed out; last events ' + JSON.stringify(this.events.slice(-4)) + '; ' + this.proc.tail());
  }
}

const live = new Set<Testbed>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const tb of live) tb.downSync();
  });
}

export class Testbed {
  readonly names: RunNames;
  readonly pdas: LabPda[] = [];
  readonly workDir: string;
  identityKey = '';
  mssId = 'lab';
  /** Where the MSS delivers mail (with `mail`), inside this run's work dir. */
  maildir = '';
  private procs: LabProc[] = [];
  private created: string[] = [];
  private captures: LabProc[] = [];
  /** The MSSs of this run: one, or the two of the lab federation. */
  sites: LabMssSite[] = [];
  /** Capture file of each site (with `pcap`). */
  pcaps: string[] = [];
  /** With two MSSs: the federation key each PDA pins, hex. */
  federationKey = '';
  private downPromise: Promise<string[]> | null = null;
  private log: (s: string) => void;

  private constructor(readonly opts: TestbedOptions) {
    this.names = runNames(newRunPrefix());
    this.workDir = makeTempDir(this.names.prefix + '-');
    this.log = opts.log || (() => undefined);
  }

  get prefix(): string {
    return this.names.prefix;
  }

  static async up(opts: TestbedOptions): Promise<Testbed> {
    if (!(opts.pdas >= 1 && opts.pdas <= MAX_PDAS && opts.pdas % 1 === 0)) throw new Error('pdas must be 1..' + MAX_PDAS);
    if (opts.mss !== undefined && opts.mss !== 1 && opts.mss !== 2) throw new Error('mss must be 1 or 2');
    if (opts.mss === 2 && opts.mail) throw new Error('mail is not available with two MSSs');
    if (typeof process.getuid === 'function' && process.getuid() !== 0) {
      throw new Error('the lab needs root (network namespaces); run as root, e.g. sudo hood lab run');
    }
    const bundle = opts.bundlePath || DEFAULT_BUNDLE;
    if (!existsSync(bundle)) throw new Error('firmware bundle ' + bundle + ' missing: run `hood build firmware`');
    const tb = new Testbed(opts);
    opts.onPrefix?.(tb.prefix);
    live.add(tb);
    installExitHook();
    try {
      await tb.setup(bundle);
      return tb;
    } catch (e) {
      await tb.down();
      throw e;
    }
  }

  private step(s: SetupStep): void {
    this.log('setup: ' + s + ' done');
    if (this.opts.failAfter === s) throw new Error('injected failure after setup step ' + s);
  }

  private async ns(name: string): Promise<void> {
    this.created.push(name);
    await addNamespace(name);
  }

  private spawn(name: string, ns: string, cmd: string, args: string[], o: { stdin?: boolean; onLine?: (l: string) => void } = {}): LabProc {
    const p = new LabProc(name, ns, cmd, args, { cwd: ROOT, ...o });
    this.procs.push(p);
    return p;
  }

  /** The namespace of site `i`. */
  siteNs(i: number): string {
    return this.prefix + '-' + this.sites[i].nsName;
  }

  private async setup(bundle: string): Promise<void> {
    const n = this.names;
    const two = this.opts.mss === 2;
    this.sites = two ? SITES : [{ ...SITES[0], mssId: this.mssId }];
    const sites = this.sites;
    await this.ns(n.air);
    for (let i = 0; i < sites.length; i++) await this.ns(this.siteNs(i));
    for (let i = 0; i < this.opts.pdas; i++) await this.ns(n.pda(i));
    this.step('namespaces');

    // The medium and the MSS do not speak IPv6: whatever IPv6 is on the air comes from a PDA.
    const noV6 = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    await nsSysctl(n.air, noV6);
    for (let i = 0; i < sites.length; i++) {
      const s = sites[i];
      const ns = this.siteNs(i);
      await nsSysctl(ns, noV6);
      await addBridge(n.air, s.bridge);
      // No IGMP querier chatter from the bridge itself.
      await execFileOk(['-n', n.air, 'link', 'set', s.bridge, 'type', 'bridge', 'mcast_snooping', '0']);
      await addStation(ns, 'eth0', n.air, s.airPort, s.bridge);
      await execFileOk(['-n', ns, 'addr', 'add', s.ip + '/24', 'dev', 'eth0']);
      await execFileOk(['-n', ns, 'link', 'set', 'eth0', 'up']);
    }
    if (two) {
      // The backbone between the two MSSs: a veth pair of its own, on neither bridge, never captured.
      const a = this.siteNs(0);
      const b = this.siteNs(1);
      await execFileOk(['-n', a, 'link', 'add', 'bb0', 'type', 'veth', 'peer', 'name', 'bb0', 'netns', b]);
      for (let i = 0; i < 2; i++) {
        await execFileOk(['-n', this.siteNs(i), 'addr', 'add', sites[i].backboneIp + '/' + BACKBONE_PREFIX_LEN, 'dev', 'bb0']);
        await execFileOk(['-n', this.siteNs(i), 'link', 'set', 'bb0', 'up']);
      }
    }
    this.step('bridge');

    for (let i = 0; i < this.opts.pdas; i++) {
      const mac = burnedInMac(i);
      // The PDA's NIC: created DOWN with the burned-in address; only the firmware brings it up.
      await addStation(n.pda(i), 'eth0', n.air, 'pda' + i, sites[0].bridge, mac);
      this.pdas.push(new LabPda(i, n.pda(i), mac, (this.opts.leaks && this.opts.leaks[i]) || []));
    }
    this.step('stations');

    if (this.opts.pcap) {
      for (let i = 0; i < sites.length; i++) {
        const file = sitePcap(resolve(this.opts.pcap), i);
        this.pcaps.push(file);
        rmSync(file, { force: true });
        const args = ['-i', sites[i].bridge, '-w', file, '-q'];
        if (file.endsWith('.pcap')) args.push('-P');
        // dumpcap puts the bridge in promiscuous mode, so the bridge hands it every frame it forwards.
        const c = this.spawn('dumpcap' + (i ? '-' + sites[i].bridge : ''), n.air, 'dumpcap', args);
        this.captures.push(c);
        await c.waitLine((l) => l.startsWith('File:') || l.startsWith('Capturing on'), 10_000);
      }
    }
    this.step('capture');

    const lease = Math.max(120, this.opts.leaseSec ?? 120);
    for (let i = 0; i < sites.length; i++) {
      const sub = sites[i].subnet;
      const tag = i ? '-' + sites[i].nsName : '';
      const dns = this.spawn('dnsmasq' + tag, this.siteNs(i), 'dnsmasq', [
        '--keep-in-foreground', '--conf-file=/dev/null', '--port=0', '--interface=eth0', '--bind-interfaces',
        '--dhcp-range=' + sub + '.100,' + sub + '.250,255.255.255.0,' + lease + 's',
        '--dhcp-leasefile=' + join(this.workDir, 'leases' + tag), '--pid-file=' + join(this.workDir, 'dnsmasq' + tag + '.pid'),
        '--no-ping', '--dhcp-authoritative', '--log-dhcp', '--log-facility=-', '--no-hosts', '--no-resolv',
      ]);
      await dns.waitLine((l) => /DHCP, sockets bound/.test(l), 10_000);
    }
    this.step('dhcp');

    const dataDirs = sites.map((s) => join(this.workDir, s.nsName));
    const fed = two ? makeLabFederation(this.workDir, dataDirs) : null;
    if (fed) this.federationKey = fed.keyHex;
    const readies = await Promise.all(
      sites.map(async (s, i) => {
        const mss = this.spawn(s.nsName, this.siteNs(i), process.execPath, [
          RUN_TS, join(ROOT, 'host/lab/mss-main.ts'), '--data-dir', dataDirs[i], '--host', s.ip,
          '--port', String(BROKER_PORT), '--mss-id', s.mssId,
          ...(this.opts.mail ? ['--mail', '--mix-mean-delay', String(this.opts.mail.mixMeanDelaySec)] : []),
          ...(fed ? ['--federation', fed.listFile, '--peer-listen', s.backboneIp + ':' + PEER_PORT] : []),
        ]);
        return JSON.parse(await mss.waitLine((l) => l.startsWith('{"ready":true'), 60_000));
      }),
    );
    this.mssId = sites[0].mssId;
    this.identityKey = readies[0].identityKey;
    this.maildir = readies[0].maildir || '';
    this.step('mss');

    await Promise.all(
      this.pdas.map(async (p) => {
        const args = [RUN_TS, join(ROOT, 'host/lab/pda-main.ts'), '--iface', 'eth0', '--bundle', bundle];
        for (const l of p.leaks) args.push('--leak', l);
        p.proc = this.spawn('pda' + p.index, p.ns, process.execPath, args, { stdin: true, onLine: (l) => p.onLine(l) });
        await p.waitFor((e) => e.ev === 'boot', 60_000, 0);
        const since = p.events.length;
        p.cmd({ cmd: 'config', brokerHost: sites[0].ip, brokerPort: BROKER_PORT, mssId: this.mssId });
        if (fed) {
          // Only the federation is pinned: both MSSs are accepted through their membership certificates.
          p.cmd({ cmd: 'pin_federation', name: LAB_FEDERATION, key: fed.keyHex });
          await p.waitFor((e) => e.ev === 'pinned_federation', 10_000, since);
        } else {
          p.cmd({ cmd: 'pin', mssId: this.mssId, key: this.identityKey });
          await p.waitFor((e) => e.ev === 'pinned', 10_000, since);
        }
      }),
    );
    this.step('pdas');
  }

  /**
   * Wait until PDA `p` has left its access point: its NIC is down, or no longer carries `mac` (the PDA already
   * came back up under a new TmpMAC). Until then its last frames under `mac` (MQTT DISCONNECT, TCP FIN, MLD as
   * its addresses go) still belong on the air it is leaving. Polls the PDA's own NIC; bounded by `timeoutMs`.
   */
  async waitStationLeft(p: LabPda, mac: string, timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const r = await execTool('ip', ['-n', p.ns, '-j', 'link', 'show', 'dev', 'eth0']);
      const l = (JSON.parse(r.stdout) as { address: string; flags: string[] }[])[0];
      if (!l || l.flags.indexOf('UP') < 0 || l.address.toLowerCase() !== mac.toLowerCase()) return;
      if (Date.now() > until) throw new Error('pda' + p.index + ' did not leave its access point within ' + timeoutMs + ' ms');
    }
  }

  /**
   * Move PDA `p`'s station to the bridge of site `site`: the radio re-associating with another access
   * point. Only the air-side port changes bridge; the PDA's own NIC is untouched.
   */
  async moveStation(p: LabPda, site: number): Promise<void> {
    if (!(site >= 0 && site < this.sites.length)) throw new Error('no MSS site ' + site);
    await execFileOk(['-n', this.names.air, 'link', 'set', 'pda' + p.index, 'master', this.sites[site].bridge]);
    p.site = site;
  }

  /** Stop the capture (flushing the file); the rest keeps running. */
  async stopCapture(): Promise<void> {
    for (const c of this.captures) await c.stop(5000);
  }

  /**
   * Stop every process by pid (PDAs first, so their links go down; the capture last, so it sees it),
   * delete this run's namespaces and work dir. Idempotent. Resolves with the run's namespaces still
   * present afterwards (empty on success).
   */
  down(): Promise<string[]> {
    if (!this.downPromise) this.downPromise = this.doDown();
    return this.downPromise;
  }

  private async doDown(): Promise<string[]> {
    const order = this.procs.filter((p) => this.captures.indexOf(p) < 0).reverse();
    await Promise.all(order.map((p) => p.stop(3000)));
    for (const c of this.captures) await c.stop(5000);
    for (const ns of this.created.slice().reverse()) {
      await killNamespacePids(ns, 1000); // safety net: nothing of ours may outlive its namespace
      await deleteNamespace(ns);
    }
    // Also anything carrying our prefix that a half-done step made.
    const left = (await listNamespaces()).filter((x) => prefixOf(x) === this.prefix);
    for (const ns of left) await deleteNamespace(ns);
    removeTempDir(this.workDir);
    live.delete(this);
    return (await listNamespaces()).filter((x) => prefixOf(x) === this.prefix);
  }

  /** Synchronous cleanup for the process 'exit' handler. */
  downSync(): void {
    for (const p of this.procs) p.killNow();
    let names: string[] = this.created;
    try {
      names = names.concat(listNamespacesSync().filter((x) => prefixOf(x) === this.prefix));
    } catch {
      /* ip unavailable: delete what we know of */
    }
    for (const ns of names) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
      } catch {
        /* already gone */
      }
    }
    removeTempDir(this.workDir);
    live.delete(this);
  }
}

async function execFileOk(args: string[]): Promise<void> {
  await execTool('ip', args);
}

/**
 * Work directories left by lab runs whose process is gone (SIGKILL runs no handler), or by the run
 * `prefix` alone: each holds that run's MSS secret keys.
 */
export function leftoverWorkDirs(prefix?: string): string[] {
  const dir = tmpdir();
  return readdirSync(dir)
    .filter((n) => {
      const m = /^(hoodlab-\d{1,10}-[0-9a-f]{6})-[A-Za-z0-9]{6}$/.exec(n);
      if (!m) return false;
      if (prefix) return m[1] === prefix;
      const pid = ownerPid(m[1]);
      return pid !== null && pid !== process.pid && !pidAlive(pid);
    })
    .map((n) => join(dir, n));
}

/** Tear down every testbed of this process (SIGINT/SIGTERM handlers of the CLI). */
export async function downAllTestbeds(): Promise<void> {
  await Promise.all([...live].map((tb) => tb.down()));
}
