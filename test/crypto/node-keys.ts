/** Raw 32-byte keys <-> node:crypto KeyObjects (fixed DER prefixes of RFC 8410). */
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';

const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');
const ED25519_PKCS8 = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI = Buffer.from('302a300506032b6570032100', 'hex');

export function x25519Private(raw: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8, raw]), format: 'der', type: 'pkcs8' });
}
export function x25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([X25519_SPKI, raw]), format: 'der', type: 'spki' });
}
export function ed25519Private(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8, seed]), format: 'der', type: 'pkcs8' });
}
export function ed25519Public(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI, raw]), format: 'der', type: 'spki' });
}
/** Raw public key bytes of a KeyObject (last 32 bytes of its SPKI). */
export function rawPublic(k: KeyObject): Uint8Array {
  const der = (k.type === 'private' ? createPublicKey(k) : k).export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}
