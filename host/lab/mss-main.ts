/**
 * The MSS process of the lab, started inside the MSS namespace: gateway + embedded broker listening on
 * the MSS's address on the bridge. Prints one JSON line `{"ready":true,...}` when the beacon is out,
 * stops (ending every session, BYE to each PDA) on SIGTERM/SIGINT.
 * Lightweight entry (`node --import tsx host/lab/mss-main.ts ...`) so the lab does not load the whole CLI.
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../common/log';
import { MssGateway } from '../mss/gateway';

const a = parseArgs({
  options: {
    'data-dir': { type: 'string' },
    host: { type: 'string' },
    port: { type: 'string', default: '1883' },
    'mss-id': { type: 'string', default: 'lab' },
    'idle-timeout': { type: 'string', default: '60' },
  },
  strict: true,
});
const v = a.values;
if (!v['data-dir'] || !v.host) {
  process.stderr.write('usage: mss-main.ts --data-dir DIR --host IP [--port N] [--mss-id ID]\n');
  process.exit(2);
}
const log = createLogger({ level: process.env.HOOD_LOG_LEVEL || 'warn', name: 'lab-mss', destination: process.stderr });
const gw = await MssGateway.start({
  dataDir: v['data-dir'],
  log,
  listen: { host: v.host, port: Number(v.port) },
  config: { mssId: v['mss-id']!, idleTimeoutSec: Number(v['idle-timeout']) },
  tickMs: 500,
});
process.stdout.write(
  JSON.stringify({ ready: true, mssId: gw.mssId, brokerUrl: gw.brokerUrl, identityKey: Buffer.from(gw.core.identityKey).toString('hex') }) + '\n',
);
const stop = () => {
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  void gw.stop().finally(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
