/**
 * The PDA side (shared/src/nymble): decidePresentation refuses to present a ticket that would link the
 * device, and the code bundles for Espruino (ES5 after lowering, no missing globals) and gives the same
 * answers in a sandbox stripped of what Espruino lacks.
 */
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEspruinoSource } from '../../host/build/espruino-check';
import { lowerToEs5 } from '../../host/build/firmware';
import type { Credential } from '../../host/nymble/nymble-manager';
import { decidePresentation } from '../../shared/src/nymble/present';
import { bundleForEspruino, DELETE_GLOBALS_SRC } from '../crypto/espruino-bundle';
import { nymbleWorld, type NymbleWorld } from './helpers';

let world: NymbleWorld;
let bob: Credential;
let carol: Credential;
const now = { w: 6, t: 2 };

beforeAll(async () => {
  world = await nymbleWorld(['doug']);
  bob = world.nm.credential(await world.pm.pseudonym(await world.account('bob'), now.w), 'doug', now);
  carol = world.nm.credential(await world.pm.pseudonym(await world.account('carol'), now.w), 'doug', now);
});
afterAll(() => world.close());

describe('PDA: notice before presenting', () => {
  it('presents while clear, refuses once blacklisted, and never presents on a bad list', () => {
    const pub = world.nm.publicKey();
    const first = decidePresentation(bob, world.nm.blacklist('doug', now), pub, now, 0);
    expect(first).toMatchObject({ reason: 'clear' });
    expect(first.ticket).toBe(bob.tickets[0]);
    world.nm.complain(first.ticket!, 'doug', now);
    const after = decidePresentation(bob, world.nm.blacklist('doug', now), pub, now, first.lastVersion);
    expect(after).toMatchObject({ ticket: null, reason: 'blacklisted' });
    expect(after.event).toMatch(/blacklisted at doug/);
    expect(after.lastVersion).toBeGreaterThan(first.lastVersion);
    // Carol is not affected; an old list (rollback) or one from another period yields no ticket.
    expect(decidePresentation(carol, world.nm.blacklist('doug', now), pub, now, after.lastVersion).reason).toBe('clear');
    const stale = decidePresentation(carol, world.nm.blacklist('doug', now), pub, { w: 6, t: 3 }, after.lastVersion);
    expect(stale).toMatchObject({ ticket: null, reason: 'stale', lastVersion: after.lastVersion });
    expect(decidePresentation(carol, new Uint8Array(10), pub, now, 0)).toMatchObject({ ticket: null, reason: 'malformed' });
    expect(decidePresentation(carol, world.nm.blacklist('doug', now), pub, { w: 7, t: 1 }, 0)).toMatchObject({ ticket: null, reason: 'no_ticket' });
  });

  it('bundles for Espruino and answers the same in a sandbox without what Espruino lacks', async () => {
    const js = await bundleForEspruino(
      `import { decidePresentation } from './shared/src/nymble/present';
       import { decodeTicket } from './shared/src/nymble/ticket';
       declare const hood: any;
       hood.nymble = { decidePresentation: decidePresentation, decodeTicket: decodeTicket };`,
    );
    const es5 = lowerToEs5(js, 'nymble.js');
    expect(checkEspruinoSource(es5)).toEqual([]);
    const ctx = vm.createContext({ hood: {} });
    vm.runInContext(DELETE_GLOBALS_SRC, ctx);
    vm.runInContext(es5, ctx);
    const h = (b: Uint8Array) => Buffer.from(b).toString('hex');
    const probe = (cred: Credential, list: Uint8Array, last: number) => `(function () {
      function h2b(s) { var o = new Uint8Array(s.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(s.substr(2 * i, 2), 16); return o; }
      var tks = ${JSON.stringify(cred.tickets.map(h))}.map(h2b);
      var cred = { sid: ${JSON.stringify(cred.sid)}, w: ${cred.w}, nymbleStar: h2b('${h(cred.nymbleStar)}'), firstPeriod: ${cred.firstPeriod}, tickets: tks };
      var d = hood.nymble.decidePresentation(cred, h2b('${h(list)}'), h2b('${h(world.nm.publicKey())}'), { w: ${now.w}, t: ${now.t} }, ${last});
      var t = d.ticket ? hood.nymble.decodeTicket(d.ticket) : null;
      return JSON.stringify({ reason: d.reason, present: !!d.ticket, period: t ? t.t : 0 });
    })()`;
    const list = world.nm.blacklist('doug', now);
    expect(JSON.parse(vm.runInContext(probe(bob, list, 0), ctx))).toEqual({ reason: 'blacklisted', present: false, period: 0 });
    expect(JSON.parse(vm.runInContext(probe(carol, list, 0), ctx))).toEqual({ reason: 'clear', present: true, period: now.t });
    expect(JSON.parse(vm.runInContext(probe(carol, list, 99), ctx))).toEqual({ reason: 'rollback', present: false, period: 0 });
  });
});
