/**
 * age v1 encryption to X25519 recipients and decryption with X25519 identities (C2SP age), small
 * enough for the PDA. Scalar multiplications (slow on Espruino) per call:
 *   encrypt: 2 per recipient (ephemeral share, shared secret);
 *   decrypt: 1 per X25519 stanza tried per identity — the caller passes each identity's public key
 *            (needed for the HKDF salt) so it is not recomputed.
 */
import { DecodeError, concat, equalBytes, isAllZero, utf8Encode, wipe } from '../bytes';
import { hkdfSha256, hmacSha256, open, seal, x25519, x25519Base } from '../crypto/index';
import { b64DecodeRaw, b64EncodeRaw } from './base64';
import { headerMacInput, parseHeader, type Stanza } from './header';
import { decryptPayload, encryptPayload, PAYLOAD_NONCE_LEN } from './stream';

const X25519_INFO = 'age-encryption.org/v1/X25519';
const FILE_KEY_LEN = 16;
const ZERO_NONCE = new Uint8Array(12);

export interface AgeIdentity {
  secretKey: Uint8Array;
  /** X25519(secretKey, 9), kept alongside so decryption costs one scalar multiplication. */
  publicKey: Uint8Array;
}

function wrapKey(shared: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concat([share, recipient]), utf8Encode(X25519_INFO), 32);
}

function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Uint8Array {
  const k = hkdfSha256(fileKey, undefined, utf8Encode('header'), 32);
  const m = hmacSha256(k, macInput);
  wipe(k);
  return m;
}

/**
 * Encrypt `plaintext` to X25519 recipients (32-byte public keys). `random(n)` must be a CSPRNG
 * (board.random on the PDA). Returns the binary age file.
 */
export function ageEncrypt(recipients: Uint8Array[], plaintext: Uint8Array, random: (n: number) => Uint8Array): Uint8Array {
  if (recipients.length < 1) throw new Error('age: no recipient');
  const fileKey = random(FILE_KEY_LEN);
  const stanzas: Stanza[] = [];
  for (let i = 0; i < recipients.length; i++) {
    const r = recipients[i];
    if (r.length !== 32) throw new Error('age: recipient must be 32 bytes');
    // A fresh ephemeral secret per stanza and per file (spec: "MUST be generated for each stanza and each file").
    const eph = random(32);
    const share = x25519Base(eph);
    const shared = x25519(eph, r);
    wipe(eph);
    if (isAllZero(shared)) throw new DecodeError('bad_recipient', 'low-order recipient key');
    const k = wrapKey(shared, share, r);
    wipe(shared);
    stanzas.push({ args: ['X25519', b64EncodeRaw(share)], body: seal(k, ZERO_NONCE, fileKey) });
    wipe(k);
  }
  const macInput = headerMacInput(stanzas);
  const mac = headerMac(fileKey, macInput);
  const header = concat([macInput, utf8Encode(' ' + b64EncodeRaw(mac) + '\n')]);
  const payload = encryptPayload(fileKey, random(PAYLOAD_NONCE_LEN), plaintext);
  wipe(fileKey);
  return concat([header, payload]);
}

/** Try each X25519 stanza with each identity; returns the file key or null. */
function unwrapX25519(stanzas: Stanza[], identities: AgeIdentity[]): Uint8Array | null {
  for (let i = 0; i < stanzas.length; i++) {
    const s = stanzas[i];
    if (s.args[0] !== 'X25519') continue; // spec: ignore unrecognised stanzas
    if (s.args.length !== 2) throw new DecodeError('bad_age_header', 'X25519 stanza needs 2 arguments');
    const share = b64DecodeRaw(s.args[1]);
    if (share.length !== 32) throw new DecodeError('bad_age_header', 'X25519 share length');
    // Checked before any decryption, against partitioning oracles (spec).
    if (s.body.length !== FILE_KEY_LEN + 16) throw new DecodeError('bad_age_header', 'X25519 body length');
    for (let j = 0; j < identities.length; j++) {
      const id = identities[j];
      const shared = x25519(id.secretKey, share);
      if (isAllZero(shared)) throw new DecodeError('bad_age_header', 'low-order ephemeral share');
      const k = wrapKey(shared, share, id.publicKey);
      wipe(shared);
      const fk = open(k, ZERO_NONCE, s.body);
      wipe(k);
      if (fk) return fk;
    }
  }
  return null;
}

/** Decrypt a binary age file. Throws DecodeError: bad_age_header, no_identity_matched, bad_age_mac, bad_age_payload. */
export function ageDecrypt(file: Uint8Array, identities: AgeIdentity[], maxBytes?: number): Uint8Array {
  if (maxBytes !== undefined && file.length > maxBytes) throw new DecodeError('too_long', 'age file of ' + file.length + ' bytes');
  const h = parseHeader(file);
  const fileKey = unwrapX25519(h.stanzas, identities);
  if (!fileKey) throw new DecodeError('no_identity_matched', 'no identity matched any recipient stanza');
  try {
    const mac = headerMac(fileKey, h.macInput);
    const ok = equalBytes(mac, h.mac);
    wipe(mac);
    if (!ok) throw new DecodeError('bad_age_mac', 'header MAC does not verify');
    return decryptPayload(fileKey, file.subarray(h.payloadOffset));
  } finally {
    wipe(fileKey);
  }
}

/** Identity from a 32-byte secret (one scalar multiplication). */
export function ageIdentityFromSecret(secretKey: Uint8Array): AgeIdentity {
  return { secretKey: secretKey, publicKey: x25519Base(secretKey) };
}
