/**
 * The board link to the emulated board (the real firmware bundle in the Espruino VM) in-process:
 * the same protocol scenarios as the hardware-in-loop suite, a full anonymous session driven only
 * through the console protocol, and the fail-closed refusal on a board that cannot write its MAC.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import { BoardLink } from '../../host/board/link';
import { brokerAddress } from '../../host/demo/emu-session';
import { openEmu, type EmuTransport } from '../../host/board/transports/emu';
import { BUNDLE, startGateway } from '../helpers/gateway';
import { scenarioBadCommands, scenarioStagedThenResolved, scenarioStatus, scenarioWalletLoad, scenarioWalletLogFull } from './scenarios';
import { loadProofs } from '../../firmware/src/wallet/proof-store';

let g: Awaited<ReturnType<typeof startGateway>>;
const open: { link: BoardLink; t: EmuTransport }[] = [];

async function board(o: { canSetMac?: boolean } = {}) {
  const t = await openEmu({ bundlePath: BUNDLE, canSetMac: o.canSetMac });
  const link = new BoardLink(t, { timeoutMs: 5000 });
  open.push({ link, t });
  return { link, t };
}

beforeAll(async () => {
  g = await startGateway();
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.link.close();
});
afterAll(async () => {
  await g.stop();
});

describe('board link to the emulated board', () => {
  it('answers status with the request id and a done', async () => {
    const { link } = await board();
    const s = await scenarioStatus(link);
    expect(s.board).toBe('emu');
    const done = link.events.find((e) => e.ev === 'done' && e.rid === s.rid);
    expect(done).toMatchObject({ ok: true });
  });

  it('rejects bad commands with errors and keeps running', async () => {
    const { link } = await board();
    await scenarioBadCommands(link);
  });

  it('loads coins in two phases without loss or duplication', async () => {
    const { link, t } = await board();
    await scenarioWalletLoad(link);
    await scenarioStagedThenResolved(link);
    // Proofs live in flash (Storage), the staging files are gone, and no event ever carried a secret.
    expect(t.pda.storage.keys().filter((k) => k.startsWith('hood.ws.'))).toEqual([]);
    expect(loadProofs(t.pda.storage).some((p) => p.secret.startsWith('load-secret-0-'))).toBe(true);
    expect(JSON.stringify(link.events)).not.toContain('-secret-');
  });

  it('refuses new loads rather than forget a commit the laptop has not acknowledged', async () => {
    const { link } = await board();
    await scenarioWalletLoad(link);
    await scenarioWalletLogFull(link);
  });

  it('survives a cable pulled after the commit: the reconnected host learns it was committed', async () => {
    const { link, t } = await board();
    const proofs = [{ amount: 4, id: '00ad268c4d1f5826', secret: 'cut-secret', C: '03' + 'a'.repeat(64) }];
    const json = JSON.stringify(proofs);
    const staged = (await link.command({ cmd: 'wallet.stage', tx: 'abcdefabcdefabcd', proofs: json })).find((e) => e.ev === 'wallet.staged')!;
    // The board commits, but the answer never reaches the host.
    t.pda.firmware.cmd(JSON.stringify({ cmd: 'wallet.commit', tx: 'abcdefabcdefabcd', hash: staged.hash }));
    const { resolveLoad } = await import('../../host/board/wallet-load');
    expect(await resolveLoad(link, 'abcdefabcdefabcd', proofs)).toBe('committed');
    expect(loadProofs(t.pda.storage).filter((p: any) => p.secret === 'cut-secret')).toHaveLength(1);
  });

  it('runs a whole anonymous session over the console protocol', async () => {
    const { link, t } = await board();
    const b = brokerAddress(g.gw.brokerUrl);
    await link.command({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: g.gw.mssId });
    await link.command({ cmd: 'pin', mssId: g.gw.mssId, key: toHex(g.gw.core.identityKey) });
    const since = link.events.length;
    await link.command({ cmd: 'start' });
    const joined = await link.waitFor('joined', 20_000, since);
    const mac = parseMac(joined.tmpMac);
    expect(isUnicast(mac) && isLocallyAdministered(mac)).toBe(true);
    expect(t.pda.burnedInMacSeen()).toBe(false);
    const s2 = link.events.length;
    await link.command({ cmd: 'send', channel: 0, payload: 'c0ffee' });
    expect((await link.waitFor('data', 10_000, s2)).payload).toBe('c0ffee');
    await link.command({ cmd: 'end' });
    await link.waitFor('wiped', 10_000, s2);
    expect(t.pda.burnedInMacSeen()).toBe(false);
  });

  it('fails closed on a board that cannot write its MAC (canSetMac=false)', async () => {
    const { link, t } = await board({ canSetMac: false });
    const b = brokerAddress(g.gw.brokerUrl);
    await link.command({ cmd: 'config', brokerHost: b.host, brokerPort: b.port });
    expect(link.events.find((e) => e.ev === 'boot')?.canSetMac ?? t.pda.events.find((e) => e.ev === 'boot')?.canSetMac).toBe(false);
    const r = await link.request({ cmd: 'start' });
    expect(r.ok).toBe(false);
    expect(r.events.find((e) => e.ev === 'error')).toMatchObject({ code: 'no_mac_write' });
    await new Promise((res) => setTimeout(res, 300));
    // Nothing went on the air: no association, no frame, least of all with the burned-in address.
    expect(t.pda.ap.records).toEqual([]);
    expect(t.pda.burnedInMacSeen()).toBe(false);
    expect((await scenarioStatus(link)).state).not.toBe('in_session');
  });
});
