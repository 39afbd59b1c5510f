/**
 * node:crypto (OpenSSL) behind shared/src/crypto/index.ts on the host: the MSS, the gateway's JOIN
 * scheduler, the drop box and the benchmarks then run the same AEAD, X25519 agreement and HKDF as the PDA
 * natively. The contract is the JS one, byte for byte and error for error:
 *  - every argument the JS code would refuse is handed to the JS function, which throws exactly as it
 *    always does (so messages and error classes cannot drift);
 *  - open returns null on a tag that does not verify or a too-short input (RFC 8439 §2.8), and no
 *    plaintext leaves on failure (OpenSSL decrypts before final() checks the tag; that output is wiped);
 *  - x25519Shared throws the JS error when the shared secret is all zeros (RFC 7748 §6.1); OpenSSL
 *    refuses that derivation itself, and the result is checked again in case a build does not.
 * The PDA never loads this file: the firmware bundle keeps the JS implementations.
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from 'node:crypto';
import { isAllZero } from '../../shared/src/bytes';
import { open as jsOpen, seal as jsSeal } from '../../shared/src/crypto/chacha20poly1305';
import { hkdfSha256 as jsHkdfSha256 } from '../../shared/src/crypto/hkdf';
import { setCryptoProvider, type CryptoProvider } from '../../shared/src/crypto/provider';
import { x25519Shared as jsX25519Shared } from '../../shared/src/crypto/x25519';

const TAG = 16;
const EMPTY = new Uint8Array(0);
/** node:crypto's limit on HKDF info (longer info goes to the JS code, which has none). */
const NODE_HKDF_MAX_INFO = 1024;

function isBytes(b: unknown, len?: number): b is Uint8Array {
  return b instanceof Uint8Array && (len === undefined || b.length === len);
}

function aeadArgsOk(key: unknown, nonce: unknown, data: unknown, aad: unknown): boolean {
  return isBytes(key, 32) && isBytes(nonce, 12) && isBytes(data) && (aad === undefined || isBytes(aad));
}

/** A fresh plain Uint8Array with the bytes of `b`; `b` (a Buffer node:crypto made for us) is wiped. */
function take(b: Buffer, out: Uint8Array = new Uint8Array(b.length), at = 0): Uint8Array {
  out.set(b, at);
  b.fill(0);
  return out;
}

/** ChaCha20-Poly1305 seal (RFC 8439 §2.8): ciphertext || 16-byte tag. */
function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  if (!aeadArgsOk(key, nonce, plaintext, aad)) return jsSeal(key, nonce, plaintext, aad);
  const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  c.setAAD(aad || EMPTY, { plaintextLength: plaintext.length });
  const out = new Uint8Array(plaintext.length + TAG);
  const ct = c.update(plaintext);
  take(ct, out, 0);
  take(c.final(), out, ct.length);
  out.set(c.getAuthTag(), plaintext.length);
  return out;
}

/** ChaCha20-Poly1305 open: the plaintext, or null if the input is shorter than a tag or the tag does not verify. */
function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  if (!aeadArgsOk(key, nonce, sealed, aad)) return jsOpen(key, nonce, sealed, aad);
  if (sealed.length < TAG) return null;
  const n = sealed.length - TAG;
  const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: TAG });
  d.setAAD(aad || EMPTY, { plaintextLength: n });
  d.setAuthTag(sealed.subarray(n));
  const plain = d.update(sealed.subarray(0, n));
  try {
    d.final();
  } catch {
    plain.fill(0);
    return null;
  }
  return take(plain);
}

function b64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('base64url');
}

/**
 * X25519 agreement (RFC 7748 §5, §6.1). Keys enter OpenSSL as JWK: its raw-key path is an order of
 * magnitude cheaper than the DER decoders (docs/crypto-speed.md). Node reads only `d` of a private OKP
 * JWK and derives the public half itself, so `x` is left empty. The secret passes through a base64
 * string, which cannot be wiped: on the host the only secret that comes here in service is the MSS's
 * long-term box key (openJoin), which the process holds for its lifetime anyway.
 */
function x25519Shared(secretKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  if (!isBytes(secretKey, 32) || !isBytes(peerPublic, 32)) return jsX25519Shared(secretKey, peerPublic);
  const privateKey = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: b64url(secretKey), x: '' }, format: 'jwk' });
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64url(peerPublic) }, format: 'jwk' });
  let s: Buffer;
  try {
    s = diffieHellman({ privateKey, publicKey });
  } catch {
    // OpenSSL fails the derivation exactly when the result is all zeros (low-order peer key).
    s = Buffer.alloc(32);
  }
  if (s.length !== 32 || isAllZero(s)) {
    s.fill(0);
    throw new Error('x25519: low-order peer public key (all-zero shared secret)');
  }
  return take(s);
}

/** HKDF-SHA-256 (RFC 5869); an empty or absent salt is HashLen zero bytes in both (§2.2). */
function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  if (
    !isBytes(ikm) ||
    (salt !== undefined && !isBytes(salt)) ||
    !isBytes(info) ||
    info.length > NODE_HKDF_MAX_INFO ||
    typeof length !== 'number' ||
    Math.floor(length) !== length ||
    length < 1 ||
    length > 255 * 32
  ) {
    return jsHkdfSha256(ikm, salt, info, length);
  }
  return new Uint8Array(hkdfSync('sha256', ikm, salt || EMPTY, info, length));
}

/** The node:crypto implementations, for tests and benchmarks that compare them with the JS ones. */
export const nativeCrypto: CryptoProvider = { seal, open, x25519Shared, hkdfSha256 };

/** Run index.ts's hot primitives on node:crypto from now on in this process (idempotent). */
export function installNativeCrypto(): void {
  setCryptoProvider(nativeCrypto);
}
