/**
 * The embedded MQTT broker (aedes, in-process): the default "air" between PDAs and this MSS.
 * Hardened for its role: only the gateway (which authenticates with a per-process random secret) may
 * publish beacons and downlink cells; anyone else may publish only uplink cells of the right size, and
 * may subscribe with a wildcard only to discover beacons (so no client can receive every session's
 * downlink cells by asking for them). PDAs connect anonymously: the broker keeps no account of who they are.
 *
 * Bounded under flood (docs/protocol.md §7.6): a total connection cap, a packet-size cap, a publish and a
 * JOIN token bucket per connection, a subscription cap, no retained messages except the gateway's on hood
 * topics, no wills; JOIN cells reach the MSS through a fair scheduler (one waiting per connection). Every
 * violation is dropped and counted by reason; a connection whose strike allowance runs out is closed.
 */
import { Aedes } from 'aedes';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../common/log';
import { KIND_JOIN } from '../../shared/src/protocol/constants';
import { ANY_BEACON_TOPIC, upTopic } from '../../shared/src/protocol/topics';
import { DEFAULT_BROKER_LIMITS, TokenBucket, checkLimits, count, newBrokerStats, type BrokerLimits, type BrokerStats } from './broker-limits';
import { FairJoinScheduler } from './join-scheduler';

export interface EmbeddedBroker {
  url: string;
  host: string;
  port: number;
  /** Credentials the gateway uses; nobody else has them. */
  gatewayUsername: string;
  gatewayPassword: string;
  limits: BrokerLimits;
  /** Drops by reason, disconnections by reason, live client connections, JOINs released to the MSS. */
  stats: BrokerStats;
  close(): Promise<void>;
}

export const GATEWAY_USERNAME = 'hood-mss';

/** Sockets beyond maxConnections that are accepted so the gateway can always reconnect. */
const GATEWAY_RESERVE = 4;
/** Where a dropped publish goes: a topic nobody may subscribe to ('$' topics, MQTT 3.1.1 §4.7.2). */
const SINK_TOPIC = '$hood/dropped';
const EMPTY = Buffer.alloc(0);

interface ClientState {
  publish: TokenBucket;
  join: TokenBucket;
  strikes: TokenBucket;
  subs: Set<string>;
}

/**
 * Bound every MQTT packet a connection may send, before its body is buffered: mqtt-packet reads the
 * remaining length (MQTT 3.1.1 §2.2.3) first, and we refuse there. Fails loudly if aedes's parser changed.
 */
function guardPacketSize(client: any, limit: () => number, onOversize: () => void): void {
  const p = client?._parser;
  if (!p || typeof p._parseLength !== 'function' || typeof p._emitError !== 'function') {
    throw new Error('aedes parser has changed: cannot bound the packet size');
  }
  const parseLength = p._parseLength;
  p._parseLength = function (this: any) {
    const ok = parseLength.call(this);
    if (ok && this.packet.length > limit()) {
      onOversize();
      this._emitError(new Error('packet too large'));
      return false;
    }
    return ok;
  };
}

export async function startEmbeddedBroker(opts: {
  host: string;
  port: number;
  mssId: string;
  cellSize: number;
  log: Logger;
  limits?: Partial<BrokerLimits>;
}): Promise<EmbeddedBroker> {
  const limits: BrokerLimits = { ...DEFAULT_BROKER_LIMITS, ...opts.limits };
  checkLimits(limits);
  const maxPacket = limits.maxPacketBytes || opts.cellSize + 512;
  const stats = newBrokerStats();
  const up = upTopic(opts.mssId);
  const password = randomBytes(24).toString('base64url');
  const pwBuf = Buffer.from(password);
  const sockets = new Set<Socket>();

  const stateOf = (client: any): ClientState => {
    if (!client.hood) {
      const now = Date.now();
      client.hood = {
        publish: new TokenBucket(limits.publishPerSec, limits.publishBurst, now, limits.publishStart),
        join: new TokenBucket(limits.joinPerSec, limits.joinBurst, now, limits.joinStart),
        strikes: new TokenBucket(limits.strikesPerSec, limits.strikeBurst, now),
        subs: new Set<string>(),
      } satisfies ClientState;
    }
    return client.hood;
  };
  /** Count a violation; close the connection once its strike allowance is spent. */
  const strike = (client: any, reason: string) => {
    count(stats.rejected, reason);
    if (!client || client.hoodGateway || client.hoodClosing) return;
    if (!stateOf(client).strikes.take(Date.now())) {
      client.hoodClosing = true;
      count(stats.disconnected, reason);
      opts.log.debug({ event: 'broker_client_dropped', reason }, 'broker: persistent abuser disconnected');
      client.conn?.destroy();
    }
  };

  /** Stop reading a connection that is over its publish rate until a quarter of its burst is back. */
  const throttle = (client: any, st: ClientState, now: number) => {
    count(stats.rejected, 'publish_rate');
    if (client.hoodPaused || client.closed) return;
    client.hoodPaused = true;
    client.pause();
    const t = setTimeout(
      () => {
        client.hoodPaused = false;
        if (!client.closed) client.resume();
      },
      Math.max(10, st.publish.waitMs(now, Math.max(1, limits.publishBurst / 4))),
    );
    t.unref();
  };

  let broker: any;
  const scheduler = new FairJoinScheduler<object>(limits.joinReleasePerSec, (cell) => {
    stats.joinsReleased++;
    broker.publish({ cmd: 'publish', topic: up, payload: cell, qos: 0, retain: false, dup: false }, () => undefined);
  });

  broker = await Aedes.createBroker({
    connectTimeout: limits.connectTimeoutMs,
    authenticate(client: any, username: string | undefined, pw: Buffer | undefined, done: (e: any, ok: boolean) => void) {
      if (username === undefined || username === '') {
        if (stats.connections >= limits.maxConnections) {
          count(stats.rejected, 'connections');
          return done(Object.assign(new Error('server unavailable'), { returnCode: 3 }), false);
        }
        // A will is a publish the broker would make later on the client's behalf; PDAs send none.
        if (client._will) {
          count(stats.rejected, 'will');
          client._will = null;
        }
        stats.connections++;
        client.conn.once('close', () => stats.connections--);
        stateOf(client);
        return done(null, true);
      }
      const ok = username === GATEWAY_USERNAME && !!pw && pw.length === pwBuf.length && timingSafeEqual(pw, pwBuf);
      client.hoodGateway = ok;
      done(null, ok);
    },
    authorizePublish(client: any, packet: any, done: (e: Error | null) => void) {
      const topic: string = packet.topic;
      if (!client || client.hoodGateway) {
        // The gateway retains its beacon; nothing else is kept in memory for later subscribers.
        if (packet.retain && !topic.startsWith('hood/')) return drop('retain_foreign');
        return done(null);
      }
      stats.publishesIn++;
      function drop(reason: string) {
        strike(client, reason);
        packet.topic = SINK_TOPIC;
        packet.payload = EMPTY;
        packet.retain = false;
        done(null);
      }
      if (packet.retain) return drop('retain');
      if (topic.charCodeAt(0) === 36) return drop('forbidden_topic');
      const st = stateOf(client);
      const now = Date.now();
      if (!st.publish.take(now)) {
        throttle(client, st, now);
        packet.topic = SINK_TOPIC;
        packet.payload = EMPTY;
        return done(null);
      }
      if (topic === up) {
        const payload: Buffer | undefined = packet.payload;
        if (!payload || payload.length !== opts.cellSize) return drop('cell_size');
        if (payload[1] !== KIND_JOIN) return done(null);
        if (!st.join.take(now)) return drop('join_rate');
        // A copy: the parsed payload may be a view into a whole socket read.
        if (!scheduler.offer(client, new Uint8Array(payload))) return drop('join_pending');
        // The scheduler publishes it when its turn comes; this publish goes nowhere.
        packet.topic = SINK_TOPIC;
        packet.payload = EMPTY;
        return done(null);
      }
      if (topic.startsWith('hood/')) return drop('forbidden_topic');
      done(null); // other applications may share the broker
    },
    authorizeSubscribe(client: any, sub: any, done: (e: Error | null, s: any) => void) {
      if (client?.hoodGateway) return done(null, sub);
      const t: string = sub.topic;
      // Wildcards only to discover beacons; a downlink topic must be named exactly (it is the session's secret tag).
      const hasWildcard = t.includes('#') || t.includes('+');
      if ((hasWildcard && t !== ANY_BEACON_TOPIC) || t.charCodeAt(0) === 36) {
        strike(client, 'forbidden_subscription');
        return done(null, null); // SUBACK failure (0x80)
      }
      const st = stateOf(client);
      if (!st.subs.has(t) && st.subs.size >= limits.maxSubscriptions) {
        strike(client, 'subscriptions');
        return done(null, null);
      }
      st.subs.add(t);
      done(null, sub);
    },
  });
  broker.on('unsubscribe', (topics: string[], client: any) => {
    const subs = client?.hood?.subs as Set<string> | undefined;
    if (subs) for (const t of topics) subs.delete(t);
  });
  broker.on('clientError', (_c: unknown, err: Error) => opts.log.debug({ event: 'broker_client_error', err: err.message }, 'broker client error'));
  broker.on('connectionError', (_c: unknown, err: Error) => opts.log.debug({ event: 'broker_connection_error', err: err.message }, 'broker connection error'));

  const server: Server = createServer((conn: Socket) => {
    if (sockets.size >= limits.maxConnections + GATEWAY_RESERVE) {
      count(stats.rejected, 'connections');
      conn.destroy();
      return;
    }
    sockets.add(conn);
    const client = broker.handle(conn);
    conn.once('close', () => {
      sockets.delete(conn);
      scheduler.forget(client);
    });
    guardPacketSize(
      client,
      () => (client.hoodGateway ? limits.gatewayMaxPacketBytes : maxPacket),
      () => {
        count(stats.rejected, 'packet_size');
        count(stats.disconnected, 'packet_size');
      },
    );
  });
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
    limits,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        scheduler.close();
        server.close(() => resolve());
        broker.close(() => undefined);
        // Drop connected clients, and sockets that never sent CONNECT, so server.close() can finish.
        for (const id of Object.keys(broker.clients || {})) broker.clients[id].close?.();
        for (const s of sockets) s.destroy();
      }),
  };
}
