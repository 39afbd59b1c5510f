/**
 * `hood bank`: run Clare's bank (Cashu mint + account ledger) over HTTP, plus admin subcommands
 * that work on the data dir directly (SQLite WAL lets them run beside a live bank):
 *   hood bank [--listen 127.0.0.1:3338] [--data-dir ./.hood/bank]   (options: host/cli/bank-options.ts)
 *   hood bank account create --name bob      prints the account token ONCE
 *   hood bank account credit --name bob --amount 1000
 *   hood bank audit                           exit 1 if issued != outstanding + spent
 *   hood bank keyset rotate
 * Each admin subcommand prints text, or one JSON object with --json.
 *   hood bench bank --json                    (registered by registerBankBenchCommand)
 */
import type { Command } from 'commander';
import { createLogger } from '../../common/log';
import { benchBank } from '../../bank/bench';
import { openMint, startBank } from '../../bank/service';
import { bankServeConfig, bankServeOptions, type BankServeFlags } from '../bank-options';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { runUntilSignal } from '../signals';
import { progressLines } from '../../board/progress';

async function withMint<T>(dataDir: string, db: string | undefined, fn: (m: Awaited<ReturnType<typeof openMint>>) => Promise<T>): Promise<T> {
  const mint = await openMint(dataDir, { db });
  try {
    return await fn(mint);
  } finally {
    await mint.store.close();
  }
}

export function registerBankCommands(program: Command): void {
  // Subcommands read --data-dir from here (optsWithGlobals), wherever it appears on the line.
  const bank = bankServeOptions(program.command('bank').description("run Clare's bank: a Cashu mint (NUT-00..07, 12) with an account ledger on SQLite or PostgreSQL (--db)"))
    .action(async (o: BankServeFlags) => {
      const log = createLogger({ name: 'bank' });
      await runUntilSignal(
        async () => {
          const running = await startBank({ ...bankServeConfig(o), log });
          log.info({ url: running.url, keyset: running.mint.activeKeysetId() }, 'listening');
          return running;
        },
        (running) => {
          log.info('stopping');
          return running.close();
        },
      );
    });

  const account = bank.command('account').description('bank accounts (admin, on the data dir)');
  jsonOption(account.command('create'))
    .requiredOption('--name <name>', 'account name (also what melts pay into)')
    .description('create an account and print its bearer token once (only its SHA-256 is stored)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { name: string; dataDir: string; db?: string };
      const a = await withMint(o.dataDir, o.db, (m) => m.createAccount(o.name));
      printResult(o, a, (x) => `account ${x.name} created (id ${x.id})\ntoken ${x.token}\n(shown this once: only its SHA-256 is stored)`);
    });
  jsonOption(account.command('credit'))
    .requiredOption('--name <name>', 'account name')
    .requiredOption('--amount <n>', 'amount to deposit', parseIntOption)
    .description('deposit into an account (external money in)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { name: string; amount: number; dataDir: string; db?: string };
      const balance = await withMint(o.dataDir, o.db, (m) => m.creditAccount(o.name, o.amount));
      printResult(o, { name: o.name, balance }, (x) => `account ${x.name}: balance ${x.balance}`);
    });

  jsonOption(bank.command('audit'))
    .description('recompute the ledger and check issued = outstanding + spent')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { dataDir: string; db?: string };
      const r = await withMint(o.dataDir, o.db, (m) => m.audit());
      printResult(o, r);
      if (!r.ok) process.exitCode = 1;
    });

  jsonOption(bank.command('keyset').command('rotate'))
    .description('make a new active keyset; old ones stay spendable as inputs (NUT-02). Restart a running bank to serve it.')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { dataDir: string; db?: string };
      printResult(o, { active: await withMint(o.dataDir, o.db, (m) => m.rotateKeyset()) }, (x) => 'active keyset ' + x.active);
    });
}

export function registerBankBenchCommand(bench: Command): void {
  jsonOption(bench.command('bank'))
    .description('durable swaps/s (concurrent clients over HTTP, group commit) and mints/s vs. secp256k1 multiplications/s of every curve library')
    .option('--seconds <n>', 'seconds per timed phase', parseIntOption, 2)
    .option('--concurrency <n>', 'concurrent swap clients', parseIntOption, 48)
    .action(async (o: JsonFlag & { seconds: number; concurrency: number }) => {
      if (o.seconds < 1) throw new Error('--seconds must be at least 1');
      if (o.concurrency < 1 || o.concurrency > 1024) throw new Error('--concurrency must be between 1 and 1024');
      const r = await benchBank({ seconds: o.seconds, concurrency: o.concurrency, onProgress: progressLines(o, 'bench bank') });
      printResult(o, r);
    });
}
