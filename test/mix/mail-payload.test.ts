/** The mix queue's mail record (host/mix/mail-payload.ts): round trip, and any bytes decode or throw DecodeError. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DecodeError } from '../../shared/src/bytes';
import { decodeMixedMail, encodeMixedMail } from '../../host/mix/mail-payload';

describe('mixed mail record', () => {
  it('round-trips any TmpId, recipient and age file', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z2-7]{1,32}$/), fc.emailAddress(), fc.uint8Array({ maxLength: 3000 }), (tmpId, to, age) => {
        expect(decodeMixedMail(encodeMixedMail({ tmpId, to, age }))).toEqual({ tmpId, to, age });
      }),
    );
    expect(decodeMixedMail(encodeMixedMail({ tmpId: 'abc', to: '', age: new Uint8Array(0) }))).toEqual({ tmpId: 'abc', to: '', age: new Uint8Array(0) });
  });

  it('random and truncated bytes: a record or a DecodeError, never anything else', () => {
    const good = encodeMixedMail({ tmpId: 'abcdefgh', to: 'alice@example.org', age: new Uint8Array([1, 2, 3]) });
    for (let n = 0; n < 1 + 8 + 2 + 17; n++) expect(() => decodeMixedMail(good.slice(0, n))).toThrow(DecodeError);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          const m = decodeMixedMail(b);
          expect(typeof m.tmpId).toBe('string');
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
    expect(() => encodeMixedMail({ tmpId: 'x'.repeat(256), to: '', age: new Uint8Array(0) })).toThrow(DecodeError);
  });
});
