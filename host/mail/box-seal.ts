/**
 * Sealing a drop-box entry when the MSS no longer holds the box's key (docs/mail.md §5, "Restart"). boxKey
 * lives in RAM only; what survives a restart is the box's registration with a public key derived from
 * boxKey (the MSS computes it at BOX, the PDA need not). After a restart an entry is sealed to that public
 * key, and opened at PICKUP, where the PDA's secret gives boxKey, and so the private key, back:
 *
 *   sealSecret = HKDF-SHA-256(ikm = boxKey, salt = "", info = "hood/v1 box seal key", L = 32)
 *   sealPublic = X25519(sealSecret, 9)                                          (RFC 7748 §6.1)
 *   entry      = epk[32] | ChaCha20-Poly1305(key, nonce 0¹², age, aad = boxId)
 *   key        = HKDF-SHA-256(ikm = X25519(eph, sealPublic), salt = epk | sealPublic, info = "hood/v1 box seal", L = 32)
 *
 * A fresh ephemeral key per entry, so the zero nonce never repeats under a key (RFC 8439 §4).
 */
import { randomBytes } from 'node:crypto';
import { concat, utf8Encode, wipe } from '../../shared/src/bytes';
import { hkdfSha256, open, seal, x25519Shared } from '../../shared/src/crypto/index';

const BASE = new Uint8Array(32);
BASE[0] = 9;
const NONCE = new Uint8Array(12);
const KEY_INFO = utf8Encode('hood/v1 box seal key');
const SEAL_INFO = utf8Encode('hood/v1 box seal');

function sealSecret(boxKey: Uint8Array): Uint8Array {
  return hkdfSha256(boxKey, undefined, KEY_INFO, 32);
}

/** The public key a box's entries are sealed to after a restart. */
export function boxSealPublic(boxKey: Uint8Array): Uint8Array {
  const s = sealSecret(boxKey);
  try {
    return x25519Shared(s, BASE);
  } finally {
    wipe(s);
  }
}

/** An entry sealed to `sealPublic` (no secret needed). */
export function sealToBox(sealPublic: Uint8Array, boxId: Uint8Array, age: Uint8Array): Uint8Array {
  const eph = new Uint8Array(randomBytes(32));
  try {
    const epk = x25519Shared(eph, BASE);
    const dh = x25519Shared(eph, sealPublic);
    const key = hkdfSha256(dh, concat([epk, sealPublic]), SEAL_INFO, 32);
    wipe(dh);
    const out = concat([epk, seal(key, NONCE, age, boxId)]);
    wipe(key);
    return out;
  } finally {
    wipe(eph);
  }
}

/** The age file of an entry sealed by sealToBox, or null (not for this box, or altered). */
export function openFromBox(boxKey: Uint8Array, boxId: Uint8Array, entry: Uint8Array): Uint8Array | null {
  if (entry.length < 32 + 16) return null;
  const s = sealSecret(boxKey);
  try {
    const pub = x25519Shared(s, BASE);
    const epk = entry.subarray(0, 32);
    let dh: Uint8Array;
    try {
      dh = x25519Shared(s, epk);
    } catch {
      return null; // a low-order epk: not one we wrote
    }
    const key = hkdfSha256(dh, concat([epk, pub]), SEAL_INFO, 32);
    wipe(dh);
    const age = open(key, NONCE, entry.subarray(32), boxId);
    wipe(key);
    return age;
  } finally {
    wipe(s);
  }
}
