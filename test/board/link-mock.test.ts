/**
 * The board link's protocol layer over serialport's MockBinding: request ids, REPL noise, errors,
 * timeouts, a pulled cable, `hood flash` (EspruinoTools upload + verify + boot) and the wallet
 * load's refusal of a board that staged other bytes.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { BoardError, BoardLink } from '../../host/board/link';
import { flashBundle } from '../../host/board/flash';
import { loadProofsToBoard, proofsJson, sha256Hex } from '../../host/board/wallet-load';
import { BUNDLE } from '../helpers/gateway';
import { mockBinding, mockEspruino } from './mock-espruino';

const links: BoardLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
  mockBinding.reset();
});

async function setup(o: { timeoutMs?: number } = {}) {
  const { mock, transport } = await mockEspruino();
  const link = new BoardLink(transport, { timeoutMs: o.timeoutMs ?? 2000 });
  links.push(link);
  return { mock, link };
}

const proof = (i: number) => ({ amount: 1 << i, id: '00ad268c4d1f5826', secret: 'secret-' + i, C: '02' + i.toString(16).padStart(64, '0') });

describe('board link over a mock serial port', () => {
  it('matches replies by request id among noise and unsolicited events', async () => {
    const { mock, link } = await setup();
    mock.handlers.status = (_c, reply) => {
      mock.emit('garbage line\r\n>');
      mock.emit('>@hood {"ev":"state","state":"listening"}\r\n');
      mock.emit('>@hood {"ev":"status","rid":1,"state":"stale"}\r\n'); // someone else's rid
      reply({ ev: 'status', state: 'off' });
    };
    const r = await link.request({ cmd: 'status' });
    expect(r.ok).toBe(true);
    expect(r.events.map((e) => [e.ev, e.state])).toEqual([['status', 'off']]);
    expect(link.events.some((e) => e.ev === 'state' && e.rid === undefined)).toBe(true);
    expect(link.noise).toContain('garbage line');
    // The host sent exactly one DLE-framed line for it.
    expect(mock.lines.filter((l) => l.startsWith('hood.cmd(')).length).toBe(1);
  });

  it('reports a firmware error as ok:false and as a BoardError with its code', async () => {
    const { mock, link } = await setup();
    mock.handlers.start = (_c, reply) => reply({ ev: 'error', code: 'no_mac_write', msg: 'anonymous mode refused' });
    expect((await link.request({ cmd: 'start' })).ok).toBe(false);
    await expect(link.command({ cmd: 'start' })).rejects.toMatchObject({ code: 'no_mac_write' });
    await expect(link.command({ cmd: 'nope' })).rejects.toThrow(/unknown command/);
  });

  it('times out when the board does not answer, and fails at once when the cable is pulled', async () => {
    const { mock, link } = await setup({ timeoutMs: 300 });
    mock.silent = true;
    await expect(link.request({ cmd: 'status' })).rejects.toMatchObject({ code: 'timeout' });
    const p = link.request({ cmd: 'status' }, 10_000);
    setTimeout(() => void link.transport.close(), 50);
    await expect(p).rejects.toMatchObject({ code: 'closed' });
    await expect(link.request({ cmd: 'status' })).rejects.toBeInstanceOf(BoardError);
  });

  it('flashes the bundle as .bootcde with EspruinoTools chunks, verifies it and sees it boot', async () => {
    const { mock, link } = await setup({ timeoutMs: 5000 });
    const code = readFileSync(BUNDLE, 'latin1');
    const progress: number[] = [];
    const r = await flashBundle(link, code, { onProgress: (p) => progress.push(p.sent / p.total) });
    expect(mock.storage.get('.bootcde')).toBe(code);
    expect(r.bytes).toBe(code.length);
    expect(r.chunks).toBeGreaterThan(10);
    expect(r.env).toEqual({ BOARD: 'ESP32', VERSION: '2v29' });
    expect(mock.booted).toBe(1);
    expect(r.boot.ev).toBe('boot');
    expect(progress[0]).toBe(0);
    expect(progress[progress.length - 1]).toBe(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
    // Every upload line was an EspruinoTools Storage.write to .bootcde, wrapped in a report.
    const writes = mock.lines.filter((l) => l.includes('require("Storage").write(".bootcde",'));
    expect(writes.length).toBe(r.chunks);
  });

  it('refuses to boot a bundle that did not land intact in flash', async () => {
    const { mock, link } = await setup({ timeoutMs: 5000 });
    const code = readFileSync(BUNDLE, 'latin1');
    let n = 0;
    const realSet = mock.storage.set.bind(mock.storage);
    mock.storage.set = (k: string, v: string) => realSet(k, ++n === 5 ? v.replace(/function/, 'funct1on') : v);
    await expect(flashBundle(link, code)).rejects.toMatchObject({ code: 'verify' });
    expect(mock.booted).toBe(0);
  });

  it('refuses a non-Espruino device', async () => {
    const { mock, link } = await setup({ timeoutMs: 300 });
    mock.silent = true;
    await expect(flashBundle(link, 'print(1)', { chunkTimeoutMs: 300 })).rejects.toBeInstanceOf(BoardError);
  });

  it('wallet load aborts, keeping the coins, when the board staged other bytes', async () => {
    const { mock, link } = await setup();
    const calls: string[] = [];
    mock.handlers['wallet.stage'] = (c, reply) => {
      calls.push('stage');
      reply({ ev: 'wallet.staged', tx: c.tx, hash: sha256Hex(c.proofs + ' '), count: 1 });
    };
    mock.handlers['wallet.abort'] = (c, reply) => {
      calls.push('abort');
      reply({ ev: 'wallet.aborted', tx: c.tx });
    };
    mock.handlers['wallet.commit'] = (_c, reply) => {
      calls.push('commit');
      reply({ ev: 'error', code: 'x', msg: 'must not be called' });
    };
    let staged = 0;
    await expect(loadProofsToBoard(link, [proof(1)], { onStaged: () => void staged++ })).rejects.toMatchObject({ code: 'hash_mismatch' });
    expect(calls).toEqual(['stage', 'abort']);
    expect(staged).toBe(0);
    expect(JSON.parse(proofsJson([proof(1)]))[0]).toEqual(proof(1));
  });
});
