/** `hood mss`: run Doug's MSS gateway (embedded broker by default, or --broker URL). */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { createLogger } from '../../common/log';
import { startMss } from '../../mss/start';
import { setupPayment, DEFAULT_PRICE } from '../../pay/setup';
import { takeTillLock } from '../../pay/till-lock';
import { addMailOptions, mailOptionsFromCli } from './mail';
import { parseHostPort, parseIntOption } from '../options';

export function registerMssCommands(program: Command): void {
  const mss = program
    .command('mss')
    .description('run the MSS gateway: embedded MQTT broker (default) or an external one, beacon, sessions, payment (embedded bank by default), mail')
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
    .option('--price <n>', 'price per minute of session time (0: sessions are free, no bank)', parseIntOption, 1)
    .option('--unit <unit>', 'currency unit of the price and the mint', 'sat')
    .option('--min-seconds <n>', 'the least session time one payment must buy', parseIntOption, 60)
    .option('--grace <sec>', 'time after ACCEPT within which the first payment must arrive', parseIntOption, 30)
    .option('--bank <url>', "Clare's bank (Cashu mint) to check coins with; default: an embedded bank in the data dir")
    .option('--bank-listen <host:port>', 'where the embedded bank serves HTTP (wallets withdraw there)', '127.0.0.1:3338')
    .option('--account <name>', "the MSS's own bank account, which cash-outs pay into", 'doug')
    .option('--no-mail', 'do not relay mail (no SMTP in or out)')
    .option('--log-level <level>', 'pino log level', 'info');
  addMailOptions(mss);
  mss.action(async (o) => {
      const log = createLogger({ level: o.logLevel, name: 'mss' });
      if (o.price > 0 && !/^[a-z]{1,16}$/.test(o.unit)) throw new Error('--unit must be 1-16 letters a-z');
      const dataDir = resolve(o.dataDir);
      const lock = o.price > 0 ? takeTillLock(dataDir) : { release() {} };
      let mss;
      try {
        mss = await startMss({
          payment:
          o.price > 0
            ? {
                price: { perMinute: o.price, unit: o.unit, minSeconds: Math.max(1, o.minSeconds), graceSec: o.grace },
                bankUrl: o.bank,
                bankListen: o.bank ? undefined : parseHostPort(o.bankListen),
                account: o.account,
              }
            : false,
          mail: o.mail ? mailOptionsFromCli(o, { dataDir, log, mssId: o.mssId }) : false,
        dataDir,
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
      } catch (e) {
        lock.release();
        throw e;
      }
      if (mss.payment) log.info({ event: 'payment', bank: mss.payment.bankUrl, embedded: !!mss.payment.bank, price: o.price, unit: o.unit }, 'sessions are paid');
      const running = mss;
      await new Promise<void>((done) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void running.stop().finally(() => {
            lock.release();
            done();
          });
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });

  mss
    .command('cashout')
    .description("melt everything the MSS earned into its bank account (NUT-05); run it while the gateway is stopped")
    .action(async (_o: unknown, cmd: Command) => {
      // --data-dir, --bank and --account are the gateway's own options (hood mss [options] cashout).
      const o = cmd.optsWithGlobals() as { dataDir: string; bank?: string; bankListen: string; account: string };
      const dataDir = resolve(o.dataDir);
      const lock = takeTillLock(dataDir);
      const log = createLogger({ name: 'mss', level: 'warn' });
      try {
        const p = await setupPayment({ dataDir, log, price: DEFAULT_PRICE, bankUrl: o.bank, bankListen: parseHostPort(o.bankListen), account: o.account });
        try {
          const before = p.till.balance();
          const r = before > 0 ? await p.till.cashout(o.account) : { amount: 0 };
          process.stdout.write(JSON.stringify({ account: o.account, cashedOut: r.amount, tillBefore: before, tillAfter: p.till.balance() }) + '\n');
        } finally {
          await p.close();
        }
      } finally {
        lock.release();
      }
    });
}
