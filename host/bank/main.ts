/**
 * Stand-alone bank process: `tsx host/bank/main.ts --listen 127.0.0.1:0 --data-dir DIR`.
 * Same as `hood bank`, without the CLI around it. Logs one JSON line {"msg":"listening","url":...}
 * once it accepts requests.
 *
 * The MSS runs its embedded bank as this process (host/bank/embedded.ts, docs/bank.md): started
 * with child_process.fork it also has an IPC channel to the MSS, and then
 *  - sends {type: 'ready', url} once it listens;
 *  - answers admin requests on that channel (host/bank/admin.ts: account creation, credit, audit);
 *  - exits when the channel closes, so an MSS that dies (even by SIGKILL) leaves no bank behind;
 *  - ignores SIGINT (Ctrl-C reaches the whole process group; the MSS decides when its bank stops,
 *    with SIGTERM after its own shutdown).
 *
 * Options: --max-unpaid-quotes N, --max-unpaid-quotes-per-account N, --quote-ttl SEC,
 * --purge-every SEC (how often expired unpaid quotes are deleted).
 */
import { createLogger } from '../common/log';
import { runAdmin } from './admin';
import { parseListen } from './listen';
import { startBank } from './service';

function intFlag(args: string[], flag: string): number | undefined {
  const i = args.indexOf(flag);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || !/^[0-9]{1,9}$/.test(v) || Number(v) < 1) throw new Error(flag + ' needs a positive integer');
  return Number(v);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string, dflt: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const { host, port } = parseListen(get('--listen', '127.0.0.1:3338'));
  const log = createLogger({ name: 'bank' });
  const bank = await startBank({
    dataDir: get('--data-dir', './.hood/bank'),
    host,
    port,
    log,
    maxUnpaidQuotes: intFlag(args, '--max-unpaid-quotes'),
    maxUnpaidQuotesPerAccount: intFlag(args, '--max-unpaid-quotes-per-account'),
    quoteTtlSec: intFlag(args, '--quote-ttl'),
    purgeEverySec: intFlag(args, '--purge-every'),
  });
  log.info({ url: bank.url }, 'listening');
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    bank.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  const send = process.send?.bind(process);
  if (!send) {
    process.once('SIGINT', stop);
    return;
  }
  process.on('SIGINT', () => undefined);
  process.once('disconnect', stop);
  process.on('message', (m: unknown) => {
    void runAdmin(bank.mint, m).then((reply) => {
      if (process.connected) send(reply);
    });
  });
  send({ type: 'ready', url: bank.url });
}

main().catch((e) => {
  process.stderr.write('bank: ' + ((e as Error).message || String(e)) + '\n');
  process.exit(1);
});
