/**
 * The sink of `hood bench mss`'s generator-only run: a TCP server that speaks the smallest MQTT 3.1.1 a
 * generator needs (CONNACK, SUBACK, PINGRESP) and reflects every PUBLISH a connection sends onto the one topic
 * that connection subscribed to. No broker, no gateway: what the generator reaches against it is the rate it
 * can produce and check on its own, the ceiling of anything it measures.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { CONNACK_OK, CONNECT, DISCONNECT, PINGREQ, PINGRESP_PACKET, PUBLISH, PacketReader, SUBSCRIBE, mqttString, parsePublish, publishPacket, subackPacket } from './mqtt-wire';

export interface MqttSink {
  port: number;
  /** PUBLISH packets reflected so far. */
  reflected(): number;
  close(): Promise<void>;
}

export async function startMqttSink(host = '127.0.0.1'): Promise<MqttSink> {
  const sockets = new Set<Socket>();
  let reflected = 0;
  const server: Server = createServer((sock) => {
    sock.setNoDelay(true);
    sockets.add(sock);
    sock.once('close', () => sockets.delete(sock));
    sock.on('error', () => undefined);
    let downTopic: Buffer | null = null;
    const reader = new PacketReader(64 * 1024, (type, flags, body) => {
      if (type === CONNECT) sock.write(CONNACK_OK);
      else if (type === SUBSCRIBE && body.length >= 5) {
        const tl = body.readUInt16BE(2);
        if (4 + tl > body.length) return void sock.destroy();
        downTopic = mqttString(body.toString('utf8', 4, 4 + tl));
        sock.write(subackPacket(body.readUInt16BE(0), 0));
      } else if (type === PUBLISH) {
        const p = parsePublish(flags, body);
        if (p && downTopic) {
          reflected++;
          sock.write(publishPacket(downTopic, p.payload));
        }
      } else if (type === PINGREQ) sock.write(PINGRESP_PACKET);
      else if (type === DISCONNECT) sock.end();
    });
    sock.on('data', (d: Buffer) => {
      try {
        reader.push(d);
      } catch {
        sock.destroy();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    reflected: () => reflected,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  };
}
