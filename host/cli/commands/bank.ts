/**
 * `hood bank`: run Clare's bank (Cashu mint + account ledger) over HTTP, plus admin subcommands
 * that work on the data dir directly (SQLite WAL lets them run beside a live bank):
 *   hood bank [--listen 127.0.0.1:3338] [--data-dir ./.hood/bank]
 *   hood bank account create --name bob      prints the account token ONCE
 *   hood bank account credit --name bob --amount 1000
 *   hood bank audit                           exit 1 if issued != outstanding + spent
 *   hood bank keyset rotate
 *   hood bench bank --json                    (registered by registerBankBenchCommand)
 */
import type { Command } from 'commander';
import { createLogger } from '../../common/log';
import { benchBank } from '../../bank/bench';
import { openMint, startBank } from '../../bank/service';
import { parseHostPort, parseIntOption } from '../options';

const DEFAULT_DIR = './.hood/bank';

async function withMint<T>(dataDir: string, fn: (m: Awaited<ReturnType<typeof openMint>>) => Promise<T>): Promise<T> {
  const mint = await openMint(dataDir);
  try {
    return await fn(mint);
  } finally {
    await mint.store.close();
  }
}

function out(x: unknown): void {
  process.stdout.write(JSON.stringify(x) + '\n');
}

export function registerBankCommands(program: Command): void {
  const bank = program
    .command('bank')
    .description("run Clare's bank: a Cashu mint (NUT-00..07, 12) with an account ledger on SQLite")
    .option('--listen <host:port>', 'address to serve HTTP on', parseHostPort, { host: '127.0.0.1', port: 3338 })
    // Subcommands read --data-dir from here (optsWithGlobals), wherever it appears on the line.
    .option('--data-dir <dir>', 'mint seed and ledger directory', DEFAULT_DIR)
    .action(async (o: { listen: { host: string; port: number }; dataDir: string }) => {
      const log = createLogger({ name: 'bank' });
      const running = await startBank({ dataDir: o.dataDir, host: o.listen.host, port: o.listen.port, log });
      log.info({ url: running.url, keyset: running.mint.activeKeysetId() }, 'listening');
      await new Promise<void>((resolve) => {
        const stop = () => {
          log.info('stopping');
          running.close().then(resolve, resolve);
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });

  const account = bank.command('account').description('bank accounts (admin, on the data dir)');
  account
    .command('create')
    .requiredOption('--name <name>', 'account name (also what melts pay into)')
    .description('create an account and print its bearer token once (only its SHA-256 is stored)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { name: string; dataDir: string };
      out(await withMint(o.dataDir, (m) => m.createAccount(o.name)));
    });
  account
    .command('credit')
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--amount <n>', 'amount to deposit', parseIntOption)
    .description('deposit into an account (external money in)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { name: string; amount: number; dataDir: string };
      const balance = await withMint(o.dataDir, (m) => m.creditAccount(o.name, o.amount));
      out({ name: o.name, balance });
    });

  bank
    .command('audit')
    .description('recompute the ledger and check issued = outstanding + spent')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { dataDir: string };
      const r = await withMint(o.dataDir, (m) => m.audit());
      out(r);
      if (!r.ok) process.exitCode = 1;
    });

  bank
    .command('keyset')
    .command('rotate')
    .description('make a new active keyset; old ones stay spendable as inputs (NUT-02). Restart a running bank to serve it.')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { dataDir: string };
      out({ active: await withMint(o.dataDir, (m) => m.rotateKeyset()) });
    });
}

export function registerBankBenchCommand(bench: Command): void {
  bench
    .command('bank')
    .description('mint swaps/s and mints/s with durable writes on one core vs. raw secp256k1 point multiplications/s')
    .option('--seconds <n>', 'seconds per timed phase', parseIntOption, 2)
    .option('--json', 'print one JSON object')
    .action(async (o: { seconds: number; json?: boolean }) => {
      if (o.seconds < 1) throw new Error('--seconds must be at least 1');
      const r = await benchBank({ seconds: o.seconds, onProgress: (m) => process.stderr.write('bench bank: ' + m + '\n') });
      process.stdout.write(o.json ? JSON.stringify(r) + '\n' : JSON.stringify(r, null, 2) + '\n');
    });
}
