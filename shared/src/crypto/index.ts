/** Public crypto API shared by the PDA (Espruino) and the host. One primitive per file. */
export { sha256 } from './sha256';
export { sha512 } from './sha512';
export { hmacSha256 } from './hmac';
export { hkdfSha256, hkdfExtract, hkdfExpand } from './hkdf';
export { x25519, x25519Base, x25519Keypair, x25519Shared } from './x25519';
export type { X25519Keypair } from './x25519';
export { ed25519Verify, ed25519PublicKey } from './ed25519';
export { seal, open, KEY_LENGTH, NONCE_LENGTH, TAG_LENGTH } from './chacha20poly1305';
