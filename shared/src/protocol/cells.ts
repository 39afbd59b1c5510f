/**
 * Outer cells on the up/down topics (docs/protocol.md §3). Every cell is exactly `cellSize` bytes.
 *
 *   JOIN    = version | KIND_JOIN | epk[32] | AEAD(kJoin, 0^12, JOIN message padded, aad = first 34 bytes)
 *             kJoin = HKDF(X25519(esk, boxKey), salt = epk || boxKey, info = "hood/v1 join")   (paper step 2:
 *             K_BD travels sealed to the MSS public key learnt from the beacon)
 *   SESSION = version | KIND_SESSION | tag[16] | seq u32 | AEAD(dirKey, nonce(dir, seq), message padded,
 *             aad = first 22 bytes)
 * A zero nonce is safe for JOIN because the ephemeral key (hence kJoin) is fresh for every JOIN.
 * A REFUSE is a SESSION cell under the JOIN's refuse key with seq = reason (shared/src/protocol/refuse.ts).
 */
import { DecodeError, Reader, concat, utf8Encode, wipe } from '../bytes';
import { hkdfSha256, open, seal, x25519Base, x25519Shared } from '../crypto/index';
import {
  AEAD_TAG_LEN,
  EPK_LEN,
  HEADER_LEN,
  KIND_JOIN,
  KIND_SESSION,
  LABEL_JOIN,
  LABEL_REFUSE,
  MSG_JOIN,
  MSG_RESUME,
  PROTOCOL_VERSION,
  SESSION_HEADER_LEN,
  TAG_LEN,
} from './constants';
import { JoinMsg, Message, ResumeMsg, decodeMessage, encodeMessage } from './messages';

export const DIR_UP = 1;
export const DIR_DOWN = 2;

export type CellHeader = { kind: 1; epk: Uint8Array } | { kind: 2; tag: Uint8Array; seq: number };

/** Plaintext capacity of a JOIN cell and of a SESSION cell. */
export function joinCapacity(cellSize: number): number {
  return cellSize - HEADER_LEN - EPK_LEN - AEAD_TAG_LEN;
}
export function sessionCapacity(cellSize: number): number {
  return cellSize - SESSION_HEADER_LEN - AEAD_TAG_LEN;
}

/** Parse the clear header; rejects wrong size, version or kind before any crypto is spent. */
export function decodeCellHeader(cell: Uint8Array, cellSize: number): CellHeader {
  if (cell.length < cellSize) throw new DecodeError('truncated', 'cell of ' + cell.length);
  if (cell.length > cellSize) throw new DecodeError('oversized', 'cell of ' + cell.length);
  const r = new Reader(cell);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) throw new DecodeError('bad_version', String(version));
  const kind = r.u8();
  if (kind === KIND_JOIN) return { kind: KIND_JOIN, epk: r.bytes(EPK_LEN) };
  if (kind === KIND_SESSION) return { kind: KIND_SESSION, tag: r.bytes(TAG_LEN), seq: r.u32() };
  throw new DecodeError('bad_kind', String(kind));
}

function joinKey(shared: Uint8Array, epk: Uint8Array, boxKey: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concat([epk, boxKey]), utf8Encode(LABEL_JOIN), 32);
}

/**
 * The key a REFUSE to this JOIN is sealed under (docs/protocol.md §3.3): derived from the JOIN's own
 * ephemeral Diffie-Hellman, so it is fresh for every JOIN and never one of the session keys a K_BD gives.
 * A JOIN replayed after its session ended can therefore never make the MSS seal under that session's keys.
 */
function refuseKey(shared: Uint8Array, epk: Uint8Array, boxKey: Uint8Array): Uint8Array {
  return hkdfSha256(shared, concat([epk, boxKey]), utf8Encode(LABEL_REFUSE), 32);
}

const ZERO_NONCE = new Uint8Array(12);

/** A sealed JOIN and the key its REFUSE, if any, will come under (the PDA keeps it until answered). */
export interface SealedJoin {
  cell: Uint8Array;
  refuseKey: Uint8Array;
}

/** An opened JOIN and the key a REFUSE to it must be sealed under. */
export interface OpenedJoin {
  msg: JoinMsg | ResumeMsg;
  refuseKey: Uint8Array;
}

/**
 * Seal a JOIN to the MSS box key from the beacon. `ephemeralSecret` must be 32 fresh random bytes; it is wiped.
 * `ephemeralPublic`, if given, must be x25519Base(ephemeralSecret), computed ahead of time while idle
 * (firmware/src/precompute.ts); it saves one X25519 here.
 */
export function sealJoin(boxKey: Uint8Array, join: JoinMsg | ResumeMsg, cellSize: number, ephemeralSecret: Uint8Array, ephemeralPublic?: Uint8Array | null): SealedJoin {
  const epk = ephemeralPublic ? ephemeralPublic : x25519Base(ephemeralSecret);
  const shared = x25519Shared(ephemeralSecret, boxKey);
  const k = joinKey(shared, epk, boxKey);
  const rk = refuseKey(shared, epk, boxKey);
  const header = concat([new Uint8Array([PROTOCOL_VERSION, KIND_JOIN]), epk]);
  const plain = encodeMessage(join, joinCapacity(cellSize));
  const sealed = seal(k, ZERO_NONCE, plain, header);
  wipe(ephemeralSecret);
  wipe(shared);
  wipe(k);
  wipe(plain);
  return { cell: concat([header, sealed]), refuseKey: rk };
}

/** Open a JOIN with the MSS box secret. Throws DecodeError('bad_seal') if it does not authenticate. */
export function openJoin(boxSecret: Uint8Array, boxKey: Uint8Array, cell: Uint8Array, cellSize: number): OpenedJoin {
  const h = decodeCellHeader(cell, cellSize);
  if (h.kind !== KIND_JOIN) throw new DecodeError('bad_kind', 'not a JOIN');
  let shared: Uint8Array;
  try {
    shared = x25519Shared(boxSecret, h.epk);
  } catch (e) {
    throw new DecodeError('bad_point', 'low-order ephemeral key');
  }
  const k = joinKey(shared, h.epk, boxKey);
  const plain = open(k, ZERO_NONCE, cell.subarray(HEADER_LEN + EPK_LEN), cell.subarray(0, HEADER_LEN + EPK_LEN));
  wipe(k);
  if (!plain) {
    wipe(shared);
    throw new DecodeError('bad_seal');
  }
  try {
    const m = decodeMessage(plain);
    if (m.type !== MSG_JOIN && m.type !== MSG_RESUME) throw new DecodeError('bad_type', 'JOIN cell carries type ' + m.type);
    return { msg: m, refuseKey: refuseKey(shared, h.epk, boxKey) };
  } finally {
    wipe(shared);
    wipe(plain);
  }
}

function sessionNonce(dir: number, seq: number): Uint8Array {
  const n = new Uint8Array(12);
  n[0] = dir;
  n[8] = (seq >>> 24) & 255;
  n[9] = (seq >>> 16) & 255;
  n[10] = (seq >>> 8) & 255;
  n[11] = seq & 255;
  return n;
}

export function sealSession(key: Uint8Array, tag: Uint8Array, seq: number, dir: number, m: Message, cellSize: number): Uint8Array {
  if (tag.length !== TAG_LEN) throw new Error('tag must be 16 bytes');
  if (seq < 0 || seq > 0xffffffff || Math.floor(seq) !== seq) throw new Error('sequence number out of range');
  const header = new Uint8Array(SESSION_HEADER_LEN);
  header[0] = PROTOCOL_VERSION;
  header[1] = KIND_SESSION;
  header.set(tag, HEADER_LEN);
  header[18] = (seq >>> 24) & 255;
  header[19] = (seq >>> 16) & 255;
  header[20] = (seq >>> 8) & 255;
  header[21] = seq & 255;
  const plain = encodeMessage(m, sessionCapacity(cellSize));
  const sealed = seal(key, sessionNonce(dir, seq), plain, header);
  wipe(plain);
  return concat([header, sealed]);
}

/** Authenticate and decode a SESSION cell whose header was already parsed. Throws DecodeError. */
export function openSession(key: Uint8Array, cell: Uint8Array, seq: number, dir: number): Message {
  const plain = open(key, sessionNonce(dir, seq), cell.subarray(SESSION_HEADER_LEN), cell.subarray(0, SESSION_HEADER_LEN));
  if (!plain) throw new DecodeError('bad_seal');
  try {
    return decodeMessage(plain);
  } finally {
    wipe(plain);
  }
}
