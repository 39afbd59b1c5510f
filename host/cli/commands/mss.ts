/** `hood mss`: run Doug's MSS gateway (embedded broker by default, or --broker URL). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createLogger } from '../../common/log';
import { MssGateway } from '../../mss/gateway';
import { parseHostPort, parseIntOption } from '../options';

export function registerMssCommands(program: Command): void {
  program
    .command('mss')
    .description('run the MSS gateway: embedded MQTT broker (default) or an external one, beacon, session admission')
    .option('--broker <url>', 'use an external MQTT broker (mqtt://host:port) instead of the embedded one')
    .option('--broker-username <name>', 'username for the external broker')
    .option('--broker-password-env <var>', 'environment variable holding the external broker password')
    .option('--listen <host:port>', 'where the embedded broker listens (PDAs connect here over Wi-Fi)', '0.0.0.0:1883')
    .option('--data-dir <dir>', 'where the MSS keeps its keys', '.hood/mss')
    .option('--mss-id <id>', 'MSS id in topics and beacon (a-z 0-9 -)', 'doug')
    .option('--cell-size <bytes>', 'size of every up/down cell', parseIntOption, 512)
    .option('--idle-timeout <sec>', 'end a session after this long without a cell from the PDA', parseIntOption, 120)
    .option('--max-session <sec>', 'end a session after this long in any case', parseIntOption, 3600)
    .option('--max-sessions <n>', 'refuse JOINs beyond this many sessions', parseIntOption, 10000)
    .option('--beacon-period <sec>', 'rotate the beacon nonce this often (JOIN replay window is two periods)', parseIntOption, 60)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (o) => {
      const log = createLogger({ level: o.logLevel, name: 'mss' });
      const gw = await MssGateway.start({
        dataDir: resolve(o.dataDir),
        log,
        brokerUrl: o.broker,
        brokerUsername: o.brokerUsername,
        brokerPassword: o.brokerPasswordEnv ? process.env[o.brokerPasswordEnv] : undefined,
        listen: o.broker ? undefined : parseHostPort(o.listen),
        beaconPeriodSec: o.beaconPeriod,
        config: {
          mssId: o.mssId,
          cellSize: o.cellSize,
          idleTimeoutSec: o.idleTimeout,
          maxSessionSec: o.maxSession,
          maxSessions: o.maxSessions,
        },
      });
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void gw.stop().then(done, done);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
