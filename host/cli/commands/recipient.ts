/**
 * `hood recipient keygen|open|reply`: Alice's side. Keys are standard age key files, so
 * `age -d -i key.txt` works on the same messages.
 */
import type { Command } from 'commander';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { readKeyFile, generateKey } from '../../recipient/keys';
import { openMessage } from '../../recipient/open';
import { sendReply } from '../../recipient/reply';
import { complainAsRecipient } from '../../nymble/complaint-desk';
import { parseHostPort } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

function readInput(file: string | undefined): Buffer {
  return file && file !== '-' ? readFileSync(file) : readFileSync(0);
}

export function registerRecipientCommands(program: Command): void {
  const r = program.command('recipient').description("Alice's side: age identity, open Bob's message, reply to his TmpId address");

  jsonOption(r.command('keygen'))
    .description('generate an age X25519 identity (standard age key file; prints the age1… recipient)')
    .option('-o, --output <file>', 'write the key file here (mode 0600) instead of stdout')
    .action((o: JsonFlag & { output?: string }) => {
      const k = generateKey();
      if (o.output) {
        if (existsSync(o.output)) throw new Error(o.output + ' exists; refusing to overwrite a key');
        writeFileSync(o.output, k.keyFile, { mode: 0o600 });
        if (!o.json) process.stderr.write('Public key: ' + k.recipient + '\n');
        printResult(o, { recipient: k.recipient, output: o.output }, (x) => x.recipient);
      } else printResult(o, { recipient: k.recipient, keyFile: k.keyFile }, (x) => x.keyFile);
    });

  jsonOption(r.command('open'))
    .description('decrypt a message (mail file, armored or binary age file; stdin if no file)')
    .requiredOption('-i, --identity <file>', 'age key file')
    .argument('[file]')
    .action((file: string | undefined, o: JsonFlag & { identity: string }) => {
      const m = openMessage(readInput(file), readKeyFile(o.identity));
      printResult(o, m, (x) =>
        (x.replyTo ? 'Reply-To: ' + x.replyTo + '\n' : '') +
        (x.from ? 'From: ' + x.from + '\n' : '') +
        'Subject: ' + x.subject + '\n' +
        (x.replyRecipient ? 'Reply-Recipient: ' + x.replyRecipient + '\n' : '') +
        '\n' + x.body,
      );
    });

  jsonOption(r.command('reply'))
    .description("reply to Bob: encrypt to the reply key inside his message and mail it to his TmpId address")
    .requiredOption('-i, --identity <file>', 'age key file (to read the original)')
    .requiredOption('--original <file>', "Bob's message as received (mail file)")
    .requiredOption('--from <address>', 'your address')
    .requiredOption('--smtp <host:port>', "the MSS's inbound SMTP server (or your own relay)", parseHostPort)
    .option('--to <address>', "override the reply address (default: the original's From)")
    .option('--subject <text>', 'subject (encrypted; default Re: the original subject)')
    .option('--body <text>', 'reply text')
    .option('--body-file <file>', 'read the reply text from a file')
    .action(async (o) => {
      const orig = openMessage(readFileSync(o.original), readKeyFile(o.identity));
      if (!orig.replyRecipient) throw new Error('the original carries no Reply-Recipient key; a reply could not be kept from the MSS');
      const to = o.to || orig.replyTo;
      if (!to) throw new Error('no reply address: give --to');
      const body = o.bodyFile ? readFileSync(o.bodyFile, 'utf8') : o.body;
      if (typeof body !== 'string') throw new Error('give --body or --body-file');
      const res = await sendReply(
        { from: o.from, to, replyRecipient: orig.replyRecipient, subject: o.subject ?? 'Re: ' + orig.subject, body },
        o.smtp,
      );
      printResult(o, { sent: true, to, bytes: res.age.length, response: res.response }, (x) => 'reply sent to ' + x.to + ' (' + x.bytes + ' bytes of age ciphertext): ' + x.response);
    });

  jsonOption(r.command('complain'))
    .description("complain about the sender of a mail (Extended Nymble): the MSS that delivered it files it with the NM by the TmpId of the reply address")
    .requiredOption('-i, --identity <file>', 'age key file (to read the original)')
    .requiredOption('--original <file>', 'the mail as received (mail file)')
    .requiredOption('--mss <url>', "the delivering MSS's complaint desk (hood mss --nymble-complaints-listen)")
    .action(async (o: JsonFlag & { identity: string; original: string; mss: string }) => {
      const orig = openMessage(readFileSync(o.original), readKeyFile(o.identity));
      const address = orig.replyTo || orig.from;
      if (!address) throw new Error('the mail names no reply address');
      const r = await complainAsRecipient(o.mss, address);
      printResult(o, r, (x) => 'complaint filed about ' + x.tmpId + ': its sender is blocked from window ' + x.linkedFrom.w + ' period ' + x.linkedFrom.t);
    });
}
