/**
 * MSS-side mail options for `hood mss`: addMailOptions(cmd) declares them, mailOptionsFromCli(o, …)
 * turns the parsed values into what host/mss/start.ts hands to mailServiceFromOptions.
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import type { Logger } from '../../common/log';
import type { MailCliOptions } from '../../mail/options';
import { DEFAULT_EXCHANGE_COVER_MEAN_SEC } from '../../exchange/defaults';
import { DEFAULT_MIX_MAX_QUEUED, DEFAULT_MIX_MEAN_DELAY_SEC } from '../../mix/defaults';
import { parseIntOption, parsePositiveIntOption } from '../options';

/** Seconds, fractions allowed; 0 turns the mix off. */
function parseDelay(v: string): number {
  if (!/^\d+(\.\d+)?$/.test(v)) throw new InvalidArgumentError('expected seconds (0 = off), got ' + JSON.stringify(v));
  const n = Number(v);
  if (!Number.isFinite(n) || n > 7 * 86400) throw new InvalidArgumentError('at most a week');
  return n;
}

export function addMailOptions(cmd: Command): Command {
  return cmd
    .option('--mail-domain <domain>', 'mail domain: Bob writes from <TmpId>@domain, replies come to it (default <mss-id>.hood.invalid)')
    .option('--smarthost <host:port>', 'relay outbound mail through this SMTP server (default: store it in <data-dir>/mail/maildir)')
    .option('--smarthost-user <name>', 'user name for the smarthost')
    .option('--smarthost-password-env <var>', 'environment variable holding the smarthost password')
    .option('--smarthost-tls <mode>', 'none | starttls | implicit', (v: string) => {
      if (v !== 'none' && v !== 'starttls' && v !== 'implicit') throw new InvalidArgumentError('none, starttls or implicit');
      return v;
    }, 'none')
    .option('--smtp-listen <host:port>', 'inbound SMTP for replies to <TmpId>@domain ("off" to disable)', '127.0.0.1:2525')
    .option('--drop-box-retention <sec>', 'keep replies to ended sessions this long', parseIntOption, 86400)
    .option('--max-mail-bytes <n>', 'largest message a PDA may send', parseIntOption, 16384)
    .option('--mix-mean-delay <sec>', 'mean of the random Exp delay each mail out and each reply in is held for (0: off; docs/anonymity.md)', parseDelay, DEFAULT_MIX_MEAN_DELAY_SEC)
    .option('--mix-max-queued <n>', 'messages the mix holds per direction; beyond it a PDA send gets BUSY and inbound SMTP 452', parsePositiveIntOption, DEFAULT_MIX_MAX_QUEUED)
    .option(
      '--exchange <url=token-file>',
      'split drop-box entries over exchange servers (`hood exchange`): one per server, at least 2; repeat the option. With --federation, pickup rounds go out through members drawn at random, so every member needs the same servers (docs/exchange.md)',
      (v: string, prev: string[] = []) => prev.concat([v]),
    )
    .option(
      '--exchange-cover-mean <sec>',
      'with --exchange: mean seconds between cover pickup rounds (every server, every bucket, released), and between cover deposits (random entries into boxes only this MSS holds, collected by later cover rounds), so a server cannot tell a reply or a pickup from cover (0: none)',
      parseDelay,
      DEFAULT_EXCHANGE_COVER_MEAN_SEC,
    );
}

export function mailOptionsFromCli(o: Record<string, any>, base: { dataDir: string; log: Logger; mssId: string }): MailCliOptions {
  // Before anything starts: one share per server, and one share alone would be the entry itself.
  if (o.exchange && o.exchange.length < 2) throw new Error('--exchange needs at least 2 exchange servers (repeat the option), got ' + o.exchange.length);
  return {
    dataDir: base.dataDir,
    log: base.log,
    mssId: base.mssId,
    mailDomain: o.mailDomain,
    smarthost: o.smarthost,
    smarthostUser: o.smarthostUser,
    smarthostPasswordEnv: o.smarthostPasswordEnv,
    smarthostTls: o.smarthostTls,
    smtpListen: o.smtpListen,
    dropBoxRetentionSec: o.dropBoxRetention,
    maxMailBytes: o.maxMailBytes,
    mixMeanDelaySec: o.mixMeanDelay,
    mixMaxQueued: o.mixMaxQueued,
    ...(o.exchange ? { exchange: o.exchange as string[] } : {}),
    exchangeCoverMeanSec: o.exchangeCoverMean,
  };
}
