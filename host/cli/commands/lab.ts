/**
 * `hood lab up|down|run|pda`: the network-namespace testbed (host/lab, docs/testbed.md). Needs root.
 * Ctrl-C (SIGINT) or SIGTERM tears the run down (processes stopped by pid, this run's namespaces
 * deleted) before exiting.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseLeakKind, type LeakKind } from '../../../boards/netns/leaks';
import { runPdaProcess } from '../../../boards/netns/pda-process';
import { isRunPrefix } from '../../lab/names';
import { deleteNamespace, killNamespacePids, leftoverNamespaces } from '../../lab/netns';
import { runLab } from '../../lab/run';
import { downAllTestbeds, Testbed, MSS_IP, BROKER_PORT } from '../../lab/testbed';
import { parseIntOption } from '../options';

type Leaks = { [pda: number]: LeakKind[] };

function collectLeak(v: string, prev: Leaks): Leaks {
  const m = /^([a-z-]+)@(\d{1,2})$/.exec(v);
  if (!m) throw new InvalidArgumentError('expected KIND@PDA, e.g. mqtt-client-id@0');
  let kind: LeakKind;
  try {
    kind = parseLeakKind(m[1]);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
  const out: Leaks = { ...prev };
  out[Number(m[2])] = (out[Number(m[2])] || []).concat([kind]);
  return out;
}

/** On SIGINT/SIGTERM: tear down, then exit 130/143. */
function teardownOnSignal(): () => void {
  const on = (sig: NodeJS.Signals, code: number) => () => {
    process.stderr.write('\nhood lab: ' + sig + ', tearing down\n');
    void downAllTestbeds().finally(() => process.exit(code));
  };
  const int = on('SIGINT', 130);
  const term = on('SIGTERM', 143);
  process.once('SIGINT', int);
  process.once('SIGTERM', term);
  return () => {
    process.off('SIGINT', int);
    process.off('SIGTERM', term);
  };
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('network-namespace testbed: MSS + dnsmasq + emulated PDAs on a bridge (root)');

  lab
    .command('run')
    .description('bring the testbed up, run sessions on every PDA, capture the bridge, tear down')
    .option('--pdas <n>', 'number of PDAs', parseIntOption, 3)
    .option('--sessions <n>', 'anonymous sessions per PDA', parseIntOption, 3)
    .option('--pcap <file>', 'write the capture of the bridge here (.pcap = libpcap, else pcapng)')
    .option('--home-first', 'each PDA first runs one home-mode (non-anonymous) session, then switches to anonymous')
    .option('--leak <kind@pda>', 'DELIBERATELY leaky PDA, to prove the audit fails (mac, dhcp-client-id, hostname, mqtt-client-id)', collectLeak, {})
    .option('--json', 'print the result as JSON')
    .action(async (o: { pdas: number; sessions: number; pcap?: string; homeFirst?: boolean; leak: Leaks; json?: boolean }) => {
      const off = teardownOnSignal();
      try {
        const r = await runLab({
          pdas: o.pdas,
          sessions: o.sessions,
          pcap: o.pcap,
          leaks: o.leak,
          homeFirst: !!o.homeFirst,
          onPrefix: (p) => process.stdout.write(o.json ? '' : 'lab run ' + p + '\n'),
          log: o.json ? undefined : (s) => process.stdout.write('  ' + s + '\n'),
        });
        if (o.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
        else {
          const anon = r.sessions.filter((s) => s.mode === 'anonymous').length;
          process.stdout.write(`ok: ${r.sessions.length} sessions (${anon} anonymous) on ${r.pdas.length} PDAs in ${r.ms} ms; namespaces removed\n`);
          if (r.pcap) {
            const args = r.pdas.map((p) => '--burned-in ' + p.burnedIn).concat(r.homeIds.map((h) => '--home-id ' + h));
            process.stdout.write(`capture: ${r.pcap}\naudit:   hood audit pcap ${r.pcap} ${args.join(' ')}${o.homeFirst ? ' --allow-home' : ''}\n`);
          }
        }
        if (r.leftover.length) process.exitCode = 1;
      } finally {
        off();
      }
    });

  lab
    .command('up')
    .description('bring the testbed up and keep it running until Ctrl-C (then tear it down)')
    .option('--pdas <n>', 'number of PDAs', parseIntOption, 1)
    .option('--pcap <file>', 'capture the bridge into this file while up')
    .action(async (o: { pdas: number; pcap?: string }) => {
      const off = teardownOnSignal();
      const tb = await Testbed.up({ pdas: o.pdas, pcap: o.pcap, log: (s) => process.stdout.write('  ' + s + '\n') });
      process.stdout.write(
        `lab ${tb.prefix} is up: MSS ${MSS_IP}:${BROKER_PORT} in ${tb.names.mss}, bridge br0 in ${tb.names.air}\n` +
          tb.pdas.map((p) => `  ${p.ns}: eth0 burned-in ${p.burnedIn} (down until a session starts)\n`).join('') +
          `inspect: ip netns exec ${tb.names.air} tshark -i br0    stop: Ctrl-C (or hood lab down --prefix ${tb.prefix})\n`,
      );
      await new Promise<void>(() => undefined); // until a signal tears down and exits
      off();
    });

  lab
    .command('down')
    .description("remove lab namespaces left by runs whose process is gone (or one run's, with --prefix)")
    .option('--prefix <prefix>', 'the run prefix (hoodlab-<pid>-<hex>) to remove, even if its process still runs')
    .action(async (o: { prefix?: string }) => {
      if (o.prefix !== undefined && !isRunPrefix(o.prefix)) throw new Error('not a lab run prefix: ' + o.prefix);
      const ns = await leftoverNamespaces(o.prefix);
      for (const n of ns) {
        const k = await killNamespacePids(n);
        if (k) process.stdout.write(`stopped ${k} process(es) left in ${n}\n`);
        await deleteNamespace(n);
      }
      process.stdout.write(ns.length ? 'removed: ' + ns.join(' ') + '\n' : 'nothing to remove\n');
    });

  lab
    .command('pda')
    .description('(internal) run one emulated PDA on the netns board in the current namespace: JSON commands on stdin, events on stdout')
    .requiredOption('--bundle <file>', 'firmware bundle')
    .option('--iface <name>', 'the PDA NIC', 'eth0')
    .option('--leak <kind>', 'deliberate leak (tests only)', (v: string, p: LeakKind[]) => p.concat([parseLeakKind(v)]), [] as LeakKind[])
    .action(async (o: { bundle: string; iface: string; leak: LeakKind[] }) => {
      await runPdaProcess({ bundlePath: o.bundle, iface: o.iface, leaks: o.leak });
    });
}
