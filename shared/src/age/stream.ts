/**
 * The age payload (C2SP age, "Payload"): a 16-byte nonce, then the plaintext in 64 KiB chunks, each
 * sealed with ChaCha20-Poly1305 under HKDF(file key, salt = nonce, "payload"); the 12-byte AEAD nonce
 * is an 11-byte big-endian chunk counter and a last-chunk flag (0x01 on the final chunk). This is the
 * STREAM construction: truncation, reordering and extension are all detected.
 */
import { DecodeError, concat, utf8Encode, wipe } from '../bytes';
import { hkdfSha256, open, seal } from '../crypto/index';

export const CHUNK_SIZE = 65536;
const TAG = 16;
export const PAYLOAD_NONCE_LEN = 16;

function chunkNonce(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  // Counter fits 32 bits for any file we handle (bounded by the caller's size limit).
  n[7] = (counter >>> 24) & 255;
  n[8] = (counter >>> 16) & 255;
  n[9] = (counter >>> 8) & 255;
  n[10] = counter & 255;
  n[11] = last ? 1 : 0;
  return n;
}

function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdfSha256(fileKey, nonce, utf8Encode('payload'), 32);
}

export function encryptPayload(fileKey: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const key = payloadKey(fileKey, nonce);
  const parts: Uint8Array[] = [nonce];
  let counter = 0;
  let off = 0;
  // An empty plaintext is one empty final chunk; otherwise the final chunk is non-empty.
  for (;;) {
    const end = Math.min(off + CHUNK_SIZE, plaintext.length);
    const last = end === plaintext.length;
    parts.push(seal(key, chunkNonce(counter, last), plaintext.subarray(off, end)));
    counter++;
    off = end;
    if (last) break;
  }
  wipe(key);
  return concat(parts);
}

export function decryptPayload(fileKey: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length < PAYLOAD_NONCE_LEN + TAG) throw new DecodeError('bad_age_payload', 'truncated');
  const key = payloadKey(fileKey, payload.subarray(0, PAYLOAD_NONCE_LEN));
  const out: Uint8Array[] = [];
  let off = PAYLOAD_NONCE_LEN;
  let counter = 0;
  try {
    for (;;) {
      const end = Math.min(off + CHUNK_SIZE + TAG, payload.length);
      const last = end === payload.length;
      if (end - off < TAG) throw new DecodeError('bad_age_payload', 'truncated chunk');
      if (last && counter > 0 && end - off === TAG) throw new DecodeError('bad_age_payload', 'empty final chunk');
      const p = open(key, chunkNonce(counter, last), payload.subarray(off, end));
      if (!p) throw new DecodeError('bad_age_payload', last ? 'final chunk does not authenticate' : 'chunk does not authenticate');
      out.push(p);
      counter++;
      off = end;
      if (last) break;
    }
  } finally {
    wipe(key);
  }
  return concat(out);
}
