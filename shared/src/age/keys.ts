/**
 * age X25519 key encodings (C2SP age, "The X25519 recipient type"): a recipient is the 32-byte
 * X25519 public key in Bech32 with HRP `age`; an identity is the 32-byte secret in upper-case Bech32
 * with HRP `AGE-SECRET-KEY-`.
 */
import { DecodeError, wipe } from '../bytes';
import { bech32Decode, bech32Encode } from './bech32';

const RECIPIENT_HRP = 'age';
const IDENTITY_HRP = 'age-secret-key-';

/** `age1…` -> 32-byte public key. Throws DecodeError('bad_recipient') with a reason. */
export function parseRecipient(s: string): Uint8Array {
  let d: { hrp: string; data: Uint8Array };
  try {
    d = bech32Decode(s);
  } catch (e) {
    throw new DecodeError('bad_recipient', (e as Error).message);
  }
  if (d.hrp !== RECIPIENT_HRP) throw new DecodeError('bad_recipient', 'not an age X25519 recipient (hrp ' + d.hrp + ')');
  if (s !== s.toLowerCase()) throw new DecodeError('bad_recipient', 'recipients are lower case');
  if (d.data.length !== 32) throw new DecodeError('bad_recipient', 'key length ' + d.data.length);
  return d.data;
}

export function encodeRecipient(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  return bech32Encode(RECIPIENT_HRP, publicKey);
}

/** `AGE-SECRET-KEY-1…` -> 32-byte secret. Throws DecodeError('bad_identity'). */
export function parseIdentity(s: string): Uint8Array {
  let d: { hrp: string; data: Uint8Array };
  try {
    d = bech32Decode(s);
  } catch (e) {
    throw new DecodeError('bad_identity', (e as Error).message);
  }
  if (d.hrp !== IDENTITY_HRP) throw new DecodeError('bad_identity', 'not an age X25519 identity');
  if (d.data.length !== 32) {
    wipe(d.data);
    throw new DecodeError('bad_identity', 'key length');
  }
  return d.data;
}

export function encodeIdentity(secretKey: Uint8Array): string {
  if (secretKey.length !== 32) throw new Error('X25519 secret key must be 32 bytes');
  return bech32Encode(IDENTITY_HRP, secretKey).toUpperCase();
}
