/**
 * The MSS gateway on an EXTERNAL broker (Debian's mosquitto with the shipped hood.conf/hood.acl,
 * started by this test), with the real firmware bundle on the emulated board: the gateway does not
 * depend on its embedded broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';
import { startHardenedMosquitto, stopMosquitto, type HardenedMosquitto } from '../helpers/mosquitto';

let mosq: HardenedMosquitto;
let g: Awaited<ReturnType<typeof startGateway>>;

beforeAll(async () => {
  mosq = await startHardenedMosquitto();
  g = await startGateway({ brokerUrl: mosq.url, brokerUsername: mosq.gatewayUser, brokerPassword: mosq.gatewayPassword });
});
afterAll(async () => {
  await g?.stop();
  if (mosq) await stopMosquitto(mosq);
});

describe('MSS gateway with mosquitto as the broker', () => {
  it('runs a whole anonymous session', async () => {
    expect(g.gw.embedded).toBeNull();
    expect(g.gw.brokerUrl).toBe('mqtt://127.0.0.1:' + mosq.port);
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const j = await joinSession(pda);
      expect(g.gw.core.sessions.findByTmpId(j.tmpId)).toBeDefined();
      const since = pda.events.length;
      pda.cmd({ cmd: 'send', channel: 0, payload: '00ff' });
      expect((await pda.waitFor('data', 10_000, since)).payload).toBe('00ff');
      expect((await endSession(pda)).ok).toBe(true);
      expect(pda.burnedInMacSeen()).toBe(false);
      await expect.poll(() => g.gw.core.sessions.size).toBe(0);
    } finally {
      pda.powerOff();
    }
  });

  it('fails with a clear error when the external broker is unreachable', async () => {
    await expect(startGateway({ brokerUrl: 'mqtt://127.0.0.1:1' })).rejects.toThrow(/cannot connect to broker mqtt:\/\/127.0.0.1:1/);
  });
});
