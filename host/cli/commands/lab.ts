/**
 * `hood lab up|down|run|pda`: the network-namespace testbed (host/lab, docs/testbed.md). Needs root.
 * Ctrl-C (SIGINT) or SIGTERM tears the run down (processes stopped by pid, this run's namespaces
 * deleted) before exiting.
 */
import { rmSync } from 'node:fs';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { parseLeakKind, type LeakKind } from '../../../boards/netns/leaks';
import { isRunPrefix } from '../../lab/names';
import { deleteNamespace, killNamespacePids, leftoverNamespaces } from '../../lab/netns';
import { pdaProcessCommand } from '../../lab/pda-command';
import { checkLabOptions, runLab, type LabRunResult } from '../../lab/run';
import { downAllTestbeds, leftoverWorkDirs, Testbed, MSS_IP, BROKER_PORT } from '../../lab/testbed';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { signalExitCode, watchSignals } from '../signals';

type Leaks = { [pda: number]: LeakKind[] };

function parseMix(v: string): boolean {
  if (v !== 'on' && v !== 'off') throw new InvalidArgumentError('expected on or off');
  return v === 'on';
}

function parseDelay(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0 || n > 3600) throw new InvalidArgumentError('expected 0 < seconds <= 3600, got ' + JSON.stringify(v));
  return n;
}

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
  if (r.handoff) {
    for (const m of r.handoff.moves) {
      t += `hand-off: pda${m.pda} session ${m.n}: ${m.from} ${m.macFrom} -> ${m.to} ${m.macTo}, TmpId ${m.resumedTmpId === m.tmpId ? 'kept' : 'CHANGED'}, ${m.moveMs} ms\n`;
    }
    const h = r.handoff;
    t += `hand-offs: ${h.resumed}/${h.sessions} resumed, TmpId kept in ${h.tmpIdKept}, TmpMAC and client id new in ${h.macChanged}\n`;
  }
  if (r.audit) {
    const a = r.audit;
    t += `audit:   ${a.ok ? 'PASS' : 'FAIL'} over both airs (${a.files.join(', ')}): ${a.sessionCount} sessions, ${a.linking} linking identifier(s), ${a.leaks.length} leak(s), burned-in MAC in ${a.burnedInFrames} frame(s)\n`;
    for (const l of a.leaks.slice(0, 20)) t += `  leak: ${l.reason} ${l.kind} ${l.value}: ${l.detail}\n`;
  }
  if (r.pcaps) {
    const args = r.pdas.map((p) => '--burned-in ' + p.burnedIn);
    t += `captures: ${r.pcaps.join(' ')}\naudit:   hood audit pcap ${r.pcaps.join(' ')} ${args.join(' ')}\n`;
  } else if (r.pcap) {
    const args = r.pdas.map((p) => '--burned-in ' + p.burnedIn).concat(r.homeIds.map((h) => '--home-id ' + h));
    t += `capture: ${r.pcap}\naudit:   hood audit pcap ${r.pcap} ${args.join(' ')}${homeFirst ? ' --allow-home' : ''}\n`;
  }
  if (r.mail) t += `mail:    ${r.mail.sent} sent, ${r.mail.released} released; mix mean delay ${r.mail.mixMeanDelaySec} s, λ ${r.mail.lambdaPerSec.toFixed(2)}/s\n`;
  if (r.attack) {
    const a = r.attack;
    t +=
      `attack:  ${a.mails} mails, true sender ranked first in ${a.rank1Rate === null ? 'n/a' : (100 * a.rank1Rate).toFixed(0) + '%'}, ` +
      `mean sender anonymity ${a.meanEntropyBits.toFixed(2)} bits${a.theoryBits !== undefined ? ' (theory ' + a.theoryBits.toFixed(2) + ')' : ''}\n`;
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
    .option('--mail', 'each anonymous session mails Alice; the run ends with the timing attack (hood audit timing) on its own capture')
    .option('--mix <on|off>', "with --mail: the MSS's exponential mix on or off", parseMix, false)
    .option('--mix-mean-delay <sec>', 'with --mix on: this mean delay instead of the one picked from the lab send rate', parseDelay)
    .option('--mss <n>', 'MSSs, each on its own air: 1, or 2 (a federation; needs --handoff)', parseIntOption, 1)
    .option(
      '--handoff',
      'with --mss 2: each session starts at MSS lab-a and is handed off to lab-b (paper §6.3); the run ends by auditing both airs together. ' +
        '--pcap FILE then captures lab-a\'s air into FILE and lab-b\'s into FILE with -b before the extension (out.pcap, out-b.pcap)',
    )
    .action(async (o: JsonFlag & { pdas: number; sessions: number; pcap?: string; homeFirst?: boolean; leak: Leaks; mail?: boolean; mix: boolean; mixMeanDelay?: number; mss: number; handoff?: boolean }) => {
      if (!o.mail && (o.mix || o.mixMeanDelay !== undefined)) {
        process.stderr.write('hood lab run: --mix and --mix-mean-delay need --mail\n');
        process.exitCode = 2;
        return;
      }
      const bad = checkLabOptions({ mss: o.mss, handoff: !!o.handoff, mail: o.mail ? { mix: o.mix } : undefined, homeFirst: !!o.homeFirst });
      if (bad) {
        process.stderr.write('hood lab run: ' + bad + '\n');
        process.exitCode = 2;
        return;
      }
      const off = teardownOnSignal();
      try {
        const r = await runLab({
          pdas: o.pdas,
          sessions: o.sessions,
          pcap: o.pcap,
          leaks: o.leak,
          homeFirst: !!o.homeFirst,
          mail: o.mail ? { mix: o.mix, mixMeanDelaySec: o.mix ? o.mixMeanDelay : undefined } : undefined,
          mss: o.mss,
          handoff: !!o.handoff,
          onPrefix: (p) => process.stdout.write(o.json ? '' : 'lab run ' + p + '\n'),
          log: o.json ? undefined : (s) => process.stdout.write('  ' + s + '\n'),
        });
        printResult(o, r, (x) => runText(x, !!o.homeFirst));
        if (r.leftover.length || (r.audit && !r.audit.ok)) process.exitCode = 1;
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
      // The run's work directory holds its MSS keys: it goes with the namespaces.
      const workDirs = leftoverWorkDirs(o.prefix);
      for (const d of workDirs) rmSync(d, { recursive: true, force: true });
      printResult(o, { removed: ns, stopped, workDirs }, (r) =>
        Object.keys(r.stopped).map((n) => `stopped ${r.stopped[n]} process(es) left in ${n}\n`).join('') +
        (r.workDirs.length ? 'removed work directories: ' + r.workDirs.join(' ') + '\n' : '') +
        (r.removed.length ? 'removed: ' + r.removed.join(' ') : 'nothing to remove'),
      );
    });

  lab.addCommand(pdaProcessCommand('pda'));
}
