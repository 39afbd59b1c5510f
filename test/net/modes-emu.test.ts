/**
 * The firmware's two modes (paper §2.4) on the in-process emulated board: the console commands, the
 * refusals, and that switching to anonymous starts clean (new MAC, new client id, radio re-associated).
 * The same firmware on real packets is checked by modes.test.ts.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';

let g: Awaited<ReturnType<typeof startGateway>>;
const pdas: EmuPda[] = [];
const BURNED = '24:0a:c4:77:88:99';

beforeAll(async () => {
  g = await startGateway();
});
afterEach(() => {
  for (const p of pdas.splice(0)) p.powerOff();
});
afterAll(async () => {
  await g.stop();
});

function make(canSetMac = true): EmuPda {
  const p = pdaFor(g.gw, BUNDLE, { burnedInMac: BURNED, canSetMac });
  pdas.push(p);
  return p;
}

describe('firmware modes', () => {
  it('boots in anonymous mode; a bad mode is refused', async () => {
    const pda = make();
    pda.cmd({ cmd: 'status' });
    expect((await pda.waitFor('status')).mode).toBe('anonymous');
    pda.cmd({ cmd: 'mode', mode: 'incognito' });
    const e = await pda.waitFor('error');
    expect(e.msg).toMatch(/mode must be/);
  });

  it('home mode associates with the burned-in MAC, a fixed host name and client id; anonymous afterwards shares none of it', async () => {
    const pda = make();
    let since = pda.events.length;
    pda.cmd({ cmd: 'mode', mode: 'home' });
    await pda.waitFor((e) => e.ev === 'mode' && e.mode === 'home', 5000, since);
    since = pda.events.length;
    pda.cmd({ cmd: 'start' });
    const h = await pda.waitFor((e) => e.ev === 'home' && e.state === 'connected', 10_000, since);
    expect(h).toMatchObject({ mac: BURNED, hostname: 'hood-778899', clientId: 'hood240ac4778899' });
    expect(pda.ap.records[pda.ap.records.length - 1].mac).toBe(BURNED);
    expect(pda.ap.records.find((r) => r.what === 'associate')).toMatchObject({ mac: BURNED, hostname: 'hood-778899' });

    // An anonymous session cannot start while the home link is up (nor can the mode change under a session).
    since = pda.events.length;
    pda.cmd({ cmd: 'mode', mode: 'anonymous' });
    await pda.waitFor((e) => e.ev === 'mode' && e.mode === 'anonymous', 5000, since);
    expect(pda.nic.associated).toBe(false); // the switch took the radio down
    const records = pda.ap.records.length;
    const j = await joinSession(pda);
    pda.cmd({ cmd: 'mode', mode: 'home' });
    expect((await pda.waitFor((e) => e.ev === 'error' && /end the anonymous session/.test(e.msg), 5000, since)).code).toBe('command_failed');
    const conn = pda.events.slice(since).find((e) => e.ev === 'connected')!;
    expect(j.tmpMac).not.toBe(BURNED);
    expect(conn.clientId).not.toBe('hood240ac4778899');
    const anonAir = pda.ap.records.slice(records);
    expect(anonAir.length).toBeGreaterThan(0);
    for (const r of anonAir) {
      expect(r.mac).toBe(j.tmpMac);
      if (r.hostname) expect(r.hostname).not.toBe('hood-778899');
    }
    await endSession(pda);
  });

  it('home mode refuses to start twice and can be ended and restarted', async () => {
    const pda = make();
    pda.cmd({ cmd: 'mode', mode: 'home' });
    let since = pda.events.length;
    pda.cmd({ cmd: 'start' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'connected', 10_000, since);
    pda.cmd({ cmd: 'start' });
    expect((await pda.waitFor((e) => e.ev === 'error', 5000, since)).msg).toMatch(/home link is up/);
    since = pda.events.length;
    pda.cmd({ cmd: 'end' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'off', 5000, since);
    pda.cmd({ cmd: 'start' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'connected', 10_000, since);
  });

  it('home mode works on a board that cannot write its MAC; anonymous mode there is still refused', async () => {
    const pda = make(false);
    pda.cmd({ cmd: 'mode', mode: 'home' });
    let since = pda.events.length;
    pda.cmd({ cmd: 'start' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'connected', 10_000, since);
    pda.cmd({ cmd: 'mode', mode: 'anonymous' });
    await pda.waitFor((e) => e.ev === 'mode' && e.mode === 'anonymous', 5000, since);
    since = pda.events.length;
    pda.cmd({ cmd: 'start' });
    expect((await pda.waitFor((e) => e.ev === 'error', 5000, since)).code).toBe('no_mac_write');
  });
});
