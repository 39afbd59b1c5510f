import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../shared/src/bytes';
import { formatMac, isLocallyAdministered, isUnicast, isValidTmpMac, newTmpMac, parseMac } from '../../shared/src/tmpmac';
import { rnd } from '../helpers/mss-fixture';

describe('TmpMAC (paper §5)', () => {
  it('is unicast, locally administered, never all-zero, and new every time', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const m = newTmpMac(rnd);
      expect(m.length).toBe(6);
      expect(m[0] & 1).toBe(0);
      expect(m[0] & 2).toBe(2);
      expect(isValidTmpMac(m)).toBe(true);
      seen.add(formatMac(m));
    }
    expect(seen.size).toBe(5000);
  });

  it('uses the RNG for all 46 free bits (every free bit takes both values)', () => {
    let or = new Uint8Array(6);
    let and = new Uint8Array(6).fill(0xff);
    for (let i = 0; i < 2000; i++) {
      const m = newTmpMac(rnd);
      or = or.map((x, j) => x | m[j]);
      and = and.map((x, j) => x & m[j]);
    }
    expect(Array.from(or)).toEqual([0xfe, 255, 255, 255, 255, 255]);
    expect(Array.from(and)).toEqual([0x02, 0, 0, 0, 0, 0]);
  });

  it('stays a valid TmpMAC whatever the RNG returns, and refuses a short RNG answer', () => {
    expect(formatMac(newTmpMac(() => new Uint8Array(6)))).toBe('02:00:00:00:00:00');
    expect(formatMac(newTmpMac(() => new Uint8Array(6).fill(255)))).toBe('fe:ff:ff:ff:ff:ff');
    expect(() => newTmpMac(() => new Uint8Array(5))).toThrow(/RNG returned 5 bytes/);
  });

  it('formats and parses only the canonical form', () => {
    const m = Uint8Array.from([0x02, 0xab, 0x0c, 0xd0, 0x00, 0xff]);
    expect(formatMac(m)).toBe('02:ab:0c:d0:00:ff');
    expect(parseMac('02:ab:0c:d0:00:ff')).toEqual(m);
    for (const bad of ['02:AB:0c:d0:00:ff', '02-ab-0c-d0-00-ff', '2:ab:c:d0:0:ff', '02:ab:0c:d0:00', '02:ab:0c:d0:00:ff:', ' 02:ab:0c:d0:00:ff', '02abcd0c00ff']) {
      expect(() => parseMac(bad), bad).toThrow(DecodeError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
        expect(parseMac(formatMac(b))).toEqual(b);
      }),
    );
  });

  it('classifies addresses', () => {
    expect(isUnicast(parseMac('24:0a:c4:12:34:56'))).toBe(true);
    expect(isLocallyAdministered(parseMac('24:0a:c4:12:34:56'))).toBe(false);
    expect(isValidTmpMac(parseMac('24:0a:c4:12:34:56'))).toBe(false);
    expect(isValidTmpMac(parseMac('03:00:00:00:00:01'))).toBe(false);
    expect(isValidTmpMac(parseMac('fe:ff:ff:ff:ff:ff'))).toBe(true);
  });
});
