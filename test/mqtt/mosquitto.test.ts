/**
 * The firmware MQTT client against Debian's mosquitto, started here on a free loopback port with
 * a config file of its own. Missing mosquitto is a failure, not a skip: CI installs it
 * (apt-get install mosquitto).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Harness, brokerScenarios } from './broker-scenarios';
import { startMosquitto, stopMosquitto, type Running } from '../helpers/mosquitto';

describe('MQTT client vs mosquitto', () => {
  let main: Running | undefined;
  beforeAll(async () => {
    main = await startMosquitto();
  });
  afterAll(async () => {
    if (main) await stopMosquitto(main);
  });

  brokerScenarios(() => {
    if (!main) throw new Error('mosquitto did not start');
    return main.port;
  });

  it('the broker going away fires onClose exactly once, with an error', async () => {
    const r = await startMosquitto();
    try {
      const h = new Harness(r.port, { keepaliveSec: 5 });
      await h.connect();
      await h.subscribe('hood/test/gone', 1);
      r.proc.kill('SIGTERM');
      await h.waitFor(() => h.closes.length > 0, 5000, 'onClose');
      await new Promise((res) => setTimeout(res, 300));
      expect(h.closes.length).toBe(1);
      expect(h.closes[0]).toMatch(/connection (closed by broker|lost)/);
      expect(h.client.isConnected()).toBe(false);
      expect(h.clock.active).toBe(0);
    } finally {
      await stopMosquitto(r);
    }
  });
});
