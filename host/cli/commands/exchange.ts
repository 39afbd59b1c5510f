/**
 * `hood exchange`: an exchange server (ACS §3; docs/exchange.md) that keeps one share of each
 * drop-box entry an MSS splits, and hands shares out to pickups:
 *   hood exchange [--listen 127.0.0.1:3340] [--data-dir ./.hood/exchange] [--retention 86400] [--json]
 *   hood exchange add-mss --data-dir D --mss doug [--token-out doug.exchange-token]
 * With --json the server prints one line {url, id} on stdout once it listens and logs to stderr.
 * add-mss works on the data dir directly (SQLite WAL lets it run beside a live server, which sees the
 * new MSS at once); the token is shown once, only its SHA-256 is stored.
 */
import { Option, type Command } from 'commander';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../common/atomic-file';
import { createLogger } from '../../common/log';
import { startExchangeServer } from '../../exchange/server';
import { DEFAULT_SHARE_LIMITS, ShareStore } from '../../exchange/store';
import { parseHostPort, parsePositiveIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { runUntilSignal } from '../signals';

export const DEFAULT_EXCHANGE_DIR = './.hood/exchange';

interface ExchangeFlags extends JsonFlag {
  listen: { host: string; port: number };
  dataDir: string;
  retention: number;
  maxEntries: number;
  maxBytes: number;
}

export function registerExchangeCommands(program: Command): void {
  const ex = jsonOption(
    program
      .command('exchange')
      .description('run an exchange server: keeps one share of each drop-box entry MSSs split over several operators (ACS; docs/exchange.md)')
      .addOption(new Option('--listen <host:port>', 'address to serve HTTP on').argParser(parseHostPort).default({ host: '127.0.0.1', port: 3340 }, '127.0.0.1:3340'))
      .option('--data-dir <dir>', 'share store and MSS token hashes', DEFAULT_EXCHANGE_DIR)
      .option('--retention <sec>', 'how long a share is kept if nobody picks it up', parsePositiveIntOption, 86400)
      .option('--max-entries <n>', 'shares kept at most', parsePositiveIntOption, DEFAULT_SHARE_LIMITS.maxEntries)
      .option('--max-bytes <n>', 'share bytes kept at most', parsePositiveIntOption, DEFAULT_SHARE_LIMITS.maxBytes),
  ).action(async (o: ExchangeFlags) => {
    const log = createLogger({ name: 'exchange', ...(o.json ? { destination: process.stderr } : {}) });
    await runUntilSignal(
      async () => {
        const store = ShareStore.open(resolve(o.dataDir), { maxEntries: o.maxEntries, maxBytes: o.maxBytes });
        try {
          const r = await startExchangeServer({ store, listen: o.listen, retentionSec: o.retention, log });
          log.info({ url: r.url, id: r.id }, 'listening');
          if (o.json) process.stdout.write(JSON.stringify({ url: r.url, id: r.id }) + '\n');
          return { r, store };
        } catch (e) {
          store.close();
          throw e;
        }
      },
      async ({ r, store }) => {
        log.info('stopping');
        await r.close();
        store.close();
      },
    );
  });

  jsonOption(ex.command('add-mss'))
    .description('issue the bearer token an MSS uploads and picks up with (shown once; only its SHA-256 is stored)')
    .requiredOption('--mss <id>', 'the MSS id')
    .option('--token-out <file>', 'write the token to this file (mode 0600) instead of printing it')
    .action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as ExchangeFlags & { mss: string; tokenOut?: string };
      const store = ShareStore.open(resolve(o.dataDir));
      let token: string;
      try {
        token = store.addMss(o.mss);
      } finally {
        store.close();
      }
      if (o.tokenOut) {
        writeFileAtomic(o.tokenOut, token + '\n', 0o600);
        printResult(o, { mss: o.mss, tokenFile: o.tokenOut }, (x) => 'MSS ' + x.mss + ' added; its token is in ' + x.tokenFile);
      } else {
        printResult(o, { mss: o.mss, token }, (x) => `MSS ${x.mss} added\ntoken ${x.token}\n(shown this once: only its SHA-256 is stored)`);
      }
    });
}
