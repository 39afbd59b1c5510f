/**
 * Stand-alone bank process: `node bin/run-ts.js host/bank/main.ts --listen 127.0.0.1:0 --data-dir DIR`.
 * Same as `hood bank`, with the same options (host/cli/bank-options.ts), without the rest of the
 * CLI. Logs one JSON line {"msg":"listening","url":...} once it accepts requests.
 *
 * The MSS runs its embedded bank as this process (host/bank/embedded.ts, docs/bank.md): started
 * with child_process.fork it also has an IPC channel to the MSS, and then
 *  - sends {type: 'ready', url} once it listens;
 *  - answers admin requests on that channel (host/bank/admin.ts: account creation, credit, audit);
 *  - exits when the channel closes, so an MSS that dies (even by SIGKILL) leaves no bank behind;
 *  - ignores SIGINT (Ctrl-C reaches the whole process group; the MSS decides when its bank stops,
 *    with SIGTERM after its own shutdown).
 */
import { Command } from 'commander';
import { createLogger } from '../common/log';
import { bankServeConfig, bankServeOptions, type BankServeFlags } from '../cli/bank-options';
import { runUntilSignal } from '../cli/signals';
import { redactUrl } from '../common/redact';
import { runAdmin } from './admin';
import { startBank } from './service';

async function main(): Promise<void> {
  const o = bankServeOptions(new Command('bank-main').description('the bank process (Cashu mint + account ledger over HTTP)'))
    .parse(process.argv)
    .opts<BankServeFlags>();
  const log = createLogger({ name: 'bank' });
  const send = process.send?.bind(process);
  if (send) process.on('SIGINT', () => undefined);
  const disconnected = send ? new Promise((resolve) => process.once('disconnect', resolve)) : undefined;
  await runUntilSignal(
    async () => {
      const bank = await startBank({ ...bankServeConfig(o), log });
      log.info({ url: bank.url }, 'listening');
      if (send) {
        process.on('message', (m: unknown) => {
          void runAdmin(bank.mint, m).then((reply) => {
            if (process.connected) send(reply);
          });
        });
        send({ type: 'ready', url: bank.url });
      }
      return bank;
    },
    (bank) => bank.close(),
    { signals: send ? ['SIGTERM'] : undefined, ended: disconnected && (() => disconnected) },
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    // A --db URL may carry a password (RFC 3986 userinfo); an error quoting it must not print it.
    process.stderr.write('bank: ' + redactUrl((e as Error).message || String(e)) + '\n');
    process.exit(1);
  },
);
