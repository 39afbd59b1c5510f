import { describe, it, expect } from 'vitest';
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { seal, open } from '../../shared/src/crypto/chacha20poly1305';
import { ascii, hex, unhex, seededBytes } from './helpers';

/** node:crypto reference: ciphertext || tag. */
function nodeSeal(key: Uint8Array, nonce: Uint8Array, pt: Uint8Array, aad: Uint8Array): Uint8Array {
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  c.setAAD(aad, { plaintextLength: pt.length });
  const ct = Buffer.concat([c.update(pt), c.final()]);
  return new Uint8Array(Buffer.concat([ct, c.getAuthTag()]));
}
function nodeOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array | null {
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  d.setAAD(aad, { plaintextLength: sealed.length - 16 });
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
  } catch {
    return null;
  }
}

// RFC 8439 §2.8.2
const K1 = unhex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
const N1 = unhex('070000004041424344454647');
const A1 = unhex('50515253c0c1c2c3c4c5c6c7');
const P1 = ascii(
  "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
);
const C1 =
  'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d63dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b3692ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc3ff4def08e4b7a9de576d26586cec64b6116';
const T1 = '1ae10b594f09e26a7e902ecbd0600691';

// RFC 8439 appendix A.5
const K5 = unhex('1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0');
const N5 = unhex('000000000102030405060708');
const A5 = unhex('f33388860000000000004e91');
const C5 =
  '64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb24c6cfc18755d43eea09ee94e382d26b0' +
  'bdb7b73c321b0100d4f03b7f355894cf332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855' +
  '9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4b9166c767b804d46a59b5216cde7a4e9' +
  '9040c5a40433225ee282a1b0a06c523eaf4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a' +
  '0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a1049e617d91d361094fa68f0ff77987130' +
  '305beaba2eda04df997b714d6c6f2c29a6ad5cb4022b02709b';
const T5 = 'eead9d67890cbb22392336fea1851f38';
const P5 =
  '496e7465726e65742d4472616674732061726520647261667420646f63756d656e74732076616c696420666f722061206d' +
  '6178696d756d206f6620736978206d6f6e74687320616e64206d617920626520757064617465642c207265706c61636564' +
  '2c206f72206f62736f6c65746564206279206f7468657220646f63756d656e747320617420616e792074696d652e204974' +
  '20697320696e617070726f70726961746520746f2075736520496e7465726e65742d447261667473206173207265666572' +
  '656e6365206d6174657269616c206f7220746f2063697465207468656d206f74686572207468616e206173202fe2809c77' +
  '6f726b20696e2070726f67726573732e2fe2809d';

describe('ChaCha20-Poly1305 AEAD (RFC 8439)', () => {
  it('§2.8.2 encryption vector', () => {
    const sealed = seal(K1, N1, P1, A1);
    expect(hex(sealed)).toBe(C1 + T1);
    expect(hex(open(K1, N1, sealed, A1)!)).toBe(hex(P1));
  });

  it('appendix A.5 decryption vector', () => {
    const pt = open(K5, N5, unhex(C5 + T5), A5);
    expect(pt).not.toBeNull();
    expect(hex(pt!)).toBe(P5);
    expect(Buffer.from(pt!).toString('utf8')).toMatch(/^Internet-Drafts are draft documents/);
    expect(hex(seal(K5, N5, unhex(P5), A5))).toBe(C5 + T5);
  });

  it('agrees with node:crypto both ways on 300 random keys, nonces, lengths and AAD', () => {
    const rnd = seededBytes('aead');
    for (let i = 0; i < 300; i++) {
      const key = rnd(32);
      const nonce = rnd(12);
      const pt = rnd((i * 13) % 300); // includes 0, block-aligned and ragged lengths
      const aad = rnd(i % 5 === 0 ? 0 : (i * 7) % 70);
      const ours = seal(key, nonce, pt, aad);
      expect(hex(ours)).toBe(hex(nodeSeal(key, nonce, pt, aad)));
      expect(hex(nodeOpen(key, nonce, ours, aad)!)).toBe(hex(pt));
      expect(hex(open(key, nonce, nodeSeal(key, nonce, pt, aad), aad)!)).toBe(hex(pt));
    }
  });

  it('no aad is the same as empty aad', () => {
    const pt = ascii('hello');
    expect(hex(seal(K1, N1, pt))).toBe(hex(seal(K1, N1, pt, new Uint8Array(0))));
    expect(hex(open(K1, N1, seal(K1, N1, pt))!)).toBe(hex(pt));
  });

  it('returns null for any tampered ciphertext, tag, aad, nonce or key', () => {
    const sealed = seal(K1, N1, P1, A1);
    for (let i = 0; i < sealed.length; i += 7) {
      const s = sealed.slice();
      s[i] ^= 0x04;
      expect(open(K1, N1, s, A1)).toBeNull();
    }
    const lastTagByte = sealed.slice();
    lastTagByte[lastTagByte.length - 1] ^= 0x80;
    expect(open(K1, N1, lastTagByte, A1)).toBeNull();
    const a2 = A1.slice();
    a2[0] ^= 1;
    expect(open(K1, N1, sealed, a2)).toBeNull();
    expect(open(K1, N1, sealed)).toBeNull(); // aad dropped
    expect(open(K1, N1, sealed, new Uint8Array([...A1, 0]))).toBeNull(); // aad extended
    const n2 = N1.slice();
    n2[11] ^= 1;
    expect(open(K1, n2, sealed, A1)).toBeNull();
    const k2 = K1.slice();
    k2[0] ^= 1;
    expect(open(k2, N1, sealed, A1)).toBeNull();
    expect(open(K1, N1, sealed.subarray(0, sealed.length - 1), A1)).toBeNull(); // truncated
  });

  it('returns null for inputs shorter than a tag; empty plaintext round-trips', () => {
    expect(open(K1, N1, new Uint8Array(0))).toBeNull();
    expect(open(K1, N1, new Uint8Array(15))).toBeNull();
    const s = seal(K1, N1, new Uint8Array(0));
    expect(s.length).toBe(16);
    expect(open(K1, N1, s)!.length).toBe(0);
    expect(open(K1, N1, new Uint8Array(16))).toBeNull(); // all-zero tag is not valid here
  });

  it('throws clearly on wrong key or nonce lengths and non-byte arguments', () => {
    const pt = ascii('x');
    expect(() => seal(new Uint8Array(31), N1, pt)).toThrow(/key must be a 32-byte/);
    expect(() => seal(new Uint8Array(33), N1, pt)).toThrow(/key must be a 32-byte/);
    expect(() => seal(K1, new Uint8Array(8), pt)).toThrow(/nonce must be a 12-byte/);
    expect(() => seal(K1, new Uint8Array(24), pt)).toThrow(/nonce must be a 12-byte/);
    expect(() => open(new Uint8Array(16), N1, new Uint8Array(32))).toThrow(/key must be a 32-byte/);
    expect(() => open(K1, new Uint8Array(11), new Uint8Array(32))).toThrow(/nonce must be a 12-byte/);
    expect(() => seal(K1, N1, 'text' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => seal(K1, N1, pt, 'aad' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => open(K1, N1, [1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });

  it('does not modify its inputs and works on subarray views', () => {
    const buf = new Uint8Array(200);
    buf.set(P1, 3);
    const view = buf.subarray(3, 3 + P1.length);
    const before = hex(buf);
    const sealed = seal(K1, N1, view, A1);
    expect(hex(buf)).toBe(before);
    expect(hex(sealed)).toBe(C1 + T1);
    const box = new Uint8Array(sealed.length + 5);
    box.set(sealed, 5);
    expect(hex(open(K1, N1, box.subarray(5), A1)!)).toBe(hex(P1));
  });
});
