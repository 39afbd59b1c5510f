/**
 * Proves that what an esbuild bundle of shared/src/crypto pulls in runs without the globals
 * Espruino lacks, and contains no syntax Espruino cannot parse.
 */
import { describe, it, expect } from 'vitest';
import vm from 'node:vm';
import {
  bundleForEspruino,
  espruinoSyntaxViolations,
  DELETE_GLOBALS_SRC,
  MISSING_ON_ESPRUINO,
} from './espruino-bundle';

const ENTRY = `
import { x25519, x25519Base, x25519Shared, x25519Keypair, seal, open, ed25519Verify, ed25519PublicKey, sha256,
  sha512, hmacSha256, hkdfSha256 } from './shared/src/crypto/index';
declare const hood: any;
hood.crypto = { x25519: x25519, x25519Base: x25519Base, x25519Shared: x25519Shared, x25519Keypair: x25519Keypair,
  seal: seal, open: open,
  ed25519Verify: ed25519Verify, ed25519PublicKey: ed25519PublicKey, sha256: sha256, sha512: sha512,
  hmacSha256: hmacSha256, hkdfSha256: hkdfSha256 };
`;

/** Runs inside the stripped context after the bundle; plain ES5, inputs built in-realm. */
const PROBE = `
(function () {
  function h2b(s) { var o = new Uint8Array(s.length / 2); for (var i = 0; i < o.length; i++) o[i] = parseInt(s.substr(2 * i, 2), 16); return o; }
  function b2h(b) { var s = ''; for (var i = 0; i < b.length; i++) s += (b[i] < 16 ? '0' : '') + b[i].toString(16); return s; }
  function asc(s) { var o = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) o[i] = s.charCodeAt(i); return o; }
  var C = hood.crypto, r = {};
  r.x25519 = b2h(C.x25519(h2b('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
    h2b('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c')));
  var aSk = h2b('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
  var bSk = h2b('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
  r.dh = b2h(C.x25519Shared(aSk, C.x25519Base(bSk)));
  try { C.x25519Shared(aSk, new Uint8Array(32)); r.lowOrder = 'accepted'; } catch (e) { r.lowOrder = String(e.message); }
  var key = h2b('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
  var nonce = h2b('070000004041424344454647');
  var aad = h2b('50515253c0c1c2c3c4c5c6c7');
  var pt = asc("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.");
  var sealed = C.seal(key, nonce, pt, aad);
  r.tag = b2h(sealed.subarray(sealed.length - 16));
  r.opened = b2h(C.open(key, nonce, sealed, aad)) === b2h(pt);
  sealed[3] ^= 1;
  r.tampered = C.open(key, nonce, sealed, aad);
  try { C.seal(new Uint8Array(31), nonce, pt); r.badKey = 'accepted'; } catch (e) { r.badKey = String(e.message); }
  var pk = h2b('3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c');
  var sig = h2b('92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00');
  r.edPub = b2h(C.ed25519PublicKey(h2b('4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb')));
  r.edOk = C.ed25519Verify(sig, h2b('72'), pk);
  r.edBad = C.ed25519Verify(sig, h2b('73'), pk);
  r.sha256 = b2h(C.sha256(asc('abc')));
  r.sha512 = b2h(C.sha512(asc('abc'))).slice(0, 32);
  r.hkdf = b2h(C.hkdfSha256(h2b('0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b'), h2b('000102030405060708090a0b0c'),
    h2b('f0f1f2f3f4f5f6f7f8f9'), 42));
  r.hmac = b2h(C.hmacSha256(asc('Jefe'), asc('what do ya want for nothing?')));
  var kp = C.x25519Keypair(bSk);
  r.keypair = b2h(kp.publicKey).slice(0, 16);
  // Every byte result is a real Uint8Array (Espruino's typed-array slice() gives an Array).
  var outs = [C.x25519(aSk, bSk), C.x25519Base(aSk), kp.secretKey, kp.publicKey, C.seal(key, nonce, pt),
    C.open(key, nonce, C.seal(key, nonce, pt)), C.sha256(pt), C.sha512(pt), C.hmacSha256(key, pt),
    C.hkdfSha256(key, undefined, pt, 10), C.ed25519PublicKey(aSk)];
  r.allUint8 = true;
  for (var i = 0; i < outs.length; i++) if (!(outs[i] instanceof Uint8Array)) r.allUint8 = false;
  return JSON.stringify(r);
})()
`;

function strippedContext(): vm.Context {
  const ctx = vm.createContext({ hood: {} });
  vm.runInContext(DELETE_GLOBALS_SRC, ctx);
  return ctx;
}

describe('Espruino safety of the crypto bundle', () => {
  it('the sandbox really lacks every global Espruino lacks (and has its typed-array slice quirk)', () => {
    const ctx = strippedContext();
    for (const name of MISSING_ON_ESPRUINO) {
      expect(vm.runInContext('typeof ' + name, ctx), name).toBe('undefined');
    }
    expect(vm.runInContext('new Uint8Array(3).slice() instanceof Uint8Array', ctx)).toBe(false);
  });

  it('bundle (noble lowered to ES5) has no syntax Espruino cannot parse and no forbidden globals', async () => {
    const code = await bundleForEspruino(ENTRY);
    expect(espruinoSyntaxViolations(code)).toEqual([]);
    for (const word of ['BigInt', 'Symbol', 'Math.imul', 'Math.clz32', 'Array.from', 'Array.of', 'Object.freeze',
      'TextEncoder', 'TextDecoder', 'new Map', 'new Set', 'WeakMap', 'Number.isInteger', 'MAX_SAFE_INTEGER',
      'async ', 'await ', 'function*']) {
      // not preceded by an identifier character: Uint8Array.from (shimmed) is not Array.from
      const re = new RegExp('(^|[^\\w$])' + word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
      expect(re.test(code), word).toBe(false);
    }
  });

  it('without lowering, noble 2.x syntax would not parse on Espruino (why the TS pass exists)', async () => {
    const code = await bundleForEspruino(ENTRY, false);
    const v = espruinoSyntaxViolations(code).join('\n');
    expect(v).toMatch(/destructuring/);
    expect(v).toMatch(/rest parameter|spread/);
  });

  it('runs X25519, AEAD, Ed25519 verify, SHA-2, HMAC and HKDF with those globals deleted', async () => {
    const code = await bundleForEspruino(ENTRY);
    const ctx = strippedContext();
    vm.runInContext(code, ctx, { filename: 'crypto-bundle.js' });
    // The shims installed exactly what noble needs; everything else stays absent.
    expect(vm.runInContext('typeof Uint8Array.from + typeof Uint32Array.of + typeof Number.isSafeInteger', ctx)).toBe(
      'functionfunctionfunction',
    );
    expect(vm.runInContext('typeof BigInt + typeof Symbol + typeof Array.from + typeof Object.freeze', ctx)).toBe(
      'undefinedundefinedundefinedundefined',
    );
    const r = JSON.parse(vm.runInContext(PROBE, ctx) as string);
    expect(r).toEqual({
      x25519: 'c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552',
      dh: '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
      lowOrder: 'x25519: low-order peer public key (all-zero shared secret)',
      tag: '1ae10b594f09e26a7e902ecbd0600691',
      opened: true,
      tampered: null,
      badKey: 'chacha20poly1305.seal: key must be a 32-byte Uint8Array',
      edPub: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
      edOk: true,
      edBad: false,
      sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      sha512: 'ddaf35a193617abacc417349ae204131',
      hkdf: '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
      hmac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      keypair: 'de9edb7d7b7dc1b4',
      allUint8: true,
    });
  });

  it('control: noble chacha20 bundled without our shims fails in the same sandbox', async () => {
    const code = await bundleForEspruino(`
      import { chacha20 } from '@noble/ciphers/chacha.js';
      declare const hood: any;
      hood.run = function () { return chacha20(new Uint8Array(32), new Uint8Array(12), new Uint8Array(5)); };
    `);
    const ctx = strippedContext();
    expect(() => {
      vm.runInContext(code, ctx);
      vm.runInContext('hood.run()', ctx);
    }).toThrow(/Uint8Array\.from is not a function/);
  });
});
