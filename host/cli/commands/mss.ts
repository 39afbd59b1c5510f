/** `hood mss`: run Doug's MSS gateway (embedded broker by default, or --broker URL). */
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createLogger } from '../../common/log';
import { hasUrlCredentials } from '../../common/redact';
import { argvSecretRefused, readSecret } from '../../common/secret-input';
import { GATEWAY_USER, renderMosquittoConfig } from '../../mss/mosquitto/config';
import { startMss } from '../../mss/start';
import { DEFAULT_DASHBOARD_LISTEN } from '../../dashboard/server';
import { setupPayment, DEFAULT_PRICE } from '../../pay/setup';
import { takeTillLock } from '../../pay/till-lock';
import { addMailOptions, mailOptionsFromCli } from './mail';
import { complainAboutSession } from '../../nymble/complain';
import { parseHostPort, parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { runUntilSignal } from '../signals';

const BROKER_PW = { envVar: 'HOOD_BROKER_PASSWORD', fileFlag: '--broker-password-file' };

/** The external broker's password: from a file, an environment variable or the terminal — never argv. */
async function brokerPasswordFromCli(o: { broker: string; brokerUsername?: string; brokerPasswordFile?: string; brokerPasswordEnv: string }): Promise<string | undefined> {
  let u: URL;
  try {
    u = new URL(o.broker);
  } catch {
    throw new Error('--broker wants a URL such as mqtt://127.0.0.1:1883');
  }
  if (u.password || hasUrlCredentials(o.broker))
    throw new Error('--broker must not carry credentials (argv is visible to every local user): give --broker-username and the password in $HOOD_BROKER_PASSWORD or --broker-password-file');
  if (!o.brokerUsername) {
    if (o.brokerPasswordFile) throw new Error('--broker-password-file needs --broker-username');
    return undefined;
  }
  const pw = await readSecret({ what: 'password of broker user ' + o.brokerUsername, envVar: o.brokerPasswordEnv, file: o.brokerPasswordFile, fileFlag: '--broker-password-file' });
  if (!pw) throw new Error('no password for broker user ' + o.brokerUsername + ': set $' + o.brokerPasswordEnv + ', give --broker-password-file FILE (mode 0600) or run on a terminal');
  return pw;
}

export function registerMssCommands(program: Command): void {
  const mss = program
    .command('mss')
    .description('run the MSS gateway: embedded MQTT broker (default) or an external one, beacon, sessions, payment (embedded bank by default), mail')
    .option('--broker <url>', 'use an external MQTT broker (mqtt://host:port) instead of the embedded one')
    .option('--broker-username <name>', 'username for the external broker (the gateway user of host/mss/mosquitto/hood.acl: ' + GATEWAY_USER + ')')
    .option('--broker-password-file <file>', 'file (mode 0600) holding the external broker password; default: $HOOD_BROKER_PASSWORD, else a prompt on a terminal')
    .option('--broker-password-env <var>', 'environment variable holding the external broker password', 'HOOD_BROKER_PASSWORD')
    .option('--broker-password <password>', 'not accepted (argv is visible to every local user): use $HOOD_BROKER_PASSWORD or --broker-password-file', argvSecretRefused('--broker-password', BROKER_PW))
    .option('--allow-open-broker', 'run even if the external broker lets anonymous clients overwrite the beacon or read downlink wildcards (INSECURE; warned about every beacon period)')
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
    .option('--dashboard [host:port]', 'serve the operator dashboard and /metrics (default 127.0.0.1:8338); its access token is printed once, when made')
    .option('--nymble-manager <url>', 'require an Extended Nymble ticket from every session, checked with this NM (hood nymble serve); off by default')
    .option('--nymble-key <file>', 'the MAC key this MSS shares with the NM (hood nymble register-mss; mode 0600)')
    .option('--nymble-complaints-listen <host:port>', 'with --nymble-manager: where recipients complain about a mail by its TmpId (hood recipient complain)')
    .option('--ticket-ttl <sec>', 'lifetime of a session ticket (resumption after a restart, hand-off; docs/handoff.md); renewed every half lifetime', parseIntOption, 600)
    .option('--no-resume', 'give no session tickets: a restart of the MSS or broker ends every session for good')
    .option('--federation <file>', 'member of this federation (hood federation sign): certificate in the beacon, hand-off to and from its other members')
    .option('--peer-listen <host:port>', 'with --federation: where the MSS-to-MSS endpoint listens (the url the list gives for this MSS)')
    .option('--log-level <level>', 'pino log level', 'info');
  addMailOptions(mss);
  mss.action(async (o) => {
      const log = createLogger({ level: o.logLevel, name: 'mss' });
      if (o.price > 0 && !/^[a-z]{1,16}$/.test(o.unit)) throw new Error('--unit must be 1-16 letters a-z');
      const dataDir = resolve(o.dataDir);
      if (!!o.nymbleManager !== !!o.nymbleKey) throw new Error('--nymble-manager and --nymble-key go together');
      if (!!o.federation !== !!o.peerListen) throw new Error('--federation and --peer-listen go together');
      if (o.federation && !o.resume) throw new Error('--federation needs session tickets: drop --no-resume');
      if (!(o.ticketTtl >= 10 && o.ticketTtl <= 86400)) throw new Error('--ticket-ttl must be 10..86400 seconds');
      const brokerPassword = o.broker ? await brokerPasswordFromCli(o) : undefined;
      const lock = o.price > 0 ? takeTillLock(dataDir) : { release() {} };
      await runUntilSignal(
        async () => {
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
              dashboard: o.dashboard ? (o.dashboard === true ? DEFAULT_DASHBOARD_LISTEN : parseHostPort(o.dashboard)) : false,
              handoff: o.resume ? { ticketTtlSec: o.ticketTtl } : false,
              federation: o.federation ? { file: resolve(o.federation), listen: parseHostPort(o.peerListen) } : undefined,
              nymble: o.nymbleManager ? { nmUrl: o.nymbleManager, keyFile: resolve(o.nymbleKey), complaintsListen: o.nymbleComplaintsListen ? parseHostPort(o.nymbleComplaintsListen) : undefined } : false,
              dataDir,
              log,
              brokerUrl: o.broker,
              brokerUsername: o.brokerUsername,
              brokerPassword,
              allowOpenBroker: !!o.allowOpenBroker,
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
          if (mss.dashboard) {
            // The token goes to the terminal once, never to the log (its hash alone is kept in the data dir).
            if (mss.dashboard.newToken) process.stderr.write('dashboard access token (shown once, keep it): ' + mss.dashboard.newToken + '\n');
            process.stderr.write('dashboard: ' + mss.dashboard.url + '/  (Prometheus: ' + mss.dashboard.url + '/metrics, Authorization: Bearer <token>)\n');
          }
          if (mss.payment) log.info({ event: 'payment', bank: mss.payment.bankUrl, embedded: !!mss.payment.bank, price: o.price, unit: o.unit }, 'sessions are paid');
          return mss;
        },
        (running) => running.stop().finally(() => lock.release()),
      );
    });

  jsonOption(mss.command('mosquitto-config'))
    .description("write mosquitto 2.0 configuration that enforces the MSS's broker roles for --mss-id (hood.conf, hood.acl, hood-dynsec.json)")
    .requiredOption('--out <dir>', 'directory to write the three files to')
    .option('--gateway-user <name>', "the gateway's user name in the password file", GATEWAY_USER)
    .option('--conf-dir <dir>', 'where the files (and hood.passwd) will be installed, as hood.conf names them', '/etc/mosquitto/hood')
    .option('--mqtt-listener <args>', "arguments of hood.conf's listener line", '1883')
    .action((_o: unknown, cmd: Command) => {
      const o = cmd.optsWithGlobals() as JsonFlag & { mssId: string; out: string; gatewayUser: string; confDir: string; mqttListener: string };
      const files = renderMosquittoConfig({ mssId: o.mssId, gatewayUser: o.gatewayUser, confDir: o.confDir, listener: o.mqttListener });
      mkdirSync(o.out, { recursive: true });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(o.out, name), text, { mode: 0o644 });
      printResult(o, { mssId: o.mssId, out: o.out, files: Object.keys(files) }, (r) => `wrote ${r.files.join(', ')} to ${r.out} for MSS ${r.mssId}`);
    });

  jsonOption(mss.command('complain'))
    .description("complain to the NM about the session with this TmpId (Extended Nymble): its user is linked at every MSS from now to the end of the window")
    .requiredOption('--tmpid <id>', 'the TmpId of a session of this linkability window')
    .action(async (_o: unknown, cmd: Command) => {
      // --data-dir, --mss-id, --nymble-manager and --nymble-key are the gateway's own options.
      const o = cmd.optsWithGlobals() as JsonFlag & { dataDir: string; mssId: string; nymbleManager?: string; nymbleKey?: string; tmpid: string };
      if (!o.nymbleManager || !o.nymbleKey) throw new Error('give --nymble-manager URL and --nymble-key FILE (hood mss --nymble-manager … --nymble-key … complain --tmpid X)');
      const r = await complainAboutSession({ dataDir: resolve(o.dataDir), sid: o.mssId, nmUrl: o.nymbleManager, keyFile: resolve(o.nymbleKey), tmpId: o.tmpid });
      printResult(o, r, (x) => 'session ' + x.tmpId + ': its user is linked from window ' + x.linkedFrom.w + ' period ' + x.linkedFrom.t);
    });

  jsonOption(mss.command('cashout'))
    .description("melt everything the MSS earned into its bank account (NUT-05); run it while the gateway is stopped")
    .action(async (_o: unknown, cmd: Command) => {
      // --data-dir, --bank and --account are the gateway's own options (hood mss [options] cashout).
      const o = cmd.optsWithGlobals() as JsonFlag & { dataDir: string; bank?: string; bankListen: string; account: string };
      const dataDir = resolve(o.dataDir);
      const lock = takeTillLock(dataDir);
      const log = createLogger({ name: 'mss', level: 'warn' });
      try {
        const p = await setupPayment({ dataDir, log, price: DEFAULT_PRICE, bankUrl: o.bank, bankListen: parseHostPort(o.bankListen), account: o.account });
        try {
          const before = p.till.balance();
          const r = before > 0 ? await p.till.cashout(o.account) : { amount: 0 };
          printResult(
            o,
            { account: o.account, cashedOut: r.amount, tillBefore: before, tillAfter: p.till.balance() },
            (x) => `cashed out ${x.cashedOut} into account ${x.account} (till ${x.tillBefore} before, ${x.tillAfter} after)`,
          );
        } finally {
          await p.close();
        }
      } finally {
        lock.release();
      }
    });
}
