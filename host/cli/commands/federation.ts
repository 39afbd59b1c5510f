/**
 * `hood federation`: make a federation key and sign the member list MSSs load (docs/federation.md):
 *   hood federation keygen --out fed.key
 *   hood federation sign --key fed.key --name NAME --member ID=IDENTITYKEYHEX@URL [--member …] [--out list.json]
 *   hood federation show list.json
 * `show` verifies the list signature and every membership certificate before printing anything.
 */
import type { Command } from 'commander';
import { toHex } from '../../../shared/src/bytes';
import { writeFileAtomic } from '../../common/atomic-file';
import { generateFederationKey, loadFederationKey } from '../../federation/keys';
import { loadFederation, parseMemberSpec, signFederationList, type MemberSpec } from '../../federation/list';
import { jsonOption, printResult, type JsonFlag } from '../output';

function collect(v: string, prev: MemberSpec[]): MemberSpec[] {
  return prev.concat([parseMemberSpec(v)]);
}

export function registerFederationCommands(program: Command): void {
  const fed = program
    .command('federation')
    .description('federations of MSSs that hand PDA sessions to each other (paper §6.3; docs/federation.md)');

  jsonOption(fed.command('keygen'))
    .description('make a federation key (Ed25519, mode 0600; never overwrites) and print its public key')
    .requiredOption('--out <file>', 'where to write the key')
    .action((o: JsonFlag & { out: string }) => {
      const pub = generateFederationKey(o.out);
      printResult(o, { federationKey: toHex(pub), file: o.out }, (x) => x.federationKey);
    });

  jsonOption(fed.command('sign'))
    .description('sign the member list: one membership certificate per member, then the whole list')
    .requiredOption('--key <file>', 'the federation key (from keygen)')
    .requiredOption('--name <name>', 'federation name: 1-32 of a-z 0-9 -')
    .requiredOption('--member <ID=IDENTITYKEYHEX@URL>', "a member MSS: id, identity key, MSS-to-MSS endpoint (repeat)", collect, [] as MemberSpec[])
    .option('--out <file>', 'write the list here instead of stdout')
    .action((o: JsonFlag & { key: string; name: string; member: MemberSpec[]; out?: string }) => {
      const list = signFederationList({ name: o.name, key: loadFederationKey(o.key), members: o.member });
      const text = JSON.stringify(list, null, 2) + '\n';
      if (o.out) {
        // The list is public, but written atomically so a running MSS never reads half of it.
        writeFileAtomic(o.out, text, 0o644);
        printResult(o, { federation: list.federation, members: list.members.length, file: o.out }, (x) => 'signed ' + x.federation + ' (' + x.members + ' members) into ' + x.file);
      } else process.stdout.write(o.json ? JSON.stringify(list) + '\n' : text);
    });

  jsonOption(fed.command('show'))
    .description('verify a member list and print it')
    .argument('<file>', 'the list (from sign)')
    .action((file: string, o: JsonFlag) => {
      const f = loadFederation(file);
      const value = {
        federation: f.name,
        federationKey: toHex(f.federationKey),
        issuedAt: new Date(f.issuedAt * 1000).toISOString(),
        members: f.members.map((m) => ({ mssId: m.mssId, identityKey: toHex(m.identityKey), url: m.url })),
      };
      printResult(o, value, (v) =>
        ['federation    ' + v.federation + ' (verified)', 'federationKey ' + v.federationKey, 'issuedAt      ' + v.issuedAt]
          .concat(v.members.map((m) => 'member        ' + m.mssId + ' ' + m.identityKey + ' ' + m.url))
          .join('\n'),
      );
    });
}
