/**
 * Which implementation stands behind the hot primitives of index.ts: by default the pure-JS ones of
 * this directory (the code the PDA runs under Espruino); a host may install others with exactly the
 * same contract — same outputs, same null on a failed AEAD tag (RFC 8439 §2.8), same exceptions on
 * bad lengths and on an all-zero X25519 shared secret (RFC 7748 §6.1). host/crypto/native.ts installs
 * node:crypto. Only what the MSS runs per cell or per JOIN is here; the rest of index.ts is JS always.
 */
import { open, seal } from './chacha20poly1305';
import { hkdfSha256 } from './hkdf';
import { x25519Shared } from './x25519';

export interface CryptoProvider {
  seal: typeof seal;
  open: typeof open;
  x25519Shared: typeof x25519Shared;
  hkdfSha256: typeof hkdfSha256;
}

/** The implementations in use. index.ts looks each one up here on every call. */
export const provider: CryptoProvider = { seal: seal, open: open, x25519Shared: x25519Shared, hkdfSha256: hkdfSha256 };

/** Put `p` behind index.ts from the next call on (the object itself is not kept). */
export function setCryptoProvider(p: CryptoProvider): void {
  provider.seal = p.seal;
  provider.open = p.open;
  provider.x25519Shared = p.x25519Shared;
  provider.hkdfSha256 = p.hkdfSha256;
}
