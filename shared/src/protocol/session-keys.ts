/**
 * Session key schedule (docs/protocol.md §6). Bob's PDA chooses K_BD (paper step 2); both sides
 * derive, with HKDF-SHA-256 (RFC 5869), one key per direction and the two routing tags:
 *   upKey | downKey | upTag | downTag = HKDF(ikm = K_BD, salt = "", info = "hood/v1 session", 96)
 * The uplink tag lets the MSS find the session without trial decryption; the downlink tag names the
 * session's own downlink topic. Both are fresh for every K_BD, so sessions cannot be linked by them.
 */
import { copyBytes, utf8Encode, wipe } from '../bytes';
import { hkdfSha256 } from '../crypto/index';
import { KBD_LEN, LABEL_SESSION, TAG_LEN } from './constants';

export interface SessionKeys {
  upKey: Uint8Array;
  downKey: Uint8Array;
  upTag: Uint8Array;
  downTag: Uint8Array;
}

export function deriveSessionKeys(kbd: Uint8Array): SessionKeys {
  if (kbd.length !== KBD_LEN) throw new Error('K_BD must be 32 bytes');
  const okm = hkdfSha256(kbd, new Uint8Array(0), utf8Encode(LABEL_SESSION), 64 + 2 * TAG_LEN);
  const keys = {
    upKey: copyBytes(okm, 0, 32),
    downKey: copyBytes(okm, 32, 64),
    upTag: copyBytes(okm, 64, 64 + TAG_LEN),
    downTag: copyBytes(okm, 64 + TAG_LEN, 64 + 2 * TAG_LEN),
  };
  wipe(okm);
  return keys;
}

export function wipeSessionKeys(k: SessionKeys | null | undefined): void {
  if (!k) return;
  wipe(k.upKey);
  wipe(k.downKey);
  wipe(k.upTag);
  wipe(k.downTag);
}
