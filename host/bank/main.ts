/**
 * Stand-alone bank process: `tsx host/bank/main.ts --listen 127.0.0.1:0 --data-dir DIR`.
 * Same as `hood bank`, without the CLI around it (the crash test spawns and SIGKILLs this).
 * Logs one JSON line {"msg":"listening","url":...} once it accepts requests.
 */
import { createLogger } from '../common/log';
import { parseListen } from './listen';
import { startBank } from './service';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const get = (flag: string, dflt: string) => {
    const i = args.indexOf(flag);
    return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
  };
  const { host, port } = parseListen(get('--listen', '127.0.0.1:3338'));
  const log = createLogger({ name: 'bank' });
  const bank = await startBank({ dataDir: get('--data-dir', './.hood/bank'), host, port, log });
  log.info({ url: bank.url }, 'listening');
  const stop = () => {
    bank.close().then(() => process.exit(0), () => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((e) => {
  process.stderr.write('bank: ' + ((e as Error).message || String(e)) + '\n');
  process.exit(1);
});
