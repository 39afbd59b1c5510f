/**
 * Drop-box values derived from the pickup secret Bob's PDA chooses in the session that sends mail
 * (paper §6.2; docs/mail.md §5):
 *   boxId[32] | boxKey[32] = HKDF-SHA-256(ikm = pickupSecret, salt = "", info = "hood/v1 mail box", L = 64)
 * The MSS learns boxId and boxKey at registration, the secret itself only at pickup; a copy of the
 * MSS's disk (box files named by boxId, sealed under boxKey, which is never written to disk) neither
 * reads the boxes nor lets anyone collect them.
 */
import { copyBytes, utf8Encode } from '../bytes';
import { hkdfSha256 } from '../crypto/index';
import { BOX_ID_LEN, LABEL_BOX, PICKUP_SECRET_LEN } from './constants';

export function deriveBox(secret: Uint8Array): { boxId: Uint8Array; boxKey: Uint8Array } {
  if (secret.length !== PICKUP_SECRET_LEN) throw new Error('pickup secret must be 32 bytes');
  const okm = hkdfSha256(secret, undefined, utf8Encode(LABEL_BOX), 64);
  const r = { boxId: copyBytes(okm, 0, BOX_ID_LEN), boxKey: copyBytes(okm, BOX_ID_LEN) };
  okm.fill(0);
  return r;
}
