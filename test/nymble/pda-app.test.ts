/**
 * The firmware's nymble app (firmware/src/apps/nymble.ts) driven directly with a board's storage and
 * clock: it presents the ticket of the current period only on an authentic, fresh list that does not
 * name it (Extended Nymble §2.7), never on random or corrupted requests, and refuses malformed loads.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '../../firmware/src/apps/nymble';
import { appCommand, appForChannel, type AppContext } from '../../firmware/src/apps';
import { NYMBLE_KEY } from '../../firmware/src/apps/nymble';
import type { Credential } from '../../host/nymble/nymble-manager';
import { hex } from '../../host/nymble/primitives';
import { startOf } from '../../host/nymble/time';
import { CHANNEL_NYMBLE, CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest } from '../../shared/src/nymble/channel';
import { nymbleWorld, type NymbleWorld } from './helpers';

const now = { w: 6, t: 2 };
let world: NymbleWorld;
let bob: Credential;

beforeAll(async () => {
  world = await nymbleWorld(['doug']);
  bob = world.nm.credential(await world.pm.pseudonym(await world.account('bob'), now.w), 'doug', now);
});
afterAll(() => world.close());

function board() {
  const files: Record<string, string> = {};
  const sent: { channel: number; payload: Uint8Array }[] = [];
  const events: Record<string, unknown>[] = [];
  const ctx = {
    board: { storage: { read: (k: string) => files[k], write: (k: string, v: string) => void (files[k] = v), erase: (k: string) => void delete files[k], keys: () => Object.keys(files) }, clock: { now: () => 5000 } },
    emit: (e: Record<string, unknown>) => void events.push(e),
    send: (channel: number, payload: Uint8Array) => void sent.push({ channel, payload }),
    mss: () => 'doug/' + '00'.repeat(32),
  } as unknown as AppContext;
  return { files, sent, events, ctx };
}

function loadCmd(over: Record<string, unknown> = {}) {
  const tm = world.time;
  return {
    cmd: 'nymble.load',
    nmKey: hex(world.nm.publicKey()),
    periodMs: 1000,
    periodsPerWindow: tm.periodsPerWindow,
    now: startOf(tm, now) + 100,
    credential: { sid: bob.sid, w: bob.w, nymbleStar: hex(bob.nymbleStar), firstPeriod: bob.firstPeriod, tickets: bob.tickets.slice(0, 4).map(hex) },
    ...over,
  };
}

describe('firmware nymble app', () => {
  it('presents on a clear list, then refuses with an event once blacklisted, and never on junk', () => {
    // nymbleWorld's T is 1000 ms; the command's clock puts the board inside period `now`.
    const b = board();
    appCommand('nymble.load')!(loadCmd(), b.ctx);
    expect(b.events.pop()).toMatchObject({ ev: 'nymble.loaded', sid: 'doug' });
    const app = appForChannel(CHANNEL_NYMBLE_ANSWER)!;
    const clear = world.nm.blacklist('doug', now);
    app.onData!(CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest(clear), b.ctx);
    expect(b.sent).toHaveLength(1);
    expect(b.sent[0].channel).toBe(CHANNEL_NYMBLE);
    expect(hex(b.sent[0].payload)).toBe(hex(bob.tickets[now.t - bob.firstPeriod]));
    expect(JSON.stringify(b.events)).not.toContain(hex(b.sent[0].payload));

    // Random requests and answers: bytes, truncations and bit flips of the genuine list.
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), fc.tuple(fc.nat(clear.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => { const c = clear.slice(); c[i] ^= x; return encodeNymbleRequest(c); }), fc.nat(clear.length - 1).map((n) => encodeNymbleRequest(clear.subarray(0, n)))), (payload) => {
        const before = b.sent.length;
        app.onData!(CHANNEL_NYMBLE_ANSWER, payload, b.ctx);
        expect(b.sent.length).toBe(before);
      }),
      { numRuns: 2000 },
    );

    world.nm.complain(bob.tickets[now.t - bob.firstPeriod], 'doug', now);
    const before = b.sent.length;
    app.onData!(CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest(world.nm.blacklist('doug', now)), b.ctx);
    expect(b.sent.length).toBe(before);
    expect(b.events.pop()).toMatchObject({ ev: 'nymble', step: 'not_presented', reason: 'blacklisted' });
    // The newest version is remembered: the older, clear list is now a rollback.
    app.onData!(CHANNEL_NYMBLE_ANSWER, encodeNymbleRequest(clear), b.ctx);
    expect(b.sent.length).toBe(before);
    expect(b.events.pop()).toMatchObject({ reason: 'rollback' });
  });

  it('refuses malformed loads and stores nothing from them', () => {
    const bad: Record<string, unknown>[] = [
      { nmKey: 'zz' },
      { nmKey: hex(new Uint8Array(31)) },
      { periodMs: 0 },
      { periodsPerWindow: 1.5 },
      { now: -1 },
      { credential: null },
      { credential: { ...loadCmd().credential, tickets: [] } },
      { credential: { ...loadCmd().credential, tickets: new Array(17).fill('00') } },
      { credential: { ...loadCmd().credential, tickets: ['0g'] } },
      { credential: { ...loadCmd().credential, nymbleStar: 'ab' } },
      { credential: { ...loadCmd().credential, sid: '' } },
      { credential: { ...loadCmd().credential, w: 0 } },
    ];
    for (const over of bad) {
      const b = board();
      expect(() => appCommand('nymble.load')!(loadCmd(over), b.ctx), JSON.stringify(over)).toThrow();
      expect(b.files[NYMBLE_KEY]).toBeUndefined();
    }
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom('nmKey', 'periodMs', 'periodsPerWindow', 'now', 'credential'), fc.anything()), (over) => {
        const b = board();
        try {
          appCommand('nymble.load')!(loadCmd(over), b.ctx);
        } catch {
          expect(b.files[NYMBLE_KEY]).toBeUndefined();
        }
      }),
      { numRuns: 500 },
    );
  });
});
