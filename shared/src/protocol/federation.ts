/**
 * FEDERATION MEMBERSHIP CERTIFICATE (beacon extension 4; docs/protocol.md §2, docs/federation.md).
 *
 * MSSs that trust each other form a federation so a PDA can move its session from one MSS to another
 * (paper §6.3, hand-off of anonymous senders). The federation key vouches for each member's identity key:
 *
 *   value:  name vbytes8 (1..32 of a-z 0-9 -) | federationKey[32] (Ed25519) | sig[64]
 *   sig:    Ed25519 (RFC 8032) by federationKey over
 *           "hood/v1 federation member" | name vbytes8 | mssId vbytes8 | identityKey[32]
 *
 * The certificate binds the federation name too, so a key that signs for two federations cannot have
 * one federation's certificate passed off as the other's. Runs on the PDA (Espruino): no Map, no `?` in regexes.
 */
import { DecodeError, Reader, Writer, concat, utf8Decode, utf8Encode } from '../bytes';
import { ed25519Verify } from '../crypto/index';
import { isOf } from '../text';
import { MAX_MSS_ID_LEN } from './constants';
import { isValidMssId } from './topics';

export const LABEL_FEDERATION_MEMBER = 'hood/v1 federation member';
export const MAX_FEDERATION_NAME_LEN = 32;
/** Certificate length without the name: its length byte, the federation key and the signature. */
export const MEMBER_CERT_FIXED_LEN = 1 + 32 + 64;

export interface MemberCert {
  name: string;
  federationKey: Uint8Array;
  sig: Uint8Array;
}

const NAME_CHAR = /[a-z0-9-]/;

/** Federation names: 1..32 of a-z 0-9 - (checked per character: Espruino regexes have no counted repetition). */
export function isValidFederationName(name: unknown): boolean {
  return isOf(name, NAME_CHAR, 1, MAX_FEDERATION_NAME_LEN);
}

export function encodeMemberCert(c: MemberCert): Uint8Array {
  if (!isValidFederationName(c.name)) throw new Error('invalid federation name');
  if (c.federationKey.length !== 32) throw new Error('federation key must be 32 bytes');
  if (c.sig.length !== 64) throw new Error('signature must be 64 bytes');
  return new Writer().vbytes8(utf8Encode(c.name)).bytes(c.federationKey).bytes(c.sig).finish();
}

/** Strict decode: bounded name of the allowed characters, exact key and signature lengths, nothing after. */
export function decodeMemberCert(bytes: Uint8Array): MemberCert {
  if (bytes.length > MEMBER_CERT_FIXED_LEN + MAX_FEDERATION_NAME_LEN) throw new DecodeError('oversized', 'federation cert');
  const r = new Reader(bytes);
  const raw = r.vbytes8(MAX_FEDERATION_NAME_LEN);
  // Names are ASCII, so any byte outside the class is refused before UTF-8 decoding could widen it.
  for (let i = 0; i < raw.length; i++) if (raw[i] > 0x7e) throw new DecodeError('bad_federation_name');
  const name = utf8Decode(raw);
  if (!isValidFederationName(name)) throw new DecodeError('bad_federation_name');
  const federationKey = r.bytes(32);
  const sig = r.bytes(64);
  r.end();
  return { name: name, federationKey: federationKey, sig: sig };
}

/** The message the federation key signs for one member (a fixed label: not reusable in another context). */
export function memberSigningInput(name: string, mssId: string, identityKey: Uint8Array): Uint8Array {
  if (!isValidFederationName(name)) throw new Error('invalid federation name');
  if (!isValidMssId(mssId) || mssId.length > MAX_MSS_ID_LEN) throw new Error('invalid MSS id');
  if (identityKey.length !== 32) throw new Error('identity key must be 32 bytes');
  const body = new Writer().vbytes8(utf8Encode(name)).vbytes8(utf8Encode(mssId)).bytes(identityKey).finish();
  return concat([utf8Encode(LABEL_FEDERATION_MEMBER), body]);
}

/** Does `cert` vouch, under its own federation key, for this (mssId, identityKey)? Never throws. */
export function verifyMemberCert(cert: MemberCert, mssId: string, identityKey: Uint8Array): boolean {
  if (!cert || !cert.federationKey || !cert.sig || cert.federationKey.length !== 32 || cert.sig.length !== 64) return false;
  let msg: Uint8Array;
  try {
    msg = memberSigningInput(cert.name, mssId, identityKey);
  } catch (e) {
    return false;
  }
  return ed25519Verify(cert.sig, msg, cert.federationKey);
}
