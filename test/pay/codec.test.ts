import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError } from '../../shared/src/bytes';
import { decodeMintExt, decodePaid, decodePay, decodePriceExt, encodeMintExt, encodePaid, encodePay, encodePriceExt } from '../../shared/src/pay/codec';
import { maxDataPayload } from '../../shared/src/protocol/messages';
import { sessionCapacity } from '../../shared/src/protocol/cells';
import { rnd } from '../helpers/mss-fixture';

const proof = (amount: number, secret = Buffer.from(rnd(32)).toString('hex')) => ({
  amount,
  id: '00ad268c4d1f5826',
  secret,
  C: '02' + Buffer.from(rnd(32)).toString('hex'),
});

describe('payment codec (docs/payment.md)', () => {
  it('PAY round-trips, with hex and non-hex secrets, and 5 proofs fit one 512-byte cell', () => {
    const m = { payId: rnd(8), proofs: [proof(1), proof(2), proof(4), proof(8), proof(1 << 30)] };
    const b = encodePay(m);
    expect(b.length).toBeLessThanOrEqual(maxDataPayload(sessionCapacity(512)));
    expect(decodePay(b)).toEqual(m);
    const odd = { payId: rnd(8), proofs: [proof(16, '["P2PK",{"nonce":"x"}]')] };
    expect(decodePay(encodePay(odd))).toEqual(odd);
  });

  it('refuses to encode or decode amounts that are not powers of two, bad points, too many proofs', () => {
    expect(() => encodePay({ payId: rnd(8), proofs: [proof(3)] })).toThrow(/power of two/);
    expect(() => encodePay({ payId: rnd(8), proofs: [{ ...proof(1), C: '04' + 'ab'.repeat(32) }] })).toThrow(/compressed point/);
    expect(() => encodePay({ payId: rnd(8), proofs: Array.from({ length: 6 }, () => proof(1)) })).toThrow(/1-5 proofs/);
    const b = encodePay({ payId: rnd(8), proofs: [proof(2)] });
    const bad = b.slice();
    bad[12] = 3; // amount low byte -> 3
    expect(() => decodePay(bad)).toThrow(DecodeError);
    const zero = b.slice();
    zero[8] = 0;
    expect(() => decodePay(zero)).toThrow(/bad_proof_count/);
  });

  it('PAID, price and mint extensions round-trip', () => {
    const paid = { payId: rnd(8), status: 0, credited: 16, paidForSec: 480, text: 'ok' };
    expect(decodePaid(encodePaid(paid))).toEqual(paid);
    const price = { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 30 };
    expect(decodePriceExt(encodePriceExt(price))).toEqual(price);
    const mint = { url: 'http://127.0.0.1:3338', keysetIds: ['00ad268c4d1f5826'] };
    expect(decodeMintExt(encodeMintExt(mint))).toEqual(mint);
  });

  it('decoding random bytes only ever fails with DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 500 }), (b) => {
        for (const f of [decodePay, decodePaid, decodePriceExt, decodeMintExt]) {
          try {
            f(b);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });
});

describe('PDA coin store (firmware/src/wallet/proof-store.ts)', () => {
  it('survives a torn write: two slots, the newest that parses wins', async () => {
    const { EmuStorage } = await import('../../boards/emu/storage');
    const { loadProofs, saveProofs } = await import('../../firmware/src/wallet/proof-store');
    const st = new EmuStorage();
    const p = (s: string) => ({ amount: 1, id: '00ad268c4d1f5826', secret: s, C: '02' + 'ab'.repeat(32) });
    saveProofs(st, [p('a')]);
    saveProofs(st, [p('a'), p('b')]);
    expect(loadProofs(st).map((x) => x.secret)).toEqual(['a', 'b']);
    // Power cut in the middle of the next write: its slot holds garbage; the previous state is intact.
    const torn = st.writes.at(-2)!.key; // the slot the third write goes to
    st.write(torn, '{"v":1,"seq":3,"proofs":[{"amou');
    expect(loadProofs(st).map((x) => x.secret)).toEqual(['a', 'b']);
    saveProofs(st, [p('c')]);
    expect(loadProofs(st).map((x) => x.secret)).toEqual(['c']);
  });
});
