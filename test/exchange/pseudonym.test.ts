/**
 * shared/src/exchange/pseudonym.ts: the pseudonym a share is stored under, recomputed here with
 * Node's own HKDF/HMAC (RFC 5869, RFC 2104) from the spec in the file header; the PDA (secret) and
 * the MSS (boxKey) agree; pseudonyms never repeat across servers, slots or boxes; bad inputs refused.
 */
import { createHmac, hkdfSync, randomBytes } from 'node:crypto';
import vm from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../shared/src/bytes';
import {
  exchangeKeyFromBoxKey,
  exchangeKeyFromSecret,
  MAX_SLOTS,
  pickupPseudonyms,
  sharePseudonym,
} from '../../shared/src/exchange/pseudonym';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { bundleForEspruino, DELETE_GLOBALS_SRC, espruinoSyntaxViolations } from '../crypto/espruino-bundle';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The spec, written again with Node's primitives. */
function reference(boxKey: Uint8Array, serverId: string, slot: number): string {
  const k = Buffer.from(hkdfSync('sha256', boxKey, Buffer.alloc(0), Buffer.from('hood-exchange-v1 pseudonym key'), 32));
  const id = Buffer.from(serverId, 'utf8');
  const s = Buffer.alloc(4);
  s.writeUInt32BE(slot, 0);
  return createHmac('sha256', k).update(Buffer.concat([Buffer.from('hood-exchange-v1'), Buffer.from([id.length]), id, s])).digest('hex');
}

describe('share pseudonyms', () => {
  it('match the spec (vector: secret = 00..1f, server "x01", slot 3)', () => {
    const secret = new Uint8Array(32).map((_, i) => i);
    const { boxKey } = deriveBox(secret);
    const p = sharePseudonym(exchangeKeyFromSecret(secret), 'x01', 3);
    expect(hex(p)).toBe(reference(boxKey, 'x01', 3));
    expect(p).toHaveLength(32);
  });

  it('the PDA (from the secret) and the MSS (from boxKey) compute the same; all differ across servers, slots and boxes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (s1, s2) => {
        fc.pre(hex(s1) !== hex(s2));
        const seen = new Set<string>();
        for (const s of [s1, s2]) {
          const fromSecret = exchangeKeyFromSecret(s);
          const fromBox = exchangeKeyFromBoxKey(deriveBox(s).boxKey);
          expect(hex(fromSecret)).toBe(hex(fromBox));
          // The exchange key is not boxKey itself (no key reuse between AEAD and PRF).
          expect(hex(fromSecret)).not.toBe(hex(deriveBox(s).boxKey));
          for (const id of ['xa', 'xb', 'xc']) {
            const ps = pickupPseudonyms(fromSecret, id);
            expect(ps).toHaveLength(MAX_SLOTS);
            ps.forEach((p, slot) => {
              expect(hex(p)).toBe(reference(deriveBox(s).boxKey, id, slot));
              seen.add(hex(p));
            });
          }
        }
        expect(seen.size).toBe(2 * 3 * MAX_SLOTS);
      }),
      { numRuns: 40 },
    );
  });

  it('server id encoding is unambiguous: ids that are prefixes of each other do not collide', () => {
    const k = exchangeKeyFromSecret(new Uint8Array(randomBytes(32)));
    expect(hex(sharePseudonym(k, 'ab', 0))).not.toBe(hex(sharePseudonym(k, 'a', 0)));
  });

  it('refuses bad keys, server ids and slots', () => {
    const k = exchangeKeyFromSecret(new Uint8Array(32));
    expect(() => exchangeKeyFromBoxKey(new Uint8Array(31))).toThrow(DecodeError);
    expect(() => exchangeKeyFromSecret(new Uint8Array(16))).toThrow(/32 bytes/);
    expect(() => sharePseudonym(new Uint8Array(16), 'x', 0)).toThrow(/bad_key/);
    for (const id of ['', 'A', '-x', 'a b', 'x'.repeat(65), 'é']) expect(() => sharePseudonym(k, id, 0)).toThrow(/bad_server_id/);
    for (const slot of [-1, MAX_SLOTS, 1.5, NaN]) expect(() => sharePseudonym(k, 'x', slot)).toThrow(/bad_slot/);
  });

  it('bundles for Espruino and gives the same pseudonym in a sandbox without what Espruino lacks', async () => {
    const code = await bundleForEspruino(
      `import { sharePseudonym, exchangeKeyFromSecret } from './shared/src/exchange/pseudonym';
       declare const hood: any;
       hood.p = function (secret: Uint8Array, id: string, slot: number) { return sharePseudonym(exchangeKeyFromSecret(secret), id, slot); };`,
    );
    expect(espruinoSyntaxViolations(code)).toEqual([]);
    const ctx = vm.createContext({ hood: {} });
    vm.runInContext(DELETE_GLOBALS_SRC, ctx);
    vm.runInContext(code, ctx);
    const secret = new Uint8Array(32).fill(7);
    const got = vm.runInContext(
      `(function () { var s = new Uint8Array(32); for (var i = 0; i < 32; i++) s[i] = 7;
        var p = hood.p(s, 'x01', 5); var h = ''; for (var j = 0; j < p.length; j++) h += (p[j] < 16 ? '0' : '') + p[j].toString(16); return h; })()`,
      ctx,
    );
    expect(got).toBe(hex(sharePseudonym(exchangeKeyFromSecret(secret), 'x01', 5)));
  });
});
