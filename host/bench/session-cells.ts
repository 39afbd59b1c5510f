/**
 * SESSION cells for `hood bench mss`, sealed and opened with node:crypto's ChaCha20-Poly1305 (RFC 8439) from a
 * session's keys, byte for byte what shared/src/protocol/cells.ts sealSession/openSession produce
 * (docs/protocol.md §3.2: version | KIND_SESSION | tag[16] | seq u32 | AEAD(dirKey, nonce(dir, seq), message
 * padded, aad = the 22-byte header)). The PDA side seals in JavaScript as an ESP32 would; a load generator
 * standing for a hundred PDAs must not, or it measures itself.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AEAD_TAG_LEN, KIND_SESSION, PROTOCOL_VERSION, SESSION_HEADER_LEN, TAG_LEN } from '../../shared/src/protocol/constants';

/** The AEAD nonce of a SESSION cell: direction in byte 0, sequence number big-endian in bytes 8..11 (§3.2). */
function nonce(dir: number, seq: number): Buffer {
  const n = Buffer.alloc(12);
  n[0] = dir;
  n.writeUInt32BE(seq, 8);
  return n;
}

/** Seal an encoded, padded message (encodeMessage(m, sessionCapacity(cellSize))) into one SESSION cell. */
export function sealSessionNative(key: Uint8Array, tag: Uint8Array, seq: number, dir: number, plain: Uint8Array): Buffer {
  if (tag.length !== TAG_LEN) throw new Error('tag must be 16 bytes');
  const cell = Buffer.allocUnsafe(SESSION_HEADER_LEN + plain.length + AEAD_TAG_LEN);
  cell[0] = PROTOCOL_VERSION;
  cell[1] = KIND_SESSION;
  cell.set(tag, 2);
  cell.writeUInt32BE(seq, 2 + TAG_LEN);
  const c = createCipheriv('chacha20-poly1305', key, nonce(dir, seq), { authTagLength: AEAD_TAG_LEN });
  c.setAAD(cell.subarray(0, SESSION_HEADER_LEN), { plaintextLength: plain.length });
  const n = c.update(plain).copy(cell, SESSION_HEADER_LEN);
  c.final();
  c.getAuthTag().copy(cell, SESSION_HEADER_LEN + n);
  return cell;
}

/**
 * Open a SESSION cell under `key` in direction `dir`, its sequence number read from its header. null if it is
 * not a SESSION cell of `cellSize` bytes or does not authenticate.
 */
export function openSessionNative(key: Uint8Array, cell: Uint8Array, dir: number, cellSize: number): Buffer | null {
  if (cell.length !== cellSize || cell[0] !== PROTOCOL_VERSION || cell[1] !== KIND_SESSION) return null;
  const b = Buffer.from(cell.buffer, cell.byteOffset, cell.length);
  const seq = b.readUInt32BE(2 + TAG_LEN);
  const end = cell.length - AEAD_TAG_LEN;
  const d = createDecipheriv('chacha20-poly1305', key, nonce(dir, seq), { authTagLength: AEAD_TAG_LEN });
  d.setAAD(b.subarray(0, SESSION_HEADER_LEN), { plaintextLength: end - SESSION_HEADER_LEN });
  d.setAuthTag(b.subarray(end));
  const plain = d.update(b.subarray(SESSION_HEADER_LEN, end));
  try {
    d.final();
  } catch {
    return null;
  }
  return plain;
}
