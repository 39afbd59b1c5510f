/**
 * `hood wallet`: Bob's host wallet (the laptop does all blinding; the PDA only stores proofs).
 *   hood wallet withdraw --amount N --bank URL   (token: $HOOD_ACCOUNT_TOKEN, --account-token-file F or a prompt)
 *   hood wallet balance [--bank URL]
 *   hood wallet export --amount N --bank URL [--format B|A] [--no-dleq]   prints a cashu token
 * The wallet file (wallet.json in --data-dir) is replaced atomically on every change. Each subcommand
 * prints text, or one JSON object with --json.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { Wallet } from '../../wallet/wallet';
import { loadWalletToBoard } from '../../wallet/board-load';
import { nymbleLoadCommand, PDA_MAX_TICKETS } from '../../nymble/pda-load';
import { openBoardLink } from '../../board/open';
import { argvSecretRefused, readSecret, secretSources } from '../../common/secret-input';
import { boardLinkFrom, boardLinkOptions, type BoardLinkFlags } from '../board-link-options';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

const TOKEN = { envVar: 'HOOD_ACCOUNT_TOKEN', fileFlag: '--account-token-file' };

const DEFAULT_DIR = './.hood/wallet';

export function registerWalletCommands(program: Command): void {
  // --data-dir lives on `wallet` and is read by the subcommands through optsWithGlobals().
  const wallet = program
    .command('wallet')
    .description("Bob's host wallet for Clare's bank (Cashu)")
    .option('--data-dir <dir>', 'wallet directory', DEFAULT_DIR);

  jsonOption(wallet.command('withdraw'))
    .requiredOption('--amount <n>', 'amount to withdraw from the account', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL, e.g. http://127.0.0.1:3338')
    .option('--account-token-file <file>', 'file (mode 0600) holding the bank account token; default: $HOOD_ACCOUNT_TOKEN, else a prompt on a terminal')
    .option('--account-token <token>', 'not accepted (argv is visible to every local user): use $HOOD_ACCOUNT_TOKEN or --account-token-file', argvSecretRefused('--account-token', TOKEN))
    .description('pay a mint quote from the account and mint proofs (DLEQ-checked)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { amount: number; bank: string; accountTokenFile?: string; dataDir: string };
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const token = (await readSecret({ what: 'bank account token', ...TOKEN, file: o.accountTokenFile }))?.trim();
      if (!token) throw new InvalidArgumentError('the bank account token is required: ' + secretSources(TOKEN));
      const w = new Wallet(o.dataDir);
      const rec = await w.recover();
      const r = await w.withdraw(o.bank, token, o.amount);
      printResult(o, { withdrawn: r.amount, balance: r.balance, recovered: rec.settled }, (x) =>
        `withdrew ${x.withdrawn}; balance ${x.balance}` + (x.recovered ? ` (${x.recovered} interrupted operations settled first)` : ''),
      );
    });

  jsonOption(wallet.command('balance'))
    .option('--bank <url>', 'only proofs of this bank')
    .description('sum of stored proofs')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { bank?: string; dataDir: string };
      const w = new Wallet(o.dataDir);
      printResult(o, { balance: w.balance(o.bank), proofs: w.proofs(o.bank).length, pending: w.store.state.pending.length }, (x) =>
        `balance ${x.balance} in ${x.proofs} proofs` + (x.pending ? `; ${x.pending} operations pending` : ''),
      );
    });

  jsonOption(wallet.command('export'))
    .requiredOption('--amount <n>', 'token value', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL')
    .option('--format <B|A>', 'cashuB (V4, compact) or cashuA (V3 JSON)', 'B')
    .option('--no-dleq', 'leave out the NUT-12 DLEQ proofs (smaller token; receiver cannot check offline)')
    .description('take proofs worth exactly N out of the wallet and print them as a cashu token (for a PDA)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { amount: number; bank: string; format: string; dleq: boolean; dataDir: string };
      if (o.format !== 'A' && o.format !== 'B') throw new InvalidArgumentError('--format must be A or B');
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const w = new Wallet(o.dataDir);
      await w.recover();
      const token = await w.exportToken(o.bank, o.amount, { format: o.format, dleq: o.dleq });
      printResult(o, { token, amount: o.amount }, (x) => x.token);
    });

  jsonOption(boardLinkOptions(wallet.command('load')))
    .requiredOption('--amount <n>', 'value of coins to move onto the board', parseIntOption)
    .requiredOption('--bank <url>', 'bank URL the coins are from')
    .description('move coins onto a PDA board; they leave this wallet only once the board confirms it stored them')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & BoardLinkFlags & { amount: number; bank: string; dataDir: string };
      if (!o.port && !o.espruino) throw new InvalidArgumentError('--port or --espruino is required');
      if (o.amount < 1) throw new InvalidArgumentError('--amount must be at least 1');
      const w = new Wallet(o.dataDir);
      const link = await openBoardLink(boardLinkFrom(o));
      try {
        const r = await loadWalletToBoard(w, link, o.bank, o.amount, (m) => {
          // Steps only without --json; what was settled or could not be checked is always said (stderr).
          if (!o.json || !/^(staged|board confirmed) /.test(m)) process.stderr.write('wallet load: ' + m + '\n');
        });
        printResult(o, { loaded: r.loaded, boardBalance: r.boardBalance, txs: r.txs, balance: w.balance(o.bank) }, (x) =>
          `loaded ${x.loaded} onto the board (board balance ${x.boardBalance}); wallet balance ${x.balance}`,
        );
      } finally {
        await link.close();
      }
    });

  jsonOption(boardLinkOptions(wallet.command('nymble-load')))
    .requiredOption('--nm <url>', "the Nymble Manager's URL (hood nymble serve), e.g. http://127.0.0.1:3339")
    .requiredOption('--mss <id>', 'the MSS the tickets are for')
    .option('--periods <n>', 'tickets for this many coming periods (at most ' + PDA_MAX_TICKETS + ')', parseIntOption)
    .option('--account-token-file <file>', 'file (mode 0600) holding the bank account token; default: $HOOD_ACCOUNT_TOKEN, else a prompt on a terminal')
    .option('--account-token <token>', 'not accepted (argv is visible to every local user): use $HOOD_ACCOUNT_TOKEN or --account-token-file', argvSecretRefused('--account-token', TOKEN))
    .description('fetch the Extended Nymble credential for one MSS with the account token and load it onto a PDA board (docs/nymble.md)')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & BoardLinkFlags & { nm: string; mss: string; periods?: number; accountTokenFile?: string };
      if (!o.port && !o.espruino) throw new InvalidArgumentError('--port or --espruino is required');
      if (o.periods !== undefined && (o.periods < 1 || o.periods > PDA_MAX_TICKETS)) throw new InvalidArgumentError('--periods must be 1..' + PDA_MAX_TICKETS);
      const token = (await readSecret({ what: 'bank account token', ...TOKEN, file: o.accountTokenFile }))?.trim();
      if (!token) throw new InvalidArgumentError('the bank account token is required: ' + secretSources(TOKEN));
      const load = await nymbleLoadCommand({ nmUrl: o.nm, accountToken: token, sid: o.mss, periods: o.periods });
      const link = await openBoardLink(boardLinkFrom(o));
      try {
        const evs = await link.command(load as unknown as Record<string, unknown>);
        const e = evs.find((x) => x.ev === 'nymble.loaded');
        if (!e) throw new Error('the board did not confirm the credential');
        printResult(o, { mss: e.sid, window: e.w, firstPeriod: e.firstPeriod, tickets: e.tickets }, (x) => `loaded ${x.tickets} tickets for ${x.mss} (window ${x.window}, from period ${x.firstPeriod})`);
      } finally {
        await link.close();
      }
    });
}
