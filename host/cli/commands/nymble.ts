/**
 * `hood nymble`: Extended Nymble's PM and NM as an HTTP service beside the bank (docs/nymble.md):
 *   hood nymble serve --data-dir D --bank-data-dir B [--listen 127.0.0.1:3339]
 *   hood nymble register-mss --data-dir D --mss-id doug --key-out doug.nymble-key   (service stopped)
 * The MSS then runs with `--nymble-manager http://127.0.0.1:3339 --nymble-key doug.nymble-key`.
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createLogger } from '../../common/log';
import { registerMssAt, startNymble } from '../../nymble/serve';
import { DEFAULT_PERIOD_MS, DEFAULT_PERIODS_PER_WINDOW } from '../../nymble/time';
import { parseHostPort, parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { runUntilSignal } from '../signals';

interface NymbleFlags {
  dataDir: string;
  bankDataDir: string;
  periodMs: number;
  periods: number;
}

export function registerNymbleCommands(program: Command): void {
  const n = program
    .command('nymble')
    .description('Extended Nymble: the Pseudonym Manager and Nymble Manager that let MSSs block abusers without identifying them')
    .option('--data-dir <dir>', 'where the PM (pm/) and NM (nm/) keep keys and state', '.hood/nymble')
    .option('--bank-data-dir <dir>', "the bank's data dir: its ledger checks Bob's account token (the scarce resource)", '.hood/mss/bank')
    .option('--period-ms <ms>', 'time period T', parseIntOption, DEFAULT_PERIOD_MS)
    .option('--periods <n>', 'time periods L per linkability window', parseIntOption, DEFAULT_PERIODS_PER_WINDOW);

  n.command('serve')
    .description('serve the PM and NM over HTTP')
    .option('--listen <host:port>', 'where to listen', '127.0.0.1:3339')
    .action(async (_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as NymbleFlags & { listen: string };
      const log = createLogger({ name: 'nymble' });
      await runUntilSignal(
        async () => {
          const r = await startNymble({
            dataDir: resolve(o.dataDir),
            bankDataDir: resolve(o.bankDataDir),
            listen: parseHostPort(o.listen),
            time: { periodMs: o.periodMs, periodsPerWindow: o.periods },
            log,
          });
          log.info({ url: r.url }, 'listening');
          return r;
        },
        (r) => r.close(),
      );
    });

  jsonOption(n.command('register-mss'))
    .description("enrol an MSS and write the MAC key it shares with the NM (mode 0600); run while the service is stopped")
    .requiredOption('--mss-id <id>', 'the MSS id (as in its beacon)')
    .requiredOption('--key-out <file>', 'where to write the MSS key')
    .action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & NymbleFlags & { mssId: string; keyOut: string };
      registerMssAt({ dataDir: resolve(o.dataDir), time: { periodMs: o.periodMs, periodsPerWindow: o.periods }, sid: o.mssId, keyFile: o.keyOut });
      printResult(o, { mssId: o.mssId, keyFile: o.keyOut }, (x) => 'MSS ' + x.mssId + ' enrolled; its key is in ' + x.keyFile);
    });
}
