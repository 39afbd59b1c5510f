/** `hood audit pcap FILE --burned-in MAC ...`: the on-the-wire leak audit (host/audit, docs/testbed.md). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { writeFileSync } from 'node:fs';
import { auditPcap } from '../../audit/audit';
import { normMac } from '../../audit/identifiers';
import { auditTiming, readTruth, type TimingReport } from '../../audit/timing';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

function collect(v: string, prev: string[]): string[] {
  return prev.concat([v]);
}

function collectMac(v: string, prev: string[]): string[] {
  const m = normMac(v);
  if (!m) throw new InvalidArgumentError('expected a MAC address like 24:0a:c4:12:34:56, got ' + JSON.stringify(v));
  return prev.concat([m]);
}

function parseSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected seconds >= 0, got ' + JSON.stringify(v));
  return n;
}

function parsePositive(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0, got ' + JSON.stringify(v));
  return n;
}

function timingText(r: TimingReport): string {
  const pct = (x: number | null) => (x === null ? 'n/a' : (100 * x).toFixed(0) + '%');
  return (
    r.perMail.map((m) => `${m.id}: ${m.candidates} candidates, ${m.entropyBits.toFixed(2)} bits, top ${m.top || '-'}${m.rank !== undefined ? ', true sender rank ' + (m.rank ?? 'absent') : ''}\n`).join('') +
    `${r.mails} mails, ${r.inputs} bursts from ${r.senders} TmpMACs, mean delay ${r.meanDelaySec} s: rank-1 ${pct(r.rank1Rate)}, ` +
    `mean sender anonymity ${r.meanEntropyBits.toFixed(2)} bits` +
    (r.theoryBits !== undefined ? ` (theory ${r.theoryBits.toFixed(2)})` : '')
  );
}

function collectPort(v: string, prev: number[]): number[] {
  const n = parseIntOption(v);
  if (!(n >= 1 && n <= 65535)) throw new InvalidArgumentError('port out of range: ' + v);
  return prev.concat([n]);
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('privacy audits of what a PDA really sends');
  jsonOption(audit.command('pcap <file...>'))
    .description(
      'report identifiers seen in more than one session or equal to a home identifier (exit 1 on any leak); ' +
        'several captures (the air at several MSSs) are audited together: an identifier seen at two MSSs links the sessions',
    )
    .option('--burned-in <mac>', 'a burned-in (home) MAC address; repeat for several PDAs', collectMac, [])
    .option('--home-id <id>', 'another home identifier (hostname, DHCP/MQTT client id, user name); repeatable', collect, [])
    .option('--mqtt-port <port>', 'TCP port of the MQTT broker (default 1883); repeatable', collectPort, [])
    .option('--allow-home', 'sessions carrying home identifiers are home-mode sessions (paper §2.4): allowed, but must not link to anonymous ones')
    .option('--out <file>', 'also write the JSON report to this file')
    .action(async (files: string[], o: JsonFlag & { burnedIn: string[]; homeId: string[]; mqttPort: number[]; allowHome?: boolean; out?: string }) => {
      let r;
      try {
        r = await auditPcap(files, { burnedIn: o.burnedIn, homeIds: o.homeId, mqttPorts: o.mqttPort, allowHome: !!o.allowHome });
      } catch (e) {
        process.stderr.write('hood audit: ' + (e as Error).message + '\n');
        process.exitCode = 2;
        return;
      }
      if (o.out) writeFileSync(o.out, JSON.stringify(r, null, 2) + '\n');
      printResult(
        o,
        r,
        (x) =>
          (x.files.length > 1 ? `${x.files.length} captures: ${x.file}\n` : '') +
          `${x.packets} packets (${x.clientPackets} from clients), ${x.sessionCount} sessions (${x.homeSessions} home), ` +
          `${x.identifiersChecked} distinct identifiers checked (${x.sightings} sightings), ${x.unattributed.frames} unattributed frames\n` +
          x.leaks.map((l) => `LEAK ${l.reason} ${l.kind} ${l.value} sessions ${l.sessions.join(',')} frames ${l.frames.join(',')}: ${l.detail}\n`).join('') +
          (x.ok ? 'ok: no leaks' : `FAILED: ${x.leaks.length} leaks`),
      );
      if (!r.ok) process.exitCode = 1;
    });

  jsonOption(audit.command('timing <pcap>'))
    .description("paper §6.1: match each mail leaving the MSS to the TmpMACs' bursts of cells before it (Danezis's likelihood); sender anonymity in bits")
    .requiredOption('--maildir <dir>', 'the maildir the MSS delivered to (file names date each mail)')
    .option('--mean-delay <sec>', "mean delay of the MSS's exponential mix (0 = no mix: the last burst before the mail wins)", parseSeconds, 0)
    .option('--burst-gap <sec>', 'cells of one TmpMAC closer than this are one burst', parsePositive, 1)
    .option('--min-cells <n>', 'bursts of fewer cells are not candidates (a mail is at least 2)', parseIntOption, 1)
    .option('--recipient <addr>', 'only mails to this recipient; repeatable', collect, [])
    .option('--lambda <per-sec>', 'input rate of the mix (mails/s), to report the theoretical anonymity log2(e·λ·delay)', parsePositive)
    .option('--truth <file>', 'JSON [{tmpMac, tmpId}]: who sent what, to score the attack (rank of the true sender)')
    .option('--mqtt-port <port>', 'TCP port of the MQTT broker (default 1883); repeatable', collectPort, [])
    .action(async (pcap: string, o: JsonFlag & { maildir: string; meanDelay: number; burstGap: number; minCells: number; recipient: string[]; lambda?: number; truth?: string; mqttPort: number[] }) => {
      let r: TimingReport;
      try {
        r = await auditTiming(pcap, o.maildir, {
          meanDelaySec: o.meanDelay,
          burstGapSec: o.burstGap,
          minCells: o.minCells,
          recipients: o.recipient.length ? o.recipient : undefined,
          lambdaPerSec: o.lambda,
          truth: o.truth ? readTruth(o.truth) : undefined,
          mqttPorts: o.mqttPort,
        });
      } catch (e) {
        process.stderr.write('hood audit: ' + (e as Error).message + '\n');
        process.exitCode = 2;
        return;
      }
      printResult(o, r, timingText);
    });
}
