/**
 * Nymble tickets over DATA cells (the "first cell" option: the JOIN format is unchanged). The
 * PDA sends its ticket for the current period on CHANNEL_NYMBLE right after ACCEPT; the MSS answers
 * on CHANNEL_NYMBLE_ANSWER with a status and a short reason. Until a ticket is accepted the MSS serves
 * only echo, payment and this channel; a session without an accepted ticket ends with BYE_NYMBLE.
 * The MSS asks first: at session start it sends a request on CHANNEL_NYMBLE_ANSWER carrying the
 * NM's signed blacklist for (this MSS, this period), so the PDA can check its own status before it
 * shows a ticket (Extended Nymble §2.7; Nymble §5.5: the user gets the list from the server and
 * verifies it against the NM's key). DATA channels 0x30–0x3f are Nymble's. Espruino-safe.
 */
import { DecodeError, Reader, Writer, utf8Decode, utf8Encode } from '../bytes';

export const CHANNEL_NYMBLE = 0x30;
export const CHANNEL_NYMBLE_ANSWER = 0x31;
/** BYE reason: no valid nymble ticket presented in time (or a refused one). */
export const BYE_NYMBLE = 0x30;

export const NYMBLE_OK = 0;
/** Status codes of an answer, one per refusal reason of the MSS (docs/nymble.md §7). */
export const NYMBLE_STATUS: { [reason: string]: number } = {
  malformed: 1,
  wrong_mss: 2,
  expired: 3,
  not_yet_valid: 4,
  forged: 5,
  linked: 6,
  replayed: 7,
  already_presented: 8,
};
const MAX_TEXT = 120;
/** First byte of a request on CHANNEL_NYMBLE_ANSWER (an answer's status is 0..8). */
export const NYMBLE_REQUEST = 0xff;

/** The MSS's request for a ticket: NYMBLE_REQUEST | the signed blacklist (empty if the MSS has none). */
export function encodeNymbleRequest(blacklist: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + blacklist.length);
  out[0] = NYMBLE_REQUEST;
  out.set(blacklist, 1);
  return out;
}

/** The blacklist bytes of a request, or null if `b` is an answer (checked by the blacklist decoder). */
export function nymbleRequestBlacklist(b: Uint8Array): Uint8Array | null {
  if (b.length < 1 || b[0] !== NYMBLE_REQUEST) return null;
  return b.subarray(1);
}

export interface NymbleAnswer {
  status: number;
  text: string;
}

export function encodeNymbleAnswer(a: NymbleAnswer): Uint8Array {
  const t = utf8Encode(a.text);
  return new Writer().u8(a.status).vbytes8(t.length > MAX_TEXT ? t.subarray(0, MAX_TEXT) : t).finish();
}

export function decodeNymbleAnswer(b: Uint8Array): NymbleAnswer {
  const r = new Reader(b);
  const status = r.u8();
  const text = utf8Decode(r.vbytes8(MAX_TEXT));
  r.end();
  if (status > 8) throw new DecodeError('bad_nymble_answer', 'status');
  return { status: status, text: text };
}
