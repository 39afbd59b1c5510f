/**
 * Public crypto API shared by the PDA (Espruino) and the host. One primitive per file; the hot ones
 * (AEAD, X25519 agreement, HKDF) are called through provider.ts so a host can run them natively.
 */
import { provider } from './provider';

export { sha256 } from './sha256';
export { sha512 } from './sha512';
export { hmacSha256 } from './hmac';
export { hkdfExtract, hkdfExpand } from './hkdf';
export { x25519, x25519Base, x25519Keypair } from './x25519';
export type { X25519Keypair } from './x25519';
export { ed25519Verify, ed25519PublicKey } from './ed25519';
export { KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './chacha20poly1305';

/** ChaCha20-Poly1305 seal (RFC 8439 §2.8): ciphertext || 16-byte tag. */
export function seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad?: Uint8Array): Uint8Array {
  return provider.seal(key, nonce, plaintext, aad);
}

/** ChaCha20-Poly1305 open: the plaintext, or null if the tag does not verify. */
export function open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, aad?: Uint8Array): Uint8Array | null {
  return provider.open(key, nonce, sealed, aad);
}

/** X25519 agreement; throws on an all-zero result (low-order peer key, RFC 7748 §6.1). */
export function x25519Shared(secretKey: Uint8Array, peerPublic: Uint8Array): Uint8Array {
  return provider.x25519Shared(secretKey, peerPublic);
}

/** HKDF-SHA-256 (RFC 5869). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  return provider.hkdfSha256(ikm, salt, info, length);
}
