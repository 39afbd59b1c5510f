/**
 * Build the MSS mail service from `hood mss` / `hood demo` options (host/mss/start.ts). Strings as they come from the command line: "host:port" for endpoints.
 */
import { resolve } from 'node:path';
import type { Logger } from '../common/log';
import { DEFAULT_MIX_MAX_QUEUED, DEFAULT_MIX_MEAN_DELAY_SEC } from '../mix/defaults';
import { MailService, type Smarthost } from './service';
import { ShareUploader } from '../exchange/client';
import { ExchangeBackend, exchangeEndpointsFromSpecs } from '../exchange/dropbox-backend';
import { DEFAULT_EXCHANGE_COVER_MEAN_SEC } from '../exchange/defaults';

export interface MailCliOptions {
  dataDir: string;
  log: Logger;
  /** Mail domain; default "<mssId>.hood.invalid" (RFC 2606 reserved, so it can never be real mail by accident). */
  mailDomain?: string;
  mssId?: string;
  /** "host:port" of the smarthost; default: the embedded maildir receiver. */
  smarthost?: string;
  smarthostUser?: string;
  /** Name of an environment variable holding the smarthost password (never the password itself). */
  smarthostPasswordEnv?: string;
  smarthostTls?: 'none' | 'starttls' | 'implicit';
  /** "host:port" for inbound SMTP (replies); "off" disables it. Default 127.0.0.1:2525. */
  smtpListen?: string;
  dropBoxRetentionSec?: number;
  maxMailBytes?: number;
  /** Mean delay of the exponential mix on mail out and replies in; 0: off. Default 1800 (docs/anonymity.md). */
  mixMeanDelaySec?: number;
  /** Messages the mix holds per direction before refusing more. Default 10000. */
  mixMaxQueued?: number;
  /** `<url>=<token-file>` of each exchange server the drop box splits its entries over (k ≥ 2; docs/exchange.md). */
  exchange?: string[];
  /** Mean seconds between cover pickup rounds over the exchange servers (0: none; docs/exchange.md §6). */
  exchangeCoverMeanSec?: number;
}

function hostPort(s: string, what: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new Error(what + ' must be host:port, got ' + s);
  return { host: m[1], port: Number(m[2]) };
}

export async function mailServiceFromOptions(o: MailCliOptions): Promise<MailService> {
  let smarthost: Smarthost | undefined;
  if (o.smarthost) {
    const hp = hostPort(o.smarthost, '--smarthost');
    smarthost = {
      ...hp,
      secure: o.smarthostTls === 'implicit',
      requireTls: o.smarthostTls === 'starttls',
      user: o.smarthostUser,
      pass: o.smarthostPasswordEnv ? process.env[o.smarthostPasswordEnv] : undefined,
    };
  }
  // Checked before anything starts, so a wrong --exchange is a clear error, not a half-started MSS.
  const uploader = o.exchange && o.exchange.length ? new ShareUploader(exchangeEndpointsFromSpecs(o.exchange)) : null;
  const listen = o.smtpListen === 'off' ? false : hostPort(o.smtpListen || '127.0.0.1:2525', '--smtp-listen');
  const m = await MailService.start({
    domain: o.mailDomain || (o.mssId || 'doug') + '.hood.invalid',
    dataDir: resolve(o.dataDir),
    log: o.log,
    smarthost,
    inbound: listen,
    ...(o.dropBoxRetentionSec !== undefined ? { dropBoxRetentionSec: o.dropBoxRetentionSec } : {}),
    ...(o.maxMailBytes !== undefined ? { maxSendBytes: o.maxMailBytes } : {}),
    mix: { meanDelaySec: o.mixMeanDelaySec ?? DEFAULT_MIX_MEAN_DELAY_SEC, maxQueued: o.mixMaxQueued ?? DEFAULT_MIX_MAX_QUEUED },
  });
  if (uploader) {
    const backend = new ExchangeBackend(uploader, o.log);
    m.dropBox.useBackend(backend);
    m.exchange = backend;
    backend.startCover(o.exchangeCoverMeanSec ?? DEFAULT_EXCHANGE_COVER_MEAN_SEC);
  }
  return m;
}
