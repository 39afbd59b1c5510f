import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DecodeError, toHex } from '../../shared/src/bytes';
import {
  assembleBeacon,
  beaconSigningInput,
  checkPin,
  decodeBeacon,
  encodeBeaconBody,
  verifyBeaconSignature,
} from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, joinCapacity, openJoin, openSession, sealJoin, sealSession, sessionCapacity } from '../../shared/src/protocol/cells';
import {
  DEFAULT_CELL_SIZE,
  MSG_ACCEPT,
  MSG_BYE,
  MSG_DATA,
  MSG_JOIN,
  MSG_REFUSE,
  MSG_REKEY,
  MSG_REKEYED,
  MSG_RENEW,
} from '../../shared/src/protocol/constants';
import { decodeMessage, encodeMessage, maxDataPayload, type Message } from '../../shared/src/protocol/messages';
import { ReplayWindow } from '../../shared/src/protocol/replay-window';
import { deriveSessionKeys, kbdFingerprint } from '../../shared/src/protocol/session-keys';
import { openRefuse, sealRefuse } from '../../shared/src/protocol/refuse';
import { beaconTopic, downTopic, isValidMssId, mssIdFromBeaconTopic, upTopic } from '../../shared/src/protocol/topics';
import { x25519Base } from '../../shared/src/crypto/index';
import { rnd } from '../helpers/mss-fixture';

function identity() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pub = new Uint8Array(Buffer.from((publicKey.export({ format: 'jwk' }) as { x: string }).x, 'base64url'));
  return { pub, sign: (m: Uint8Array) => new Uint8Array(sign(null, m, privateKey)) };
}

function makeBeacon(over: Partial<Parameters<typeof encodeBeaconBody>[0]> = {}) {
  const id = identity();
  const body = { mssId: 'doug', identityKey: id.pub, boxKey: rnd(32), cellSize: 512, issuedAt: 1700000000, extensions: [{ type: 1, value: rnd(5) }], ...over };
  const signed = encodeBeaconBody(body);
  return { id, body, bytes: assembleBeacon(signed, id.sign(beaconSigningInput(signed)), rnd(8)) };
}

function decodeErrorReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
    return (e as DecodeError).reason;
  }
  throw new Error('did not throw');
}

describe('beacon (docs/protocol.md §2)', () => {
  it('round-trips and verifies an Ed25519 signature made by node:crypto', () => {
    const { body, bytes } = makeBeacon();
    const b = decodeBeacon(bytes);
    expect(b.mssId).toBe('doug');
    expect(toHex(b.boxKey)).toBe(toHex(body.boxKey));
    expect(b.extensions).toEqual([{ type: 1, value: body.extensions[0].value }]);
    expect(verifyBeaconSignature(b)).toBe(true);
  });

  it('fails verification when any signed byte or the signature changes, but not the nonce', () => {
    const { bytes } = makeBeacon();
    const n = bytes.length;
    for (const i of [0 + 2, 10, 40, 70, n - 72 - 1, n - 70, n - 9]) {
      const x = bytes.slice();
      x[i] ^= 1;
      let ok: boolean;
      try {
        ok = verifyBeaconSignature(decodeBeacon(x));
      } catch {
        ok = false;
      }
      expect(ok, 'byte ' + i).toBe(false);
    }
    const y = bytes.slice();
    y[n - 1] ^= 1; // beacon nonce: not signed, by design (§2.1)
    expect(verifyBeaconSignature(decodeBeacon(y))).toBe(true);
  });

  it('pins: matching, unpinned, mismatching, and no prototype tricks', () => {
    const { id, body } = makeBeacon();
    expect(checkPin({ doug: id.pub }, body)).toBe('pinned');
    expect(checkPin({ other: id.pub }, body)).toBe('unpinned');
    expect(checkPin({ doug: rnd(32) }, body)).toBe('mismatch');
    expect(checkPin({}, { ...body, mssId: 'constructor' })).toBe('unpinned');
  });

  it('rejects wrong version, bad ids, bad cell size, truncation and trailing bytes', () => {
    const { bytes } = makeBeacon();
    const v = bytes.slice();
    v[0] = 2;
    expect(decodeErrorReason(() => decodeBeacon(v))).toBe('bad_version');
    expect(decodeErrorReason(() => decodeBeacon(bytes.slice(0, bytes.length - 1)))).toBe('truncated');
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(decodeErrorReason(() => decodeBeacon(longer))).toBe('trailing_bytes');
    expect(() => encodeBeaconBody({ ...makeBeacon().body, mssId: 'Doug!' })).toThrow(/MSS id/);
    expect(() => encodeBeaconBody({ ...makeBeacon().body, cellSize: 100 })).toThrow(/cell size/);
  });

  it('decoding random bytes only ever fails with DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => {
        try {
          decodeBeacon(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('topics (docs/protocol.md §1)', () => {
  it('names the air', () => {
    expect(beaconTopic('doug')).toBe('hood/v1/doug/beacon');
    expect(upTopic('doug')).toBe('hood/v1/doug/up');
    expect(downTopic('doug', new Uint8Array(16).fill(0xab))).toBe('hood/v1/doug/down/' + 'ab'.repeat(16));
    expect(mssIdFromBeaconTopic('hood/v1/doug/beacon')).toBe('doug');
    expect(mssIdFromBeaconTopic('hood/v1/doug/up')).toBeNull();
    expect(mssIdFromBeaconTopic('hood/v1/#/beacon')).toBeNull();
    for (const bad of ['', 'a/b', '+', '#', 'A', 'x'.repeat(33), '-x']) expect(isValidMssId(bad), bad).toBe(false);
    expect(() => upTopic('a/b')).toThrow(/invalid MSS id/);
  });
});

const messages: Message[] = [
  { type: MSG_JOIN, kbd: rnd(32), tmpMac: rnd(6), joinNonce: rnd(16), beaconNonce: rnd(8) },
  { type: MSG_ACCEPT, tmpId: 'abcdefghijklmnop', idleTimeoutSec: 120, maxSessionSec: 3600 },
  { type: MSG_REFUSE, reason: 1, text: 'TmpMAC in use' },
  { type: MSG_RENEW },
  { type: MSG_REKEY, kbd: rnd(32) },
  { type: MSG_REKEYED },
  { type: MSG_BYE, reason: 0 },
  { type: MSG_DATA, channel: 7, payload: rnd(300) },
  { type: MSG_DATA, channel: 0, payload: new Uint8Array(0) },
];

describe('messages (docs/protocol.md §4)', () => {
  it('round-trip every type at a fixed size', () => {
    for (const m of messages) {
      const enc = encodeMessage(m, 400);
      expect(enc.length).toBe(400);
      expect(decodeMessage(enc)).toEqual(m);
    }
  });

  it('rejects garbage after a valid prefix, unknown types and short bodies', () => {
    const enc = encodeMessage(messages[1], 100);
    const g = enc.slice();
    g[99] = 1;
    expect(decodeErrorReason(() => decodeMessage(g))).toBe('trailing_bytes');
    const t = enc.slice();
    t[0] = 0x7f;
    expect(decodeErrorReason(() => decodeMessage(t))).toBe('bad_type');
    const s = encodeMessage({ type: MSG_REKEY, kbd: rnd(32) }, 100);
    s[2] = 31; // body claims 31 bytes: one short of a K_BD
    s[3 + 31] = 0; // (and the byte after it reads as padding)
    expect(decodeErrorReason(() => decodeMessage(s))).toBe('truncated');
    const l = enc.slice();
    l[1] = 0xff; // body length past the end
    expect(decodeErrorReason(() => decodeMessage(l))).toMatch(/too_long|truncated/);
    const id = encodeMessage({ type: MSG_ACCEPT, tmpId: 'abc', idleTimeoutSec: 1, maxSessionSec: 1 }, 100);
    id[4] = 'A'.charCodeAt(0);
    expect(decodeErrorReason(() => decodeMessage(id))).toBe('bad_tmpid');
  });

  it('refuses to encode what does not fit, and says how much does', () => {
    const cap = sessionCapacity(DEFAULT_CELL_SIZE);
    expect(() => encodeMessage({ type: MSG_DATA, channel: 0, payload: rnd(maxDataPayload(cap) + 1) }, cap)).toThrow(/does not fit/);
    expect(encodeMessage({ type: MSG_DATA, channel: 0, payload: rnd(maxDataPayload(cap)) }, cap).length).toBe(cap);
  });

  it('decoding random bytes only ever fails with DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          decodeMessage(b);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('cells (docs/protocol.md §3)', () => {
  const boxSecret = rnd(32);
  const boxKey = x25519Base(boxSecret.slice());

  it('every JOIN and SESSION cell has exactly the cell size', () => {
    const keys = deriveSessionKeys(rnd(32), rnd(32));
    for (const size of [256, 512, 1024]) {
      const j = sealJoin(boxKey, messages[0] as any, size, rnd(32)).cell;
      expect(j.length).toBe(size);
      for (const m of messages.slice(1)) {
        if (m.type === MSG_DATA && m.payload.length > maxDataPayload(sessionCapacity(size))) continue;
        expect(sealSession(keys.upKey, keys.upTag, 1, DIR_UP, m, size).length).toBe(size);
      }
    }
    expect(joinCapacity(512)).toBe(512 - 2 - 32 - 16);
  });

  it('JOIN opens only with the MSS box secret, and wipes the ephemeral secret', () => {
    const esk = rnd(32);
    const sealed = sealJoin(boxKey, messages[0] as any, 512, esk);
    const cell = sealed.cell;
    expect(esk.every((x) => x === 0)).toBe(true);
    const opened = openJoin(boxSecret, boxKey, cell, 512);
    expect(opened.msg).toEqual(messages[0]);
    // Both sides derive the same refuse key, and it is none of the K_BD session keys (§3.3).
    expect(Buffer.from(opened.refuseKey).equals(Buffer.from(sealed.refuseKey))).toBe(true);
    const sk = deriveSessionKeys((messages[0] as any).kbd, cell.subarray(2, 34));
    for (const k of [sk.upKey, sk.downKey]) expect(Buffer.from(k).equals(Buffer.from(sealed.refuseKey))).toBe(false);
    expect(decodeErrorReason(() => openJoin(rnd(32), boxKey, cell, 512))).toBe('bad_seal');
    const x = cell.slice();
    x[100] ^= 4;
    expect(decodeErrorReason(() => openJoin(boxSecret, boxKey, x, 512))).toBe('bad_seal');
    const lowOrder = cell.slice();
    lowOrder.fill(0, 2, 34); // the all-zero point
    expect(decodeErrorReason(() => openJoin(boxSecret, boxKey, lowOrder, 512))).toMatch(/bad_point|bad_seal/);
  });

  it('REFUSE: under the JOIN\'s refuse key, nonce = reason, fixed text; forged or mismatched ones rejected', () => {
    const sealed = sealJoin(boxKey, messages[0] as any, 512, rnd(32));
    const tag = rnd(16);
    for (const reason of [1, 2, 3, 4]) {
      const c = sealRefuse(sealed.refuseKey, tag, reason, 512);
      const h = decodeCellHeader(c, 512) as { kind: 2; seq: number };
      expect(h.seq).toBe(reason);
      expect(openRefuse(sealed.refuseKey, c, h.seq)).toBe(reason);
      // Deterministic: the same JOIN and reason always give the same cell (no second plaintext per nonce).
      expect(toHex(sealRefuse(sealed.refuseKey, tag, reason, 512))).toBe(toHex(c));
      expect(decodeErrorReason(() => openRefuse(rnd(32), c, reason))).toBe('bad_seal');
    }
    expect(() => sealRefuse(sealed.refuseKey, tag, 9, 512)).toThrow(/unknown REFUSE reason/);
    const c1 = sealRefuse(sealed.refuseKey, tag, 1, 512);
    expect(decodeErrorReason(() => openRefuse(sealed.refuseKey, c1, 0))).toBe('bad_refuse'); // seq 0 is ACCEPT's
    expect(decodeErrorReason(() => openRefuse(sealed.refuseKey, c1, 7))).toBe('bad_refuse');
    // A cell whose REFUSE reason disagrees with its nonce is forged, even under the right key.
    const odd = sealSession(sealed.refuseKey, tag, 1, DIR_DOWN, { type: MSG_REFUSE, reason: 3, text: 'x' }, 512);
    expect(decodeErrorReason(() => openRefuse(sealed.refuseKey, odd, 1))).toBe('bad_refuse');
    const notRefuse = sealSession(sealed.refuseKey, tag, 2, DIR_DOWN, { type: MSG_RENEW }, 512);
    expect(decodeErrorReason(() => openRefuse(sealed.refuseKey, notRefuse, 2))).toBe('bad_refuse');
  });

  it('SESSION cells bind direction, sequence number and tag', () => {
    const k = deriveSessionKeys(rnd(32), rnd(16));
    const c = sealSession(k.upKey, k.upTag, 9, DIR_UP, messages[7], 512);
    const h = decodeCellHeader(c, 512);
    expect(h).toEqual({ kind: 2, tag: k.upTag, seq: 9 });
    expect(openSession(k.upKey, c, 9, DIR_UP)).toEqual(messages[7]);
    expect(decodeErrorReason(() => openSession(k.upKey, c, 9, DIR_DOWN))).toBe('bad_seal');
    expect(decodeErrorReason(() => openSession(k.upKey, c, 10, DIR_UP))).toBe('bad_seal');
    const t = c.slice();
    t[5] ^= 1; // tag is authenticated data
    expect(decodeErrorReason(() => openSession(k.upKey, t, 9, DIR_UP))).toBe('bad_seal');
  });

  it('header checks come before any crypto: size, version, kind', () => {
    expect(decodeErrorReason(() => decodeCellHeader(new Uint8Array(511), 512))).toBe('truncated');
    expect(decodeErrorReason(() => decodeCellHeader(new Uint8Array(513), 512))).toBe('oversized');
    const c = new Uint8Array(512);
    c[0] = 9;
    expect(decodeErrorReason(() => decodeCellHeader(c, 512))).toBe('bad_version');
    c[0] = 1;
    c[1] = 9;
    expect(decodeErrorReason(() => decodeCellHeader(c, 512))).toBe('bad_kind');
  });

  it('session keys: fresh per K_BD and per context, all four parts distinct', () => {
    const a = deriveSessionKeys(rnd(32), rnd(32));
    const b = deriveSessionKeys(rnd(32), rnd(32));
    const all = [a.upKey, a.downKey, a.upTag, a.downTag, b.upKey, b.downKey, b.upTag, b.downTag].map(toHex);
    expect(new Set(all).size).toBe(8);
    // The same K_BD under two JOINs (two epks) or two REKEYs (two replaced upTags): unrelated key sets (§6).
    const kbd = rnd(32);
    const j1 = deriveSessionKeys(kbd, rnd(32));
    const j2 = deriveSessionKeys(kbd, rnd(32));
    const r1 = deriveSessionKeys(kbd, j1.upTag);
    const same = [j1, j2, r1].map((k) => toHex(k.downKey));
    expect(new Set(same).size).toBe(3);
    // ...while K_BD's fingerprint, by which the MSS sees a K_BD collision, is the same and is no key.
    expect(toHex(kbdFingerprint(kbd))).toBe(toHex(kbdFingerprint(kbd.slice())));
    expect(same).not.toContain(toHex(kbdFingerprint(kbd)));
    expect(() => deriveSessionKeys(rnd(31), rnd(32))).toThrow(/32 bytes/);
    expect(() => deriveSessionKeys(rnd(32), rnd(8))).toThrow(/context/);
  });
});

describe('replay window (docs/protocol.md §5)', () => {
  it('behaves like RFC 4303 §3.4.3', () => {
    const w = new ReplayWindow();
    const take = (s: number) => {
      const r = w.check(s);
      if (r === 'ok') w.accept(s);
      return r;
    };
    expect(take(0)).toBe('ok');
    expect(take(0)).toBe('replay');
    expect(take(40)).toBe('ok');
    expect(take(9)).toBe('ok'); // 31 behind: inside
    expect(take(8)).toBe('too_old'); // 32 behind: outside
    expect(take(9)).toBe('replay');
    expect(take(39)).toBe('ok');
    expect(take(39)).toBe('replay');
    expect(take(1000)).toBe('ok');
    expect(take(40)).toBe('too_old');
  });

  it('never accepts the same number twice (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 200 }), { maxLength: 300 }), (seqs) => {
        const w = new ReplayWindow();
        const accepted = new Set<number>();
        for (const s of seqs) {
          if (w.check(s) === 'ok') {
            expect(accepted.has(s)).toBe(false);
            accepted.add(s);
            w.accept(s);
          }
        }
      }),
    );
  });
});
