/**
 * `hood lab up|down|run|pda`: the network-namespace testbed (host/lab, docs/testbed.md). Needs root.
 * Ctrl-C (SIGINT) or SIGTERM tears the run down (processes stopped by pid, this run's namespaces
 * deleted) before exiting.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseLeakKind, type LeakKind } from '../../../boards/netns/leaks';
import { isRunPrefix } from '../../lab/names';
import { deleteNamespace, killNamespacePids, leftoverNamespaces } from '../../lab/netns';
import { pdaProcessCommand } from '../../lab/pda-command';
import { runLab, type LabRunResult } from '../../lab/run';
import { downAllTestbeds, Testbed, MSS_IP, BROKER_PORT } from '../../lab/testbed';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { signalExitCode, watchSignals } from '../signals';

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

/** On SIGINT/SIGTERM: tear down, then exit 130/143. Returns the function that stops watching. */
function teardownOnSignal(): () => void {
  const w = watchSignals();
  void w.signal.then((sig) => {
    process.stderr.write('\nhood lab: ' + sig + ', tearing down\n');
    void downAllTestbeds().finally(() => process.exit(signalExitCode(sig)));
  });
  return w.off;
}

function runText(r: LabRunResult, homeFirst: boolean): string {
  const anon = r.sessions.filter((s) => s.mode === 'anonymous').length;
  let t = `ok: ${r.sessions.length} sessions (${anon} anonymous) on ${r.pdas.length} PDAs in ${r.ms} ms; namespaces removed\n`;
  if (r.pcap) {
    const args = r.pdas.map((p) => '--burned-in ' + p.burnedIn).concat(r.homeIds.map((h) => '--home-id ' + h));
    t += `capture: ${r.pcap}\naudit:   hood audit pcap ${r.pcap} ${args.join(' ')}${homeFirst ? ' --allow-home' : ''}\n`;
  }
  return t;
}

export function registerLabCommands(program: Command): void {
  const lab = program.command('lab').description('network-namespace testbed: MSS + dnsmasq + emulated PDAs on a bridge (root)');

  jsonOption(lab.command('run'))
    .description('bring the testbed up, run sessions on every PDA, capture the bridge, tear down')
    .option('--pdas <n>', 'number of PDAs', parseIntOption, 3)
    .option('--sessions <n>', 'anonymous sessions per PDA', parseIntOption, 3)
    .option('--pcap <file>', 'write the capture of the bridge here (.pcap = libpcap, else pcapng)')
    .option('--home-first', 'each PDA first runs one home-mode (non-anonymous) session, then switches to anonymous')
    .option('--leak <kind@pda>', 'DELIBERATELY leaky PDA, to prove the audit fails (mac, dhcp-client-id, hostname, mqtt-client-id)', collectLeak, {})
    .action(async (o: JsonFlag & { pdas: number; sessions: number; pcap?: string; homeFirst?: boolean; leak: Leaks }) => {
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
        printResult(o, r, (x) => runText(x, !!o.homeFirst));
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

  jsonOption(lab.command('down'))
    .description("remove lab namespaces left by runs whose process is gone (or one run's, with --prefix)")
    .option('--prefix <prefix>', 'the run prefix (hoodlab-<pid>-<hex>) to remove, even if its process still runs')
    .action(async (o: JsonFlag & { prefix?: string }) => {
      if (o.prefix !== undefined && !isRunPrefix(o.prefix)) throw new Error('not a lab run prefix: ' + o.prefix);
      const ns = await leftoverNamespaces(o.prefix);
      const stopped: Record<string, number> = {};
      for (const n of ns) {
        const k = await killNamespacePids(n);
        if (k) stopped[n] = k;
        await deleteNamespace(n);
      }
      printResult(o, { removed: ns, stopped }, (r) =>
        Object.keys(r.stopped).map((n) => `stopped ${r.stopped[n]} process(es) left in ${n}\n`).join('') +
        (r.removed.length ? 'removed: ' + r.removed.join(' ') : 'nothing to remove'),
      );
    });

  lab.addCommand(pdaProcessCommand('pda'));
}
