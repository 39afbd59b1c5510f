/** `hood audit pcap FILE --burned-in MAC ...`: the on-the-wire leak audit (host/audit, docs/testbed.md). */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { writeFileSync } from 'node:fs';
import { auditPcap } from '../../audit/audit';
import { normMac } from '../../audit/identifiers';
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

function collectPort(v: string, prev: number[]): number[] {
  const n = parseIntOption(v);
  if (!(n >= 1 && n <= 65535)) throw new InvalidArgumentError('port out of range: ' + v);
  return prev.concat([n]);
}

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('privacy audits of what a PDA really sends');
  jsonOption(audit.command('pcap <file>'))
    .description('report identifiers seen in more than one session or equal to a home identifier (exit 1 on any leak)')
    .option('--burned-in <mac>', 'a burned-in (home) MAC address; repeat for several PDAs', collectMac, [])
    .option('--home-id <id>', 'another home identifier (hostname, DHCP/MQTT client id, user name); repeatable', collect, [])
    .option('--mqtt-port <port>', 'TCP port of the MQTT broker (default 1883); repeatable', collectPort, [])
    .option('--allow-home', 'sessions carrying home identifiers are home-mode sessions (paper §2.4): allowed, but must not link to anonymous ones')
    .option('--out <file>', 'also write the JSON report to this file')
    .action(async (file: string, o: JsonFlag & { burnedIn: string[]; homeId: string[]; mqttPort: number[]; allowHome?: boolean; out?: string }) => {
      let r;
      try {
        r = await auditPcap(file, { burnedIn: o.burnedIn, homeIds: o.homeId, mqttPorts: o.mqttPort, allowHome: !!o.allowHome });
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
          `${x.packets} packets (${x.clientPackets} from clients), ${x.sessionCount} sessions (${x.homeSessions} home), ` +
          `${x.identifiersChecked} distinct identifiers checked (${x.sightings} sightings), ${x.unattributed.frames} unattributed frames\n` +
          x.leaks.map((l) => `LEAK ${l.reason} ${l.kind} ${l.value} sessions ${l.sessions.join(',')} frames ${l.frames.join(',')}: ${l.detail}\n`).join('') +
          (x.ok ? 'ok: no leaks' : `FAILED: ${x.leaks.length} leaks`),
      );
      if (!r.ok) process.exitCode = 1;
    });
}
