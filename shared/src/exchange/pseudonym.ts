/**
 * The pseudonym under which exchange server `serverId` stores the share of drop-box entry `slot`
 * (ACS §3.1: exchange servers know users only by pseudonyms; paper §6.2: only the holder of the
 * pickup secret may collect):
 *   exchangeKey = HKDF-SHA-256(ikm = boxKey, salt = "", info = "hood-exchange-v1 pseudonym key", L = 32)
 *   pseudonym   = HMAC-SHA-256(exchangeKey, "hood-exchange-v1" | len u8 | serverId | slot u32 big-endian)
 * boxKey is itself derived from the pickup secret (shared/src/mail/dropbox-keys.ts), so the PDA that
 * holds the secret and the MSS that holds the registration can both compute it; an exchange server
 * cannot (it sees only HMAC outputs), and two servers' pseudonyms for one entry are outputs of a PRF
 * on different inputs, so they cannot link them. Slots 0..MAX_SLOTS−1 number the entries of one box;
 * a pickup asks for all of them every round, so the number of real entries does not show.
 * Runs on the PDA too: no Map, no BigInt.
 */
import { DecodeError, utf8Encode } from '../bytes';
import { hkdfSha256, hmacSha256 } from '../crypto/index';
import { deriveBox } from '../mail/dropbox-keys';

export const PSEUDONYM_LEN = 32;
export const EXCHANGE_LABEL = 'hood-exchange-v1';
export const LABEL_EXCHANGE_KEY = 'hood-exchange-v1 pseudonym key';
/** Entries per box, and pseudonyms per pickup request (same as the drop box's per-box limit). */
export const MAX_SLOTS = 8;
/** Server ids: what `GET /info` of an exchange server names it (host/exchange/server.ts). */
export const SERVER_ID_MAX = 64;

export function isServerId(s: string): boolean {
  return typeof s === 'string' && s.length >= 1 && s.length <= SERVER_ID_MAX && /^[a-z0-9][a-z0-9._-]*$/.test(s);
}

export function exchangeKeyFromBoxKey(boxKey: Uint8Array): Uint8Array {
  if (!boxKey || boxKey.length !== 32) throw new DecodeError('bad_key', 'box key must be 32 bytes');
  return hkdfSha256(boxKey, undefined, utf8Encode(LABEL_EXCHANGE_KEY), 32);
}

/** The PDA's side: from the pickup secret alone. */
export function exchangeKeyFromSecret(secret: Uint8Array): Uint8Array {
  const b = deriveBox(secret);
  const k = exchangeKeyFromBoxKey(b.boxKey);
  b.boxKey.fill(0);
  b.boxId.fill(0);
  return k;
}

export function sharePseudonym(exchangeKey: Uint8Array, serverId: string, slot: number): Uint8Array {
  if (!exchangeKey || exchangeKey.length !== 32) throw new DecodeError('bad_key', 'exchange key must be 32 bytes');
  if (!isServerId(serverId)) throw new DecodeError('bad_server_id', 'server id must match [a-z0-9][a-z0-9._-]*, 1..' + SERVER_ID_MAX);
  if (typeof slot !== 'number' || slot !== Math.floor(slot) || slot < 0 || slot >= MAX_SLOTS) {
    throw new DecodeError('bad_slot', 'slot must be 0..' + (MAX_SLOTS - 1));
  }
  const label = utf8Encode(EXCHANGE_LABEL);
  const id = utf8Encode(serverId);
  const m = new Uint8Array(label.length + 1 + id.length + 4);
  m.set(label, 0);
  m[label.length] = id.length;
  m.set(id, label.length + 1);
  const o = label.length + 1 + id.length;
  m[o] = (slot >>> 24) & 0xff;
  m[o + 1] = (slot >>> 16) & 0xff;
  m[o + 2] = (slot >>> 8) & 0xff;
  m[o + 3] = slot & 0xff;
  return hmacSha256(exchangeKey, m);
}

/** The pseudonyms a pickup round asks server `serverId` for: slots 0..MAX_SLOTS−1, in order. */
export function pickupPseudonyms(exchangeKey: Uint8Array, serverId: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let s = 0; s < MAX_SLOTS; s++) out.push(sharePseudonym(exchangeKey, serverId, s));
  return out;
}
