/**
 * The MSS process of the lab, started inside the MSS namespace: gateway + embedded broker listening on
 * the MSS's address on the bridge. Prints one JSON line `{"ready":true,...}` when the beacon is out,
 * stops (ending every session, BYE to each PDA) on SIGTERM/SIGINT.
 * With `--mail` it relays Bob's mail to a local maildir (no inbound SMTP) through the exponential mix of
 * `--mix-mean-delay` seconds (0 = no mix; docs/anonymity.md), and names the maildir in the ready line.
 * With `--federation FILE --peer-listen HOST:PORT` it is a member of the lab's federation (docs/federation.md) and
 * serves the MSS-to-MSS endpoint for hand-off (paper §6.3) at that address.
 * Lightweight entry (`node bin/run-ts.js host/lab/mss-main.ts ...`) so the lab does not load the whole CLI.
 */
import { Command, InvalidArgumentError } from 'commander';
import { parseIntOption } from '../cli/options';
import { runUntilSignal } from '../cli/signals';
import { createLogger } from '../common/log';
import { startMss } from '../mss/start';

function parseSeconds(v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0 || n > 86400) throw new InvalidArgumentError('expected 0..86400 seconds, got ' + JSON.stringify(v));
  return n;
}

function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(\d{1,3}(\.\d{1,3}){3}):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : 0;
  if (!m || !(port > 0 && port < 65536)) throw new InvalidArgumentError('expected IPv4:port, got ' + JSON.stringify(v));
  return { host: m[1], port };
}

const o = new Command('mss-main')
  .description('the lab MSS: gateway and embedded broker on the bridge address')
  .requiredOption('--data-dir <dir>', 'where the MSS keeps its keys')
  .requiredOption('--host <ip>', 'address the embedded broker listens on')
  .option('--port <n>', 'broker port', parseIntOption, 1883)
  .option('--mss-id <id>', 'MSS id in topics and beacon', 'lab')
  .option('--idle-timeout <sec>', 'end a session after this long without a cell from the PDA', parseIntOption, 60)
  .option('--mail', 'relay mail to a local maildir (paper steps 5-7)')
  .option('--mix-mean-delay <sec>', 'mean delay of the exponential mix on mail (0 = no mix)', parseSeconds, 0)
  .option('--federation <file>', 'signed federation list naming this MSS (needs --peer-listen)')
  .option('--peer-listen <host:port>', 'where the MSS-to-MSS endpoint listens (the url the list gives)', parseHostPort)
  .parse(process.argv)
  .opts<{
    dataDir: string;
    host: string;
    port: number;
    mssId: string;
    idleTimeout: number;
    mail?: boolean;
    mixMeanDelay: number;
    federation?: string;
    peerListen?: { host: string; port: number };
  }>();
if (!o.federation !== !o.peerListen) {
  process.stderr.write('mss-main: --federation and --peer-listen go together\n');
  process.exit(2);
}
const log = createLogger({ level: process.env.HOOD_LOG_LEVEL || 'warn', name: 'lab-mss', destination: process.stderr });
// No top-level await: the lab starts this through bin/run-ts.js (tsx's in-thread require hooks).
runUntilSignal(
  async () => {
    const mss = await startMss({
      dataDir: o.dataDir,
      log,
      listen: { host: o.host, port: o.port },
      config: { mssId: o.mssId, idleTimeoutSec: o.idleTimeout },
      tickMs: 500,
      payment: false,
      mail: o.mail ? { smtpListen: 'off', mixMeanDelaySec: o.mixMeanDelay } : false,
      federation: o.federation && o.peerListen ? { file: o.federation, listen: o.peerListen } : undefined,
    });
    const gw = mss.gw;
    process.stdout.write(
      JSON.stringify({
        ready: true,
        mssId: gw.mssId,
        brokerUrl: gw.brokerUrl,
        identityKey: Buffer.from(gw.core.identityKey).toString('hex'),
        maildir: mss.mail ? mss.mail.localMaildir : undefined,
        mixMeanDelaySec: mss.mail ? o.mixMeanDelay : undefined,
        peerUrl: mss.peer ? 'http://' + o.peerListen!.host + ':' + o.peerListen!.port : undefined,
      }) + '\n',
    );
    return mss;
  },
  (mss) => mss.stop().catch(() => undefined),
).then(
  () => process.exit(0),
  (e) => {
    process.stderr.write('mss-main: ' + ((e as Error).message || String(e)) + '\n');
    process.exit(1);
  },
);
