/**
 * Membership certificate (beacon extension 4; docs/federation.md): fixed vectors (RFC 8032 test-1 key as
 * the federation key), strict decoding, and random corruption of the certificate or of what it is checked
 * against never verifying.
 */
import { sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, equalBytes, fromHex, toHex } from '../../shared/src/bytes';
import { decodeMemberCert, encodeMemberCert, isValidFederationName, memberSigningInput, verifyMemberCert } from '../../shared/src/protocol/federation';
import { ed25519Private, rawPublic } from '../crypto/node-keys';

const FED_SEED = fromHex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const FED_KEY = fromHex('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a');
const ID_KEY = fromHex('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
// "hood/v1 federation member" | 05 "north" | 04 "doug" | identityKey
const INPUT_HEX = '686f6f642f76312066656465726174696f6e206d656d626572' + '056e6f727468' + '04646f7567' + toHex(ID_KEY);
const SIG_HEX =
  '2f3a52e7ff389512d00ee4aab4093b895ed2566d0abbd2677465f00380fd414a49f6a321a0f116167b492132b8d7081ce7a89d6711bc2a3877b5beb06a64fb09';
const CERT_HEX = '056e6f727468' + toHex(FED_KEY) + SIG_HEX;

describe('membership certificate vectors', () => {
  it('signing input, signature and encoding match the vector', () => {
    const k = ed25519Private(FED_SEED);
    expect(toHex(rawPublic(k))).toBe(toHex(FED_KEY));
    const input = memberSigningInput('north', 'doug', ID_KEY);
    expect(toHex(input)).toBe(INPUT_HEX);
    expect(toHex(new Uint8Array(sign(null, Buffer.from(input), k)))).toBe(SIG_HEX);
    expect(toHex(encodeMemberCert({ name: 'north', federationKey: FED_KEY, sig: fromHex(SIG_HEX) }))).toBe(CERT_HEX);
  });

  it('decodes and verifies for exactly that member', () => {
    const c = decodeMemberCert(fromHex(CERT_HEX));
    expect(c.name).toBe('north');
    expect(toHex(c.federationKey)).toBe(toHex(FED_KEY));
    expect(verifyMemberCert(c, 'doug', ID_KEY)).toBe(true);
    expect(verifyMemberCert(c, 'erin', ID_KEY)).toBe(false);
    const other = ID_KEY.slice();
    other[0] ^= 1;
    expect(verifyMemberCert(c, 'doug', other)).toBe(false);
    expect(verifyMemberCert({ ...c, name: 'south' }, 'doug', ID_KEY)).toBe(false);
    expect(verifyMemberCert(c, 'Doug', ID_KEY)).toBe(false); // invalid id: false, not a throw
    expect(verifyMemberCert(c, 'doug', ID_KEY.subarray(0, 31))).toBe(false);
  });
});

describe('strict decoding', () => {
  const good = fromHex(CERT_HEX);
  const cases: [string, Uint8Array, string][] = [
    ['empty', new Uint8Array(0), 'truncated'],
    ['truncated signature', good.subarray(0, good.length - 1), 'truncated'],
    ['trailing byte', new Uint8Array([...good, 0]), 'trailing_bytes'],
    ['empty name', fromHex('00' + toHex(FED_KEY) + SIG_HEX), 'bad_federation_name'],
    ['upper-case name', fromHex('054e6f727468' + toHex(FED_KEY) + SIG_HEX), 'bad_federation_name'],
    ['non-ASCII name', fromHex('02c3a9' + toHex(FED_KEY) + SIG_HEX), 'bad_federation_name'],
    ['name over 32', fromHex('21' + '61'.repeat(33) + toHex(FED_KEY)), 'too_long'],
    ['oversized', new Uint8Array(200), 'oversized'],
  ];
  for (const [what, bytes, reason] of cases) {
    it('refuses ' + what, () => {
      let err: unknown;
      try {
        decodeMemberCert(bytes);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DecodeError);
      expect((err as DecodeError).reason).toBe(reason);
    });
  }

  it('encoder refuses what the decoder would', () => {
    expect(() => encodeMemberCert({ name: '', federationKey: FED_KEY, sig: fromHex(SIG_HEX) })).toThrow();
    expect(() => encodeMemberCert({ name: 'a'.repeat(33), federationKey: FED_KEY, sig: fromHex(SIG_HEX) })).toThrow();
    expect(() => encodeMemberCert({ name: 'north', federationKey: FED_KEY.subarray(1), sig: fromHex(SIG_HEX) })).toThrow();
    expect(() => memberSigningInput('north', '', ID_KEY)).toThrow();
    expect(isValidFederationName('a-b-0')).toBe(true);
    expect(isValidFederationName('a_b')).toBe(false);
  });

  it('round-trips every valid name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9-]{1,32}$/), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 64, maxLength: 64 }), (name, k, s) => {
        const c = decodeMemberCert(encodeMemberCert({ name, federationKey: k, sig: s }));
        return c.name === name && equalBytes(c.federationKey, k) && equalBytes(c.sig, s);
      }),
      { numRuns: 500 },
    );
  });
});

describe('adversarial: corrupted certificates never verify', () => {
  const good = fromHex(CERT_HEX);
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('grow' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );

  it('a sequence of random byte corruptions is refused (decode error or failed verification)', () => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), (ms) => {
        let b = good.slice();
        for (const m of ms) {
          if (m.kind === 'flip') b[m.at % b.length] ^= 1 << m.bit;
          else if (m.kind === 'set') b[m.at % b.length] = m.v;
          else if (m.kind === 'cut') b = b.slice(0, m.at % b.length);
          else b = new Uint8Array([...b, ...m.extra]);
          if (b.length === 0) break;
        }
        if (equalBytes(b, good)) return true;
        let ok = false;
        try {
          ok = verifyMemberCert(decodeMemberCert(b), 'doug', ID_KEY);
        } catch (e) {
          if (!(e instanceof DecodeError)) throw e;
        }
        return !ok;
      }),
      { numRuns: 500 },
    );
  });

  it('the good certificate never verifies for another (mssId, identityKey)', () => {
    const c = decodeMemberCert(good);
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,31}$/), fc.uint8Array({ minLength: 32, maxLength: 32 }), (id, key) => {
        if (id === 'doug' && equalBytes(key, ID_KEY)) return true;
        if (verifyMemberCert(c, id, key)) return false;
        return id === 'doug' || !verifyMemberCert(c, id, ID_KEY);
      }),
      { numRuns: 500 },
    );
  });
});
