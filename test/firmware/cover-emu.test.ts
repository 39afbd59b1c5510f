/**
 * Cover cells end to end (docs/protocol.md §3.5): the real firmware bundle on the emulated board, the real
 * gateway and embedded aedes broker. What the broker carries is recorded as an observer of it sees it (topic,
 * length, time); the observer cannot tell the cover cells from the echo among them, the MSS drops the cover,
 * and a home-mode link sends no cells at all.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { upTopic } from '../../shared/src/protocol/topics';
import { BUNDLE, startGateway } from '../helpers/gateway';

let g: Awaited<ReturnType<typeof startGateway>>;
const pdas: EmuPda[] = [];
const seen: { topic: string; len: number; at: number; dir: 'up' | 'down' }[] = [];

beforeAll(async () => {
  g = await startGateway();
  const up = upTopic(g.gw.mssId);
  g.gw.client.on('message', (topic, payload) => {
    if (topic === up) seen.push({ topic, len: payload.length, at: Date.now(), dir: 'up' });
  });
  // What the gateway hands the broker for the downlink topics.
  const client = g.gw.client as any;
  const publish = client.publish.bind(client);
  client.publish = (topic: string, payload: Buffer, ...rest: unknown[]) => {
    if (topic.includes('/down/')) seen.push({ topic, len: payload.length, at: Date.now(), dir: 'down' });
    return publish(topic, payload, ...rest);
  };
});
afterEach(() => {
  for (const p of pdas.splice(0)) p.powerOff();
  seen.length = 0;
});
afterAll(async () => {
  await g?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('cover cells from the emulated PDA', () => {
  it('cells leave on the Poisson clock, same size and topic as real ones; the MSS drops cover; the echo still comes back', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    // The configuration the console's `config` command stores (firmware/src/config.ts `cover`).
    pda.firmware.config.cover = { ratePerMin: 600, answerShare: 0.5 };
    const before = { ...g.gw.core.stats };
    const joined = await joinSession(pda);
    const t0 = Date.now();
    await sleep(1500);
    const since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: 'cafe' });
    expect((await pda.waitFor('data', 10_000, since)).payload).toBe('cafe');
    await sleep(1500);
    const wiped = await endSession(pda, 20_000);
    expect(wiped.ok).toBe(true);
    const secs = (Date.now() - t0) / 1000;

    const up = seen.filter((s) => s.dir === 'up');
    const down = seen.filter((s) => s.dir === 'down');
    const cellSize = g.gw.core.config.cellSize;
    // JOIN + cells on the clock (10/s) + the BYE: every one the same length on the same topic.
    expect(new Set(up.map((s) => s.len))).toEqual(new Set([cellSize]));
    expect(new Set(up.map((s) => s.topic))).toEqual(new Set([upTopic(g.gw.mssId)]));
    expect(up.length).toBeGreaterThan(10 * secs * 0.4);
    expect(up.length).toBeLessThan(10 * secs * 2 + 5);
    expect(new Set(down.map((s) => s.len))).toEqual(new Set([cellSize]));
    expect(new Set(down.map((s) => s.topic)).size).toBe(1);
    const stats = g.gw.core.stats;
    const coverIn = stats.coverIn - before.coverIn;
    expect(coverIn).toBeGreaterThan(5);
    expect(stats.coverOut - before.coverOut).toBeGreaterThan(0);
    expect(stats.coverOut - before.coverOut).toBeLessThan(coverIn);
    // Only the echo reached the application; nothing was rejected on either side.
    expect(pda.events.filter((e) => e.ev === 'data')).toHaveLength(1);
    expect(pda.events.filter((e) => e.ev === 'rejected')).toHaveLength(0);
    expect(stats.rejected.unexpected_type || 0).toBe(before.rejected.unexpected_type || 0);
    expect(joined.tmpId).toMatch(/^[a-z2-7]+$/);
  });

  it('with cover off a quiet session sends nothing after its JOIN', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    await joinSession(pda);
    await sleep(1000);
    expect(seen.filter((s) => s.dir === 'up')).toHaveLength(1); // the JOIN only
    await endSession(pda);
  });

  it('home mode sends no cells, cover configured or not', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    pda.firmware.config.cover = { ratePerMin: 600 };
    let since = pda.events.length;
    pda.cmd({ cmd: 'mode', mode: 'home' });
    await pda.waitFor((e) => e.ev === 'mode' && e.mode === 'home', 5000, since);
    since = pda.events.length;
    pda.cmd({ cmd: 'start' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'connected', 10_000, since);
    await sleep(1500);
    since = pda.events.length;
    pda.cmd({ cmd: 'end' });
    await pda.waitFor((e) => e.ev === 'home' && e.state === 'off', 10_000, since);
    expect(seen).toHaveLength(0);
  });
});
