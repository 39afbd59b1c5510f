/**
 * A PDA that pins only a federation (docs/federation.md) joins a member MSS through its certificate and
 * refuses an MSS outside the federation — one whose beacon carries no certificate, or a certificate of
 * another federation key — with the real firmware bundle on an emulated board.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { EmuPda as Pda } from '../../boards/emu/emu-pda';
import { toHex } from '../../shared/src/bytes';
import { silentLogger } from '../../host/common/log';
import { DEMO_FEDERATION, startDemoFederation, type DemoFederation } from '../../host/demo/federation';
import { brokerAddress, joinSession } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

let dir: string;
let fed: DemoFederation;
let outsider: Awaited<ReturnType<typeof startGateway>>;
const pdas: EmuPda[] = [];

beforeAll(async () => {
  dir = testDir('hood-fedpin-');
  fed = await startDemoFederation(['doug'], join(dir, 'fed'), silentLogger(), { tickMs: 200 });
  outsider = await startGateway({ config: { mssId: 'mallory' } });
}, 60_000);

afterAll(async () => {
  for (const p of pdas) p.powerOff();
  await fed?.close();
  await outsider?.stop();
  removeTestDir(dir);
});

function pdaAt(url: string, mssId: string, fedKey: Uint8Array): EmuPda {
  const pda = new Pda({ bundlePath: BUNDLE });
  pdas.push(pda);
  const b = brokerAddress(url);
  pda.cmd({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId });
  pda.cmd({ cmd: 'pin_federation', name: DEMO_FEDERATION, key: toHex(fedKey) });
  return pda;
}

describe('a PDA that pins a federation', () => {
  it('joins a member, vouched for by its certificate', async () => {
    const pda = pdaAt(fed.members[0].gw.brokerUrl, 'doug', fed.federationKey);
    await joinSession(pda, 30_000);
    expect(pda.events.find((e) => e.ev === 'beacon')).toMatchObject({ mssId: 'doug', federation: DEMO_FEDERATION, pinned: false });
  }, 60_000);

  it('refuses an MSS outside the federation, and a member under another federation key', async () => {
    const out = pdaAt(outsider.gw.brokerUrl, 'mallory', fed.federationKey);
    out.cmd({ cmd: 'start' });
    await expect.poll(() => out.events.filter((e) => e.ev === 'rejected' && e.reason === 'unpinned_mss').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(out.events.some((e) => e.ev === 'beacon' || e.ev === 'joined')).toBe(false);
    const other = new Uint8Array(32).fill(9);
    const wrong = pdaAt(fed.members[0].gw.brokerUrl, 'doug', other);
    wrong.cmd({ cmd: 'start' });
    await expect.poll(() => wrong.events.filter((e) => e.ev === 'rejected' && e.reason === 'unpinned_mss').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(wrong.events.some((e) => e.ev === 'joined')).toBe(false);
  }, 60_000);
});
