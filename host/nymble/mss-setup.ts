/**
 * Extended Nymble at a running MSS (`hood mss --nymble-manager URL --nymble-key FILE`): the ticket
 * check (server.ts) with its state in `<data dir>/nymble/`, the DATA-channel service that gates
 * sessions on a ticket (mss-service.ts), and a poller that pulls linking tokens from the NM over HTTP.
 *
 * Linking tokens arrive by polling (every `pollMs`, default 1 s, and once more after each presented
 * ticket), so a complaint anywhere in the federation takes effect here within one poll interval. If
 * the NM cannot be reached the MSS keeps checking against the tokens it has: it never fails open.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../common/log';
import { startComplaintDesk, type ComplaintDesk } from './complaint-desk';
import { NymbleService } from './mss-service';
import type { LinkingToken } from './nymble-manager';
import { NmClient } from './nm-client';
import { readMssKeyFile } from './serve';
import { NymbleServer } from './server';
import { checkTime, epochAt } from './time';

export const NYMBLE_MSS_DIR = 'nymble';

export interface NymbleAtMssOptions {
  nmUrl: string;
  keyFile: string;
  dataDir: string;
  sid: string;
  log: Logger;
  pollMs?: number;
  graceMs?: number;
  /** Where recipients file complaints by TmpId (complaint-desk.ts); none when absent. */
  complaintsListen?: { host: string; port: number };
  now?: () => number;
}

export interface NymbleAtMss {
  service: NymbleService;
  server: NymbleServer;
  client: NmClient;
  macKeyNS: Uint8Array;
  desk: ComplaintDesk | null;
  /** Pull linking tokens now (what the poller does on its timer). */
  poll(): Promise<void>;
  stop(): void;
}

export async function setupNymbleAtMss(o: NymbleAtMssOptions): Promise<NymbleAtMss> {
  const macKeyNS = readMssKeyFile(o.keyFile);
  const client = new NmClient(o.nmUrl);
  const p = await client.params();
  const time = checkTime({ periodMs: p.periodMs, periodsPerWindow: p.periodsPerWindow });
  const dir = join(o.dataDir, NYMBLE_MSS_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const server = new NymbleServer(o.sid, macKeyNS, time, dir);
  const clock = o.now || Date.now;
  // Tokens fetched but not yet applied; the service applies them before each ticket check.
  let buffered: LinkingToken[] = [];
  let polling: Promise<void> | null = null;
  let stopped = false;
  // The newest signed blacklist for this MSS, refreshed with every poll (one per period is enough,
  // Extended Nymble §2.7; a PDA refuses a list of another period as stale).
  let blacklist: Uint8Array | null = null;
  const poll = (): Promise<void> => {
    if (!polling) {
      polling = client
        .blacklist(o.sid)
        .then((b) => {
          blacklist = b;
        })
        .catch((e: Error) => o.log.warn({ event: 'nymble_blacklist_failed', err: e.message }, 'could not fetch the blacklist'))
        .then(() => client.linkingTokens(o.sid, macKeyNS, Math.max(server.tokenSeq, buffered.length ? buffered[buffered.length - 1].seq : 0)))
        .then((fresh) => {
          if (fresh.length) {
            buffered = buffered.concat(fresh);
            server.applyTokens(buffered, epochAt(time, clock()));
            buffered = [];
          }
        })
        .catch((e: Error) => o.log.warn({ event: 'nymble_sync_failed', err: e.message }, 'could not fetch linking tokens'))
        .finally(() => {
          polling = null;
        });
    }
    return polling;
  };
  const service = new NymbleService({
    server,
    tokens: (_now, since) => {
      const out = buffered.filter((k) => k.seq > since);
      buffered = [];
      if (!stopped) void poll();
      return out;
    },
    log: o.log,
    graceMs: o.graceMs,
    now: clock,
    blacklist: () => blacklist,
  });
  await poll();
  const timer = setInterval(() => {
    void poll();
    server.flush();
  }, o.pollMs ?? 1000);
  timer.unref();
  let desk: ComplaintDesk | null = null;
  try {
    desk = o.complaintsListen ? await startComplaintDesk({ server, client, macKeyNS, log: o.log, now: clock }, o.complaintsListen) : null;
  } catch (e) {
    clearInterval(timer);
    throw e;
  }
  return {
    service,
    server,
    client,
    macKeyNS,
    desk,
    poll,
    stop() {
      stopped = true;
      void desk?.close();
      clearInterval(timer);
      server.flush();
    },
  };
}
