/**
 * The NM's signed, versioned per-server blacklist (Nymble [Tsang et al. 2011] §5.5; Extended Nymble
 * §2.7 "Notifying the user of blacklist status"): the nymble* of every user blocked at that server
 * in the current linkability window, stamped with the period it was issued in and signed (Ed25519,
 * RFC 8032) by the NM.
 *
 *   magic "NB" | ver u8 | sid vbytes8 | w u32 | t u16 | version u32 | count u32 | nymble*[32] × count | sig[64]
 *
 * The signature covers DOMAIN || everything before sig. A user checks it before presenting a ticket
 * (checkOwnStatus): authentic, for this server, issued in the current period (freshness, §2.7: one
 * update per period), not older than the newest version she has seen (no rollback), and her own
 * nymble* not in it. Espruino-safe; the only non-hash operation is one Ed25519 verify per list.
 */
import { DecodeError, Reader, Writer, concat, equalBytes, utf8Decode, utf8Encode } from '../bytes';
import { ed25519Verify } from '../crypto/ed25519';
import { MAX_SID_LEN, NYMBLE_LEN } from './ticket';

export const BLACKLIST_MAGIC0 = 0x4e; // 'N'
export const BLACKLIST_MAGIC1 = 0x42; // 'B'
export const BLACKLIST_VERSION = 1;
export const BLACKLIST_SIG_LEN = 64;
/** Upper bound on entries a decoder accepts (bounds the work a hostile list can cause). */
export const MAX_BLACKLIST_ENTRIES = 100000;
const DOMAIN = utf8Encode('hood-nymble-blacklist-v1');

export interface Blacklist {
  sid: string;
  w: number;
  t: number;
  version: number;
  entries: Uint8Array[];
  sig: Uint8Array;
}

/** The bytes the NM signs (domain-separated). */
export function blacklistSignedBytes(bl: { sid: string; w: number; t: number; version: number; entries: Uint8Array[] }): Uint8Array {
  const sid = utf8Encode(bl.sid);
  if (sid.length === 0 || sid.length > MAX_SID_LEN) throw new Error('blacklist sid length out of range');
  const head = new Writer()
    .u8(BLACKLIST_MAGIC0)
    .u8(BLACKLIST_MAGIC1)
    .u8(BLACKLIST_VERSION)
    .vbytes8(sid)
    .u32(bl.w)
    .u16(bl.t)
    .u32(bl.version)
    .u32(bl.entries.length)
    .finish();
  const parts: Uint8Array[] = [DOMAIN, head];
  for (let i = 0; i < bl.entries.length; i++) {
    if (bl.entries[i].length !== NYMBLE_LEN) throw new Error('blacklist entry must be 32 bytes');
    parts.push(bl.entries[i]);
  }
  return concat(parts);
}

export function encodeBlacklist(bl: Blacklist): Uint8Array {
  if (bl.sig.length !== BLACKLIST_SIG_LEN) throw new Error('blacklist signature must be 64 bytes');
  const signed = blacklistSignedBytes(bl);
  return concat([signed.subarray(DOMAIN.length), bl.sig]);
}

export function decodeBlacklist(b: Uint8Array): Blacklist {
  if (!(b instanceof Uint8Array)) throw new DecodeError('bad_blacklist', 'not bytes');
  const r = new Reader(b);
  if (r.u8() !== BLACKLIST_MAGIC0 || r.u8() !== BLACKLIST_MAGIC1) throw new DecodeError('bad_blacklist', 'magic');
  if (r.u8() !== BLACKLIST_VERSION) throw new DecodeError('bad_blacklist', 'version');
  const sidBytes = r.vbytes8(MAX_SID_LEN);
  if (sidBytes.length === 0) throw new DecodeError('bad_blacklist', 'empty sid');
  const sid = utf8Decode(sidBytes);
  const w = r.u32();
  const t = r.u16();
  const version = r.u32();
  const count = r.u32();
  if (count > MAX_BLACKLIST_ENTRIES) throw new DecodeError('too_long', 'blacklist entries');
  // Length check before any allocation: count entries and a signature must be exactly what is left.
  if (r.remaining() !== count * NYMBLE_LEN + BLACKLIST_SIG_LEN) throw new DecodeError('bad_blacklist', 'length');
  const entries: Uint8Array[] = [];
  for (let i = 0; i < count; i++) entries.push(r.bytes(NYMBLE_LEN));
  const sig = r.bytes(BLACKLIST_SIG_LEN);
  r.end();
  return { sid: sid, w: w, t: t, version: version, entries: entries, sig: sig };
}

export interface StatusExpectation {
  /** The server the user is about to present a ticket to. */
  sid: string;
  /** Current linkability window and time period by the user's clock. */
  w: number;
  t: number;
  /** Newest blacklist version seen for this server (0 if none): an older one is a rollback. */
  lastVersion: number;
}

export interface StatusResult {
  /** True only when the list is authentic, fresh, current and does not name the user. */
  ok: boolean;
  /** 'clear' | 'blacklisted' | 'malformed' | 'bad_signature' | 'wrong_mss' | 'stale' | 'rollback' */
  reason: string;
  version: number;
}

function refuse(reason: string, version: number): StatusResult {
  return { ok: false, reason: reason, version: version };
}

/**
 * Extended Nymble §2.7: check the server's blacklist before presenting a ticket to it. `myNymbleStar`
 * is the user's nymble* for this server and window (from her credential). Never throws on bad input.
 */
export function checkOwnStatus(listBytes: Uint8Array, nmPublicKey: Uint8Array, expect: StatusExpectation, myNymbleStar: Uint8Array): StatusResult {
  let bl: Blacklist;
  try {
    bl = decodeBlacklist(listBytes);
  } catch (e) {
    return refuse('malformed', 0);
  }
  if (!ed25519Verify(bl.sig, blacklistSignedBytes(bl), nmPublicKey)) return refuse('bad_signature', bl.version);
  if (bl.sid !== expect.sid) return refuse('wrong_mss', bl.version);
  if (bl.w !== expect.w || bl.t !== expect.t) return refuse('stale', bl.version);
  if (bl.version < expect.lastVersion) return refuse('rollback', bl.version);
  let listed = false;
  // Scan every entry (no early exit): the time taken does not depend on where the user's entry is.
  for (let i = 0; i < bl.entries.length; i++) if (equalBytes(bl.entries[i], myNymbleStar)) listed = true;
  if (listed) return refuse('blacklisted', bl.version);
  return { ok: true, reason: 'clear', version: bl.version };
}
