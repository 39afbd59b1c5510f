/**
 * The firmware MQTT client against aedes 1.x running in this process (Aedes.createBroker(),
 * served by node:net on 127.0.0.1, port 0).
 */
import net from 'node:net';
import { Aedes } from 'aedes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, brokerScenarios } from './broker-scenarios';

interface Running {
  broker: Aedes;
  server: net.Server;
  port: number;
}

async function startAedes(): Promise<Running> {
  const broker = await Aedes.createBroker();
  const server = net.createServer(broker.handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { broker, server, port: (server.address() as net.AddressInfo).port };
}

async function stopAedes(r: Running): Promise<void> {
  await new Promise<void>((resolve) => r.broker.close(() => resolve()));
  await new Promise<void>((resolve) => r.server.close(() => resolve()));
}

describe('MQTT client vs aedes', () => {
  let main: Running;
  beforeAll(async () => {
    main = await startAedes();
  });
  afterAll(async () => {
    if (main) await stopAedes(main);
  });

  brokerScenarios(() => main.port);

  it('the broker going away fires onClose exactly once, with an error', async () => {
    const r = await startAedes();
    const h = new Harness(r.port);
    await h.connect();
    await h.subscribe('hood/test/gone', 1);
    let pubErr: string | undefined;
    await stopAedes(r); // closes every client connection
    await h.waitFor(() => h.closes.length > 0, 5000, 'onClose');
    h.client.publish('hood/test/gone', new Uint8Array([1]), { qos: 1 }, (e) => (pubErr = e));
    await new Promise((res) => setTimeout(res, 300));
    expect(h.closes.length).toBe(1);
    expect(typeof h.closes[0]).toBe('string');
    expect(h.closes[0]).toMatch(/connection (closed by broker|lost)/);
    expect(pubErr).toBe('publish: not connected');
    expect(h.clock.active).toBe(0);
  });
});
