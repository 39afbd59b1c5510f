/**
 * BEACON (paper step 1: the MSS advertises its public key; docs/protocol.md §2).
 *
 *   signed part:  version u8 | mssId vbytes8 | identityKey[32] (Ed25519) | boxKey[32] (X25519)
 *                 | cellSize u16 | issuedAt u32 | extCount u8 | ext* (type u8, value vbytes16)
 *   signature:    64 bytes, Ed25519 by identityKey over LABEL_BEACON_SIG || signed part
 *   freshness:    beaconNonce[8], rotated every beacon period and echoed in JOIN; it is not signed
 *                 (altering it only makes JOINs fail, which an on-path attacker can do anyway).
 */
import { DecodeError, Reader, Writer, concat, copyBytes, utf8Decode, utf8Encode, equalBytes } from '../bytes';
import { ed25519Verify } from '../crypto/index';
import {
  BEACON_NONCE_LEN,
  LABEL_BEACON_SIG,
  MAX_CELL_SIZE,
  MAX_MSS_ID_LEN,
  MIN_CELL_SIZE,
  PROTOCOL_VERSION,
} from './constants';
import { isValidMssId } from './topics';

export interface BeaconExtension {
  type: number;
  value: Uint8Array;
}

export interface BeaconBody {
  mssId: string;
  identityKey: Uint8Array;
  boxKey: Uint8Array;
  cellSize: number;
  issuedAt: number;
  extensions: BeaconExtension[];
}

export interface Beacon extends BeaconBody {
  /** The exact signed bytes (so a PDA can cache a verification by comparing them). */
  signed: Uint8Array;
  signature: Uint8Array;
  beaconNonce: Uint8Array;
}

const MAX_EXTENSIONS = 16;
const MAX_EXT_LEN = 1024;
export const MAX_BEACON_LEN = 1 + 1 + MAX_MSS_ID_LEN + 64 + 2 + 4 + 1 + MAX_EXTENSIONS * (3 + MAX_EXT_LEN) + 64 + BEACON_NONCE_LEN;

/** The bytes the MSS signs. */
export function encodeBeaconBody(b: BeaconBody): Uint8Array {
  if (!isValidMssId(b.mssId)) throw new Error('invalid MSS id');
  if (b.identityKey.length !== 32 || b.boxKey.length !== 32) throw new Error('keys must be 32 bytes');
  if (b.cellSize < MIN_CELL_SIZE || b.cellSize > MAX_CELL_SIZE) throw new Error('cell size out of range');
  if (b.extensions.length > MAX_EXTENSIONS) throw new Error('too many beacon extensions');
  const w = new Writer()
    .u8(PROTOCOL_VERSION)
    .vbytes8(utf8Encode(b.mssId))
    .bytes(b.identityKey)
    .bytes(b.boxKey)
    .u16(b.cellSize)
    .u32(b.issuedAt)
    .u8(b.extensions.length);
  for (let i = 0; i < b.extensions.length; i++) {
    const e = b.extensions[i];
    if (e.value.length > MAX_EXT_LEN) throw new Error('beacon extension too long');
    w.u8(e.type).vbytes16(e.value);
  }
  return w.finish();
}

/** The message the identity key signs: a fixed label, so the signature cannot be replayed in another context. */
export function beaconSigningInput(signed: Uint8Array): Uint8Array {
  return concat([utf8Encode(LABEL_BEACON_SIG), signed]);
}

export function assembleBeacon(signed: Uint8Array, signature: Uint8Array, beaconNonce: Uint8Array): Uint8Array {
  if (signature.length !== 64) throw new Error('signature must be 64 bytes');
  if (beaconNonce.length !== BEACON_NONCE_LEN) throw new Error('beacon nonce must be 8 bytes');
  return concat([signed, signature, beaconNonce]);
}

/** Parse a beacon; bounds-checked, rejects wrong version and trailing bytes. Does NOT verify the signature. */
export function decodeBeacon(bytes: Uint8Array): Beacon {
  if (bytes.length > MAX_BEACON_LEN) throw new DecodeError('oversized', 'beacon');
  const r = new Reader(bytes);
  const version = r.u8();
  if (version !== PROTOCOL_VERSION) throw new DecodeError('bad_version', String(version));
  const mssId = utf8Decode(r.vbytes8(MAX_MSS_ID_LEN));
  if (!isValidMssId(mssId)) throw new DecodeError('bad_mss_id');
  const identityKey = r.bytes(32);
  const boxKey = r.bytes(32);
  const cellSize = r.u16();
  if (cellSize < MIN_CELL_SIZE || cellSize > MAX_CELL_SIZE) throw new DecodeError('bad_cell_size', String(cellSize));
  const issuedAt = r.u32();
  const n = r.u8();
  if (n > MAX_EXTENSIONS) throw new DecodeError('too_many_extensions');
  const extensions: BeaconExtension[] = [];
  for (let i = 0; i < n; i++) {
    const type = r.u8();
    extensions.push({ type: type, value: r.vbytes16(MAX_EXT_LEN) });
  }
  const signedLen = r.offset;
  const signature = r.bytes(64);
  const beaconNonce = r.bytes(BEACON_NONCE_LEN);
  r.end();
  return {
    mssId: mssId,
    identityKey: identityKey,
    boxKey: boxKey,
    cellSize: cellSize,
    issuedAt: issuedAt,
    extensions: extensions,
    signed: copyBytes(bytes, 0, signedLen),
    signature: signature,
    beaconNonce: beaconNonce,
  };
}

export function beaconExtension(b: BeaconBody, type: number): Uint8Array | null {
  for (let i = 0; i < b.extensions.length; i++) if (b.extensions[i].type === type) return b.extensions[i].value;
  return null;
}

export function verifyBeaconSignature(b: Beacon): boolean {
  return ed25519Verify(b.signature, beaconSigningInput(b.signed), b.identityKey);
}

/**
 * Pin check (docs/protocol.md §2.3): a PDA given an identity key for an MSS id over its console refuses a
 * beacon for that id whose key differs. Returns 'pinned' (matches a pin), 'unpinned' (no pin for this id),
 * or 'mismatch'.
 */
export function checkPin(pins: { [mssId: string]: Uint8Array }, b: BeaconBody): 'pinned' | 'unpinned' | 'mismatch' {
  if (!Object.prototype.hasOwnProperty.call(pins, b.mssId)) return 'unpinned';
  const pin = pins[b.mssId];
  return equalBytes(pin, b.identityKey) ? 'pinned' : 'mismatch';
}
