/**
 * The embedded MQTT broker (aedes, in-process): the default "air" between PDAs and this MSS.
 * Hardened for its role: only the gateway (which authenticates with a per-process random secret) may
 * publish beacons and downlink cells; anyone else may publish only uplink cells of the right size, and
 * may subscribe with a wildcard only to discover beacons (so no client can receive every session's
 * downlink cells by asking for them). PDAs connect anonymously: the broker keeps no account of who they are.
 */
import { Aedes } from 'aedes';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from '../common/log';
import { ANY_BEACON_TOPIC } from '../../shared/src/protocol/topics';

export interface EmbeddedBroker {
  url: string;
  host: string;
  port: number;
  /** Credentials the gateway uses; nobody else has them. */
  gatewayUsername: string;
  gatewayPassword: string;
  close(): Promise<void>;
}

export const GATEWAY_USERNAME = 'hood-mss';

export async function startEmbeddedBroker(opts: {
  host: string;
  port: number;
  mssId: string;
  cellSize: number;
  log: Logger;
}): Promise<EmbeddedBroker> {
  const password = randomBytes(24).toString('base64url');
  const pwBuf = Buffer.from(password);
  const broker: any = await Aedes.createBroker({
    authenticate(client: any, username: string | undefined, pw: Buffer | undefined, done: (e: any, ok: boolean) => void) {
      if (username === undefined || username === '') return done(null, true);
      const ok = username === GATEWAY_USERNAME && !!pw && pw.length === pwBuf.length && timingSafeEqual(pw, pwBuf);
      client.hoodGateway = ok;
      done(null, ok);
    },
    authorizePublish(client: any, packet: any, done: (e: Error | null) => void) {
      if (!client || client.hoodGateway) return done(null);
      const up = 'hood/v1/' + opts.mssId + '/up';
      if (packet.topic === up && !packet.retain && packet.payload && packet.payload.length === opts.cellSize) return done(null);
      if (!packet.topic.startsWith('hood/')) return done(null); // other applications may share the broker
      done(new Error('not allowed'));
    },
    authorizeSubscribe(client: any, sub: any, done: (e: Error | null, s: any) => void) {
      if (client?.hoodGateway) return done(null, sub);
      const t: string = sub.topic;
      // Wildcards only to discover beacons; a downlink topic must be named exactly (it is the session's secret tag).
      const hasWildcard = t.includes('#') || t.includes('+');
      if (hasWildcard && t !== ANY_BEACON_TOPIC) return done(null, null); // SUBACK failure (0x80)
      done(null, sub);
    },
  });
  broker.on('clientError', (_c: unknown, err: Error) => opts.log.debug({ event: 'broker_client_error', err: err.message }, 'broker client error'));
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = opts.host === '0.0.0.0' || opts.host === '::' ? '127.0.0.1' : opts.host;
  return {
    url: 'mqtt://' + (host.includes(':') ? '[' + host + ']' : host) + ':' + addr.port,
    host: opts.host,
    port: addr.port,
    gatewayUsername: GATEWAY_USERNAME,
    gatewayPassword: password,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        broker.close(() => undefined);
        // Drop connected clients so server.close() can finish.
        for (const id of Object.keys(broker.clients || {})) broker.clients[id].close?.();
      }),
  };
}
