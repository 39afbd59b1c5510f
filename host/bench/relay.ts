/**
 * The baseline of `hood bench mss`: the MSS's path minus its work. A plain MQTT client, on the MSS's thread,
 * with the MSS's client library and credentials, subscribed to the same uplink topic; each cell is republished
 * unchanged on the downlink topic of the session whose uplink tag it carries (docs/protocol.md §3.2: bytes
 * 2..18). No decryption, no replay window, no service, no sealing: the broker's and the MQTT client's cost alone.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { SESSION_HEADER_LEN } from '../../shared/src/protocol/constants';
import { upTopic } from '../../shared/src/protocol/topics';
import type { Route } from './pda-worker';

export interface Relay {
  /** Start relaying (subscribe to the uplink topic). */
  start(): Promise<void>;
  /** Stop relaying (unsubscribe). */
  pause(): Promise<void>;
  relayed(): number;
  close(): Promise<void>;
}

export async function startRelay(url: string, username: string, password: string, mssId: string, routes: Route[]): Promise<Relay> {
  // Keyed by the 16 tag bytes as a latin1 string: one short string per cell, no hex encoding.
  const table = new Map<string, string>();
  for (const r of routes) table.set(Buffer.from(r.upTagHex, 'hex').toString('latin1'), r.down);
  const up = upTopic(mssId);
  let relayed = 0;
  const c: MqttClient = await mqtt.connectAsync(url, { username, password, clientId: 'bench-relay-' + randomBytes(6).toString('hex'), clean: true });
  c.on('message', (topic, payload) => {
    if (topic !== up || payload.length < SESSION_HEADER_LEN) return;
    const down = table.get(payload.toString('latin1', 2, 18));
    if (!down) return;
    relayed++;
    c.publish(down, payload, { qos: 0 });
  });
  return {
    start: async () => void (await c.subscribeAsync(up, { qos: 0 })),
    pause: async () => void (await c.unsubscribeAsync(up)),
    relayed: () => relayed,
    close: () => c.endAsync(),
  };
}
