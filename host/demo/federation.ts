/**
 * A federation of MSSs in one process (`hood demo --handoff`, tests; docs/handoff.md): each member with its
 * own data dir, keys, embedded broker, bank and mail, all on 127.0.0.1; one federation key signs the list
 * that names them, and each serves the MSS-to-MSS channel at the url the list gives.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../common/log';
import { freeLoopbackPort } from '../common/free-port';
import { generateFederationKey, loadFederationKey } from '../federation/keys';
import { signFederationList } from '../federation/list';
import { loadOrCreateMssKeys } from '../mss/keys';
import { startMss, type RunningMss } from '../mss/start';
import { startDemoExchanges, type DemoExchanges } from './exchanges';

export const DEMO_FEDERATION = 'city';
const PRICE = { perMinute: 1, unit: 'sat', minSeconds: 60, graceSec: 30 };

export interface DemoFederation {
  members: RunningMss[];
  listFile: string;
  federationKey: Uint8Array;
  /** With `exchanges`: the exchange servers every member splits its drop box over. */
  exchanges: DemoExchanges | null;
  close(): Promise<void>;
}

export async function startDemoFederation(
  ids: string[],
  dir: string,
  log: Logger,
  opts: { tickMs?: number; beaconPeriodSec?: number; exchanges?: number } = {},
): Promise<DemoFederation> {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const specs = [];
  const ports: number[] = [];
  for (const id of ids) {
    const dataDir = join(dir, id);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const port = await freeLoopbackPort();
    ports.push(port);
    specs.push({ mssId: id, identityKey: loadOrCreateMssKeys(dataDir).identityPublic, url: 'http://127.0.0.1:' + port });
  }
  const keyFile = join(dir, 'federation.key');
  const federationKey = generateFederationKey(keyFile);
  const listFile = join(dir, 'federation.json');
  writeFileSync(listFile, JSON.stringify(signFederationList({ name: DEMO_FEDERATION, key: loadFederationKey(keyFile), members: specs }), null, 2) + '\n');
  const members: RunningMss[] = [];
  const exchanges = opts.exchanges ? await startDemoExchanges(opts.exchanges, join(dir, 'exchanges'), ids) : null;
  const close = async () => {
    for (const m of members.splice(0).reverse()) await m.stop();
    await exchanges?.close();
  };
  try {
    for (let i = 0; i < ids.length; i++) {
      members.push(
        await startMss({
          dataDir: join(dir, ids[i]),
          log,
          listen: { host: '127.0.0.1', port: 0 },
          tickMs: opts.tickMs,
          beaconPeriodSec: opts.beaconPeriodSec,
          config: { mssId: ids[i] },
          payment: { price: PRICE, bankListen: { host: '127.0.0.1', port: 0 }, account: ids[i] },
          mail: { smtpListen: '127.0.0.1:0', mixMeanDelaySec: 0, ...(exchanges ? { exchange: exchanges.specsFor(ids[i]) } : {}) },
          federation: { file: listFile, listen: { host: '127.0.0.1', port: ports[i] } },
        }),
      );
    }
  } catch (e) {
    await close();
    throw e;
  }
  return { members, listFile, federationKey, exchanges, close };
}
