/**
 * Options of a running bank, declared once for `hood bank` and for the bank process the MSS forks
 * (host/bank/main.ts): where it listens, where its seed and ledger live, and the caps on unpaid
 * quotes (NUT-04/05 quotes are free to ask for, so their number and lifetime are bounded).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_MAX_UNPAID_QUOTES, DEFAULT_MAX_UNPAID_QUOTES_PER_ACCOUNT } from '../bank/mint';
import { DEFAULT_PURGE_EVERY_SEC } from '../bank/service';
import { parseHostPort, parsePositiveIntOption } from './options';

export const DEFAULT_BANK_DIR = './.hood/bank';

export interface BankServeFlags {
  listen: { host: string; port: number };
  dataDir: string;
  db?: string;
  maxUnpaidQuotes?: number;
  maxUnpaidQuotesPerAccount?: number;
  quoteTtl?: number;
  purgeEvery?: number;
}

export function bankServeOptions(c: Command): Command {
  return c
    .addOption(new Option('--listen <host:port>', 'address to serve HTTP on').argParser(parseHostPort).default({ host: '127.0.0.1', port: 3338 }, '127.0.0.1:3338'))
    .option('--data-dir <dir>', 'mint seed and ledger directory', DEFAULT_BANK_DIR)
    .option('--db <path|url>', 'ledger: a SQLite file (default: ledger.sqlite in the data dir) or a postgres:// URL (password from the URL or PGPASSWORD)')
    .option('--max-unpaid-quotes <n>', `unpaid mint quotes without an account, and unpaid melt quotes, kept at once (default ${DEFAULT_MAX_UNPAID_QUOTES})`, parsePositiveIntOption)
    .option('--max-unpaid-quotes-per-account <n>', `unpaid mint quotes one account may hold (default ${DEFAULT_MAX_UNPAID_QUOTES_PER_ACCOUNT})`, parsePositiveIntOption)
    .option('--quote-ttl <sec>', 'lifetime of a quote, its NUT-04/05 expiry (default: one hour)', parsePositiveIntOption)
    .option('--purge-every <sec>', `how often expired unpaid quotes are deleted (default ${DEFAULT_PURGE_EVERY_SEC})`, parsePositiveIntOption);
}

/** The startBank() options the flags stand for. */
export function bankServeConfig(o: BankServeFlags) {
  return {
    dataDir: o.dataDir,
    db: o.db,
    host: o.listen.host,
    port: o.listen.port,
    maxUnpaidQuotes: o.maxUnpaidQuotes,
    maxUnpaidQuotesPerAccount: o.maxUnpaidQuotesPerAccount,
    quoteTtlSec: o.quoteTtl,
    purgeEverySec: o.purgeEvery,
  };
}
