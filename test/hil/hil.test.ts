/**
 * Hardware-in-loop: the scenarios of test/board/scenarios.ts against a real interpreter.
 *  - HIL_ESPRUINO: the Linux interpreter on a pty; the current bundle is flashed into it with the
 *    same code as `hood flash`, the test harness plays its radio, and a full session runs against
 *    a gateway on 127.0.0.1.
 *  - HIL_PORT: a board on a serial port, already flashed; protocol, wallet and (if the board cannot
 *    write its MAC) the fail-closed refusal. A session needs the board on a Wi-Fi network with a
 *    reachable broker: set HIL_BROKER=host:port (and configure Wi-Fi with `hood board config`).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import { flashBundle } from '../../host/board/flash';
import { attachRadioHarness, type RadioHarness } from '../../host/board/harness';
import type { BoardLink } from '../../host/board/link';
import { openBoardLink } from '../../host/board/open';
import { brokerAddress } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';
import { scenarioBadCommands, scenarioStagedThenResolved, scenarioStatus, scenarioWalletLoad } from '../board/scenarios';

const PORT = process.env.HIL_PORT;
const ESPRUINO = process.env.HIL_ESPRUINO;

let link: BoardLink;
let harness: RadioHarness | null = null;
let boot: any;

beforeAll(async () => {
  link = await openBoardLink({ port: PORT, espruino: PORT ? undefined : ESPRUINO, timeoutMs: 30_000 });
  if (!PORT) {
    const r = await flashBundle(link, readFileSync(process.env.HIL_BUNDLE ?? BUNDLE, 'latin1'));
    boot = r.boot;
    harness = attachRadioHarness(link);
  } else {
    boot = await scenarioStatus(link);
  }
});
afterAll(async () => {
  harness?.stop();
  await link?.close();
});

describe('hardware in the loop: ' + (PORT ? 'serial ' + PORT : 'Espruino for Linux'), () => {
  it('status answers with the request id', async () => {
    const s = await scenarioStatus(link);
    expect(typeof s.rid).toBe('number');
  });

  it('bad commands are refused and the board keeps running', async () => {
    await scenarioBadCommands(link);
  });

  it('coins load in two phases, without loss or duplication', async () => {
    await scenarioWalletLoad(link);
    await scenarioStagedThenResolved(link);
  });

  it('anonymous session (or, on a board without the MAC-write call, a refusal)', async () => {
    const canSetMac = boot.canSetMac !== false;
    if (!canSetMac) {
      const r = await link.request({ cmd: 'start' });
      expect(r.ok).toBe(false);
      expect(r.events.find((e) => e.ev === 'error')).toMatchObject({ code: 'no_mac_write' });
      return;
    }
    if (PORT && !process.env.HIL_BROKER) throw new Error('HIL_PORT board can write its MAC: set HIL_BROKER=host:port to run the session scenario');
    const g = await startGateway();
    try {
      const b = PORT ? { host: process.env.HIL_BROKER!.split(':')[0], port: Number(process.env.HIL_BROKER!.split(':')[1]) } : brokerAddress(g.gw.brokerUrl);
      await link.command({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: g.gw.mssId });
      await link.command({ cmd: 'pin', mssId: g.gw.mssId, key: toHex(g.gw.core.identityKey) });
      const since = link.events.length;
      await link.command({ cmd: 'start' });
      const joined = await link.waitFor((e) => e.ev === 'joined' || e.ev === 'wiped', 150_000, since);
      expect(joined.ev).toBe('joined');
      const mac = parseMac(joined.tmpMac);
      expect(isUnicast(mac) && isLocallyAdministered(mac)).toBe(true);
      if (harness) {
        expect(harness.ap.records[0]).toMatchObject({ what: 'associate', mac: joined.tmpMac });
        expect(harness.ap.sawMac(harness.nic.burnedIn)).toBe(false);
      }
      const s2 = link.events.length;
      await link.command({ cmd: 'end' });
      await link.waitFor('wiped', 60_000, s2);
    } finally {
      await g.stop();
    }
  });
});
