/**
 * Session key schedule (docs/protocol.md §6). Bob's PDA chooses K_BD (paper step 2); both sides
 * derive, with HKDF-SHA-256 (RFC 5869), one key per direction and the two routing tags:
 *   upKey | downKey | upTag | downTag = HKDF(ikm = K_BD, salt = context, info = "hood/v1 session", 96)
 * context is what makes the key set unique even if a K_BD ever came twice: the JOIN's ephemeral public
 * key (epk) for the keys a JOIN introduces, the uplink tag of the keys it replaces for a REKEY. The MSS
 * admits a JOIN at most once and replaces a key set at most once, so it never seals under one key set twice
 * from seq 0 (§3.4). The uplink tag lets the MSS find the session without trial decryption; the downlink
 * tag names the session's own downlink topic. Both are fresh for every key set, so sessions cannot be
 * linked by them.
 */
import { copyBytes, utf8Encode, wipe } from '../bytes';
import { hkdfSha256 } from '../crypto/index';
import { EPK_LEN, KBD_LEN, LABEL_KBD_ID, LABEL_SESSION, TAG_LEN } from './constants';

export interface SessionKeys {
  upKey: Uint8Array;
  downKey: Uint8Array;
  upTag: Uint8Array;
  downTag: Uint8Array;
}

/** The key set for K_BD introduced by `context`: a JOIN's epk (32 bytes) or the replaced key set's upTag (16). */
export function deriveSessionKeys(kbd: Uint8Array, context: Uint8Array): SessionKeys {
  if (kbd.length !== KBD_LEN) throw new Error('K_BD must be 32 bytes');
  if (context.length !== EPK_LEN && context.length !== TAG_LEN) throw new Error('key context must be an epk or an uplink tag');
  const okm = hkdfSha256(kbd, context, utf8Encode(LABEL_SESSION), 64 + 2 * TAG_LEN);
  const keys = {
    upKey: copyBytes(okm, 0, 32),
    downKey: copyBytes(okm, 32, 64),
    upTag: copyBytes(okm, 64, 64 + TAG_LEN),
    downTag: copyBytes(okm, 64 + TAG_LEN, 64 + 2 * TAG_LEN),
  };
  wipe(okm);
  return keys;
}

/**
 * A fingerprint of K_BD alone (16 bytes), by which the MSS sees the paper's "K_BD already in use" (step 2)
 * although key sets are per JOIN. One-way: it reveals nothing about the keys.
 */
export function kbdFingerprint(kbd: Uint8Array): Uint8Array {
  if (kbd.length !== KBD_LEN) throw new Error('K_BD must be 32 bytes');
  return hkdfSha256(kbd, new Uint8Array(0), utf8Encode(LABEL_KBD_ID), TAG_LEN);
}

export function wipeSessionKeys(k: SessionKeys | null | undefined): void {
  if (!k) return;
  wipe(k.upKey);
  wipe(k.downKey);
  wipe(k.upTag);
  wipe(k.downTag);
}
