/**
 * HMAC-SHA-256 (RFC 2104, FIPS 198-1) over our own sha256. Keys longer than the 64-byte block
 * are hashed first (RFC 2104 §2); shorter keys are zero-padded. Key pads are wiped after use.
 */
import { sha256 } from './sha256';
import { concat, wipe } from '../bytes';

const BLOCK = 64;

export function hmacSha256(key: Uint8Array, msg: Uint8Array): Uint8Array {
  if (!(key instanceof Uint8Array)) throw new TypeError('hmacSha256: key must be a Uint8Array');
  if (!(msg instanceof Uint8Array)) throw new TypeError('hmacSha256: msg must be a Uint8Array');
  const k0 = new Uint8Array(BLOCK);
  if (key.length > BLOCK) {
    const kh = sha256(key);
    k0.set(kh);
    wipe(kh);
  } else k0.set(key);
  const ipad = new Uint8Array(BLOCK);
  const opad = new Uint8Array(BLOCK);
  for (let i = 0; i < BLOCK; i++) {
    ipad[i] = k0[i] ^ 0x36;
    opad[i] = k0[i] ^ 0x5c;
  }
  const innerIn = concat([ipad, msg]);
  const inner = sha256(innerIn);
  const outerIn = concat([opad, inner]);
  const out = sha256(outerIn);
  wipe(k0);
  wipe(ipad);
  wipe(opad);
  wipe(innerIn);
  wipe(inner);
  wipe(outerIn);
  return out;
}
