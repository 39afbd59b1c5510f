/**
 * `hood wallet`: Bob's host wallet (the laptop does all blinding; the PDA only stores proofs).
 *   hood wallet withdraw --amount N --bank URL   (token: $HOOD_ACCOUNT_TOKEN, --account-token-file F or a prompt)
 *   hood wallet balance [--bank URL]
 *   hood wallet export --amount N --bank URL [--format B|A] [--no-dleq]   prints a cashu token
 * The wallet file (wallet.json in --data-dir) is replaced atomically on every change.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Wallet } from '../../wallet/wallet';
import { loadWalletToBoard } from '../../wallet/board-load';
import { openBoardLink } from '../../board/open';
import { parseIntOption } from '../options';
import { argvSecretRefused, readSecret, secretSources } from '../../common/secret-input';

const TOKEN = { envVar: 'HOOD_ACCOUNT_TOKEN', fileFlag: '--account-token-file' };

const DEFAULT_DIR = './.hood/wallet';

function out(x: unknown): void {
  process.stdout.write(JSON.stringify(x) + '\n');
}

export function registerWalletCommands(program: Command): void {
  // --data-dir lives on `wallet` and is read by the subcommands through optsWithGlobals().
  const wallet = program
    .command('wallet')
    .description("Bob's host wallet for Clare's bank (Cashu)")
    .option('--data-dir <dir>', 'wallet directory', DEFAULT_DIR);

  wallet
    .command('withdraw')
    .requiredOption('--amount <n>', 'amount to withdraw from the account', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL, e.g. http://127.0.0.1:3338')
    .option('--account-token-file <file>', 'file (mode 0600) holding the bank account token; default: $HOOD_ACCOUNT_TOKEN, else a prompt on a terminal')
    .option('--account-token <token>', 'not accepted (argv is visible to every local user): use $HOOD_ACCOUNT_TOKEN or --account-token-file', argvSecretRefused('--account-token', TOKEN))
    .description('pay a mint quote from the account and mint proofs (DLEQ-checked)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { amount: number; bank: string; accountTokenFile?: string; dataDir: string };
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const token = (await readSecret({ what: 'bank account token', ...TOKEN, file: o.accountTokenFile }))?.trim();
      if (!token) throw new InvalidArgumentError('the bank account token is required: ' + secretSources(TOKEN));
      const w = new Wallet(o.dataDir);
      const rec = await w.recover();
      const r = await w.withdraw(o.bank, token, o.amount);
      out({ withdrawn: r.amount, balance: r.balance, recovered: rec.settled });
    });

  wallet
    .command('balance')
    .option('--bank <url>', 'only proofs of this bank')
    .description('sum of stored proofs')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { bank?: string; dataDir: string };
      const w = new Wallet(o.dataDir);
      out({ balance: w.balance(o.bank), proofs: w.proofs(o.bank).length, pending: w.store.state.pending.length });
    });

  wallet
    .command('export')
    .requiredOption('--amount <n>', 'token value', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL')
    .option('--format <B|A>', 'cashuB (V4, compact) or cashuA (V3 JSON)', 'B')
    .option('--no-dleq', 'leave out the NUT-12 DLEQ proofs (smaller token; receiver cannot check offline)')
    .description('take proofs worth exactly N out of the wallet and print them as a cashu token (for a PDA)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { amount: number; bank: string; format: string; dleq: boolean; dataDir: string };
      if (o.format !== 'A' && o.format !== 'B') throw new InvalidArgumentError('--format must be A or B');
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const w = new Wallet(o.dataDir);
      await w.recover();
      process.stdout.write((await w.exportToken(o.bank, o.amount, { format: o.format, dleq: o.dleq })) + '\n');
    });

  wallet
    .command('load')
    .requiredOption('--amount <n>', 'value of coins to move onto the board', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL the coins are from')
    .option('--port <path>', 'serial port of the board, e.g. /dev/ttyUSB0')
    .option('--espruino <path>', 'instead of --port: the Espruino interpreter for Linux, run on a pty')
    .option('--espruino-dir <dir>', 'with --espruino: directory holding its flash')
    .description('move coins onto a PDA board; they leave this wallet only once the board confirms it stored them')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as { amount: number; bank: string; dataDir: string; port?: string; espruino?: string; espruinoDir?: string };
      if (!o.port && !o.espruino) throw new InvalidArgumentError('--port or --espruino is required');
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const w = new Wallet(o.dataDir);
      const link = await openBoardLink({ port: o.port, espruino: o.espruino, espruinoDir: o.espruinoDir });
      try {
        const r = await loadWalletToBoard(w, link, o.bank, o.amount, (m) => process.stderr.write('wallet load: ' + m + '\n'));
        out({ loaded: r.loaded, boardBalance: r.boardBalance, txs: r.txs, balance: w.balance(o.bank) });
      } finally {
        await link.close();
      }
    });
}
