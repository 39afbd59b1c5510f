/**
 * Exchange servers for `hood demo --exchanges N` (docs/exchange.md): N `hood exchange` servers
 * in-process, each with its own data dir and SQLite store, on 127.0.0.1; one bearer token per server
 * and MSS, written (0600) where `--exchange <url>=<token-file>` reads it. Several MSSs (a federation)
 * share the servers, each with its own tokens (docs/exchange.md §6).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../common/log';
import { startExchangeServer, type RunningExchange } from '../exchange/server';
import { ShareStore } from '../exchange/store';
import { MAX_SHARES, MIN_SHARES } from '../../shared/src/exchange/shares';

export interface DemoExchanges {
  /** `<url>=<token-file>` for each server, as `hood mss --exchange` takes them, for the first MSS. */
  specs: string[];
  /** The same for MSS `id`. */
  specsFor(id: string): string[];
  /** Shares each server holds now. */
  held(): number[];
  close(): Promise<void>;
}

export async function startDemoExchanges(n: number, dir: string, mssIds: string | string[]): Promise<DemoExchanges> {
  const ids = typeof mssIds === 'string' ? [mssIds] : mssIds;
  if (!Number.isInteger(n) || n < MIN_SHARES || n > MAX_SHARES) throw new Error('--exchanges must be ' + MIN_SHARES + '..' + MAX_SHARES);
  const running: { store: ShareStore; ex: RunningExchange }[] = [];
  const specs: Record<string, string[]> = Object.fromEntries(ids.map((id) => [id, []]));
  const close = async () => {
    for (const r of running) {
      await r.ex.close();
      r.store.close();
    }
  };
  try {
    for (let i = 0; i < n; i++) {
      const store = ShareStore.open(join(dir, 'exchange-' + i));
      running.push({ store, ex: undefined as unknown as RunningExchange });
      running[i].ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 3600, log: silentLogger() });
      for (const id of ids) {
        const tokenFile = join(dir, 'exchange-' + i + '-' + id + '.token');
        writeFileSync(tokenFile, store.addMss(id) + '\n', { mode: 0o600 });
        specs[id].push(running[i].ex.url + '=' + tokenFile);
      }
    }
  } catch (e) {
    for (const r of running) {
      if (r.ex) await r.ex.close();
      r.store.close();
    }
    throw e;
  }
  return {
    specs: specs[ids[0]],
    specsFor: (id) => {
      if (!specs[id]) throw new Error('no exchange tokens for MSS ' + id);
      return specs[id];
    },
    held: () => running.map((r) => r.store.usage().entries),
    close,
  };
}
