/**
 * Federation pins on the PDA (firmware/src/federation-pin.ts, docs/protocol.md §2.3): federationOf accepts
 * exactly the beacons that carry a certificate of a pinned federation, under the pinned key, for the
 * beacon's own (mssId, identityKey); config persistence and `hasPins`; the console commands on the booted
 * firmware; and federationOf built by the firmware build (its Espruino check) and run in the Espruino VM.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EmuStorage } from '../../boards/emu/storage';
import { createEspruinoContext, disposeEspruinoContext, runBundle } from '../../boards/emu/espruino-vm';
import { parseEventLine } from '../../boards/espruino-common/framing';
import { defaultConfig, hasPins, loadConfig, pinFederation, saveConfig, type PdaConfig } from '../../firmware/src/config';
import { federationOf } from '../../firmware/src/federation-pin';
import { buildFirmware } from '../../host/build/firmware';
import { verifyFederationList } from '../../host/federation/list';
import { equalBytes, toHex } from '../../shared/src/bytes';
import { decodeBeacon, encodeBeaconBody, assembleBeacon, beaconSigningInput, type BeaconBody } from '../../shared/src/protocol/beacon';
import { EXT_FEDERATION, EXT_PRICE } from '../../shared/src/protocol/constants';
import { encodeMemberCert } from '../../shared/src/protocol/federation';
import { testDir } from '../helpers/temp-dir';
import { Scheduler, scheduledBoard, seeded } from '../firmware/scheduled-board';
import { FED_SEED, makeList, signer } from './fixtures';

const fed = verifyFederationList(makeList());
const FED_KEY_HEX = toHex(fed.federationKey);
const DOUG_KEY = signer(11).publicKey;

function cfgWith(fedPins: { [name: string]: string }): PdaConfig {
  const c = defaultConfig();
  c.fedPins = fedPins;
  return c;
}

/** doug's beacon as a PDA decodes it: a real signed beacon carrying the list's certificate (and a price). */
function dougBeacon(ext = fed.beaconExtension('doug', DOUG_KEY), mssId = 'doug', identity = signer(11)): BeaconBody {
  const body: BeaconBody = {
    mssId,
    identityKey: identity.publicKey,
    boxKey: new Uint8Array(32).fill(5),
    cellSize: 512,
    issuedAt: 1_800_000_000,
    extensions: [{ type: EXT_PRICE, value: new Uint8Array([0, 1]) }, ext],
  };
  const signed = encodeBeaconBody(body);
  return decodeBeacon(assembleBeacon(signed, identity.sign(beaconSigningInput(signed)), new Uint8Array(8)));
}

describe('federationOf', () => {
  it('names the pinned federation of a certified member', () => {
    expect(federationOf(cfgWith({ north: FED_KEY_HEX }), dougBeacon())).toBe('north');
    expect(federationOf(cfgWith({ other: toHex(signer(3).publicKey), north: FED_KEY_HEX }), dougBeacon())).toBe('north');
  });

  const refused: [string, () => [PdaConfig, BeaconBody]][] = [
    ['no federation pinned', () => [cfgWith({}), dougBeacon()]],
    ['fedPins missing (old config object)', () => [{ ...cfgWith({}), fedPins: undefined as never }, dougBeacon()]],
    ['another federation pinned', () => [cfgWith({ south: FED_KEY_HEX }), dougBeacon()]],
    ['the name pinned under another key', () => [cfgWith({ north: toHex(signer(2).publicKey) }), dougBeacon()]],
    ['no extension 4', () => {
      const b = dougBeacon();
      b.extensions = b.extensions.filter((e) => e.type !== EXT_FEDERATION);
      return [cfgWith({ north: FED_KEY_HEX }), b];
    }],
    ['an undecodable extension', () => [cfgWith({ north: FED_KEY_HEX }), dougBeacon({ type: EXT_FEDERATION, value: new Uint8Array([5, 1, 2]) })]],
    ['erin\'s certificate on doug\'s beacon', () => [cfgWith({ north: FED_KEY_HEX }), dougBeacon(fed.beaconExtension('erin', signer(12).publicKey))]],
    ['doug\'s certificate on an impostor key', () => [cfgWith({ north: FED_KEY_HEX }), dougBeacon(undefined, 'doug', signer(77))]],
    ['doug\'s certificate on another id', () => [cfgWith({ north: FED_KEY_HEX }), dougBeacon(undefined, 'dougie')]],
    ['a certificate signed by a key that is not the one it names', () => {
      const forged = encodeMemberCert({ name: 'north', federationKey: fed.federationKey, sig: signer(2).sign(new Uint8Array(1)) });
      return [cfgWith({ north: FED_KEY_HEX }), dougBeacon({ type: EXT_FEDERATION, value: forged })];
    }],
  ];
  for (const [what, make] of refused) {
    it('gives "" for ' + what, () => {
      const [c, b] = make();
      expect(federationOf(c, b)).toBe('');
    });
  }

  it('adversarial: a corrupted certificate in the beacon never names the federation', () => {
    const good = fed.beaconExtension('doug', DOUG_KEY).value;
    const c = cfgWith({ north: FED_KEY_HEX });
    const base = dougBeacon();
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 4 }), fc.nat({ max: 3 }), (ms, cut) => {
        let v = good.slice();
        for (const m of ms) v[m.at % v.length] = m.v;
        if (cut > 0) v = v.slice(0, v.length - cut);
        if (equalBytes(v, good)) return true;
        const b = { ...base, extensions: [{ type: EXT_FEDERATION, value: v }] };
        return federationOf(c, b) === '';
      }),
      { numRuns: 500 },
    );
  });
});

describe('config', () => {
  it('persists federation pins, validates them on load, and counts them as pins', () => {
    const s = new EmuStorage();
    const c = defaultConfig();
    expect(hasPins(c)).toBe(false);
    pinFederation(c, 'north', fed.federationKey);
    expect(hasPins(c)).toBe(true);
    saveConfig(s, c);
    expect(loadConfig(s).fedPins).toEqual({ north: FED_KEY_HEX });
    s.write('hood.cfg', JSON.stringify({ fedPins: { north: FED_KEY_HEX, 'Bad!': FED_KEY_HEX, short: 'ab', upper: FED_KEY_HEX.toUpperCase(), num: 5 } }));
    expect(loadConfig(s).fedPins).toEqual({ north: FED_KEY_HEX });
    s.write('hood.cfg', JSON.stringify({ fedPins: 'north' }));
    expect(loadConfig(s).fedPins).toEqual({});
    expect(() => pinFederation(c, 'North', fed.federationKey)).toThrow(/name/);
    expect(() => pinFederation(c, 'north', fed.federationKey.subarray(1))).toThrow(/32 bytes/);
  });
});

describe('console commands on the booted firmware', () => {
  let hood: any;
  const events: any[] = [];
  let storage: EmuStorage;
  beforeAll(async () => {
    await import('../../boards/espruino-common/boot');
    hood = (globalThis as any).hood;
    const sb = scheduledBoard(new Scheduler(seeded(1)), {
      burnedInMac: '24:0a:c4:5e:c0:1d',
      watch: 'none',
      random: (n) => new Uint8Array(randomBytes(n)),
      consoleWrite: (line) => {
        const e = parseEventLine(line);
        if (e) events.push(e);
      },
    });
    storage = sb.board.storage as EmuStorage;
    hood.boot(sb.board);
  });

  const cmd = (c: unknown) => {
    const n = events.length;
    hood.cmd(JSON.stringify(c));
    return events.slice(n);
  };

  it('pin_federation / unpin_federation', () => {
    expect(cmd({ cmd: 'pin_federation', name: 'north', key: FED_KEY_HEX })).toContainEqual(expect.objectContaining({ ev: 'pinned_federation', name: 'north' }));
    expect(JSON.parse(storage.read('hood.cfg')!).fedPins).toEqual({ north: FED_KEY_HEX });
    expect(cmd({ cmd: 'status' })).toContainEqual(expect.objectContaining({ ev: 'status', fedPins: ['north'] }));
    for (const bad of [{ name: 'north', key: FED_KEY_HEX.toUpperCase() }, { name: 'north', key: 'ab' }, { name: 'No Rth', key: FED_KEY_HEX }, { key: FED_KEY_HEX }]) {
      const ev = cmd({ cmd: 'pin_federation', ...bad });
      expect(ev.some((e) => e.ev === 'pinned_federation'), JSON.stringify(bad)).toBe(false);
    }
    expect(JSON.parse(storage.read('hood.cfg')!).fedPins).toEqual({ north: FED_KEY_HEX });
    expect(cmd({ cmd: 'unpin_federation', name: 'north' })).toContainEqual(expect.objectContaining({ ev: 'unpinned_federation', name: 'north' }));
    expect(JSON.parse(storage.read('hood.cfg')!).fedPins).toEqual({});
  });
});

describe('on Espruino', () => {
  it('federationOf passes the firmware build check and gives the same answers in the Espruino VM', async () => {
    const dir = testDir('hood-fed-espruino-');
    const root = resolve('.');
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `import { federationOf } from ${JSON.stringify(join(root, 'firmware/src/federation-pin'))};`,
        `import { fromHex } from ${JSON.stringify(join(root, 'shared/src/bytes'))};`,
        'declare const global: any;',
        'global.fedCheck = function (pins: any, mssId: string, idHex: string, extHex: string) {',
        '  return federationOf({ fedPins: pins } as any, { mssId: mssId, identityKey: fromHex(idHex), boxKey: new Uint8Array(32), cellSize: 512, issuedAt: 0, extensions: [{ type: 4, value: fromHex(extHex) }] });',
        '};',
      ].join('\n'),
    );
    const outFile = join(dir, 'fed.js');
    await buildFirmware({ entry, outFile, minify: true, budget: 1024 * 1024, check: true });
    const code = (await import('node:fs')).readFileSync(outFile, 'utf8');
    const ctx = createEspruinoContext({ random: (n) => new Uint8Array(randomBytes(n)), print: () => undefined });
    try {
      runBundle(ctx, code, 'fed.js');
      const ext = toHex(fed.beaconExtension('doug', DOUG_KEY).value);
      const call = (pins: object, id: string, key: Uint8Array, e: string) =>
        runBundle(ctx, `fedCheck(${JSON.stringify(pins)}, ${JSON.stringify(id)}, ${JSON.stringify(toHex(key))}, ${JSON.stringify(e)})`, 'call.js', { timeoutMs: 20_000 });
      expect(call({ north: FED_KEY_HEX }, 'doug', DOUG_KEY, ext)).toBe('north');
      expect(call({ north: FED_KEY_HEX }, 'erin', DOUG_KEY, ext)).toBe('');
      expect(call({ north: toHex(signer(FED_SEED + 1).publicKey) }, 'doug', DOUG_KEY, ext)).toBe('');
      expect(call({ north: FED_KEY_HEX }, 'doug', DOUG_KEY, ext.slice(0, -2) + (ext.endsWith('00') ? '01' : '00'))).toBe('');
    } finally {
      disposeEspruinoContext(ctx);
    }
  }, 60_000);
});
