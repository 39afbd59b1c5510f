/** Start a real MSS gateway (embedded aedes broker on a free loopback port, or an external broker). */
import { silentLogger, type Logger } from '../../host/common/log';
import type { MssConfig } from '../../host/mss/core';
import { MssGateway } from '../../host/mss/gateway';
import { DEFAULT_OUT_FILE } from '../../host/build/firmware';
import { removeTestDir, testDir } from './temp-dir';

export const BUNDLE = DEFAULT_OUT_FILE;

export async function startGateway(
  opts: {
    config?: Partial<MssConfig>;
    brokerUrl?: string;
    brokerUsername?: string;
    brokerPassword?: string;
    allowOpenBroker?: boolean;
    log?: Logger;
    beaconPeriodSec?: number;
    tickMs?: number;
  } = {},
) {
  const dataDir = testDir('hood-test-gw-');
  const gw = await MssGateway.start({
    dataDir,
    log: opts.log || silentLogger(),
    brokerUrl: opts.brokerUrl,
    brokerUsername: opts.brokerUsername,
    brokerPassword: opts.brokerPassword,
    allowOpenBroker: opts.allowOpenBroker,
    beaconPeriodSec: opts.beaconPeriodSec,
    listen: opts.brokerUrl ? undefined : { host: '127.0.0.1', port: 0 },
    config: opts.config,
    tickMs: opts.tickMs ?? 200,
  });
  return {
    gw,
    dataDir,
    async stop() {
      await gw.stop();
      removeTestDir(dataDir);
    },
  };
}
