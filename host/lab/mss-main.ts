/**
 * The MSS process of the lab, started inside the MSS namespace: gateway + embedded broker listening on
 * the MSS's address on the bridge. Prints one JSON line `{"ready":true,...}` when the beacon is out,
 * stops (ending every session, BYE to each PDA) on SIGTERM/SIGINT.
 * Lightweight entry (`node --import tsx host/lab/mss-main.ts ...`) so the lab does not load the whole CLI.
 */
import { Command } from 'commander';
import { parseIntOption } from '../cli/options';
import { runUntilSignal } from '../cli/signals';
import { createLogger } from '../common/log';
import { MssGateway } from '../mss/gateway';

const o = new Command('mss-main')
  .description('the lab MSS: gateway and embedded broker on the bridge address')
  .requiredOption('--data-dir <dir>', 'where the MSS keeps its keys')
  .requiredOption('--host <ip>', 'address the embedded broker listens on')
  .option('--port <n>', 'broker port', parseIntOption, 1883)
  .option('--mss-id <id>', 'MSS id in topics and beacon', 'lab')
  .option('--idle-timeout <sec>', 'end a session after this long without a cell from the PDA', parseIntOption, 60)
  .parse(process.argv)
  .opts<{ dataDir: string; host: string; port: number; mssId: string; idleTimeout: number }>();
const log = createLogger({ level: process.env.HOOD_LOG_LEVEL || 'warn', name: 'lab-mss', destination: process.stderr });
await runUntilSignal(
  async () => {
    const gw = await MssGateway.start({
      dataDir: o.dataDir,
      log,
      listen: { host: o.host, port: o.port },
      config: { mssId: o.mssId, idleTimeoutSec: o.idleTimeout },
      tickMs: 500,
    });
    process.stdout.write(
      JSON.stringify({ ready: true, mssId: gw.mssId, brokerUrl: gw.brokerUrl, identityKey: Buffer.from(gw.core.identityKey).toString('hex') }) + '\n',
    );
    return gw;
  },
  (gw) => gw.stop().catch(() => undefined),
);
process.exit(0);
