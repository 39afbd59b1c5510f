/**
 * Nymble ticket wire format (Extended Nymble §2.4, after Nymble [Tsang et al. 2011] §5.2 "nymble
 * ticket"): the NM's encapsulation of one nymble for one (server, linkability window, time period):
 *
 *   magic "NT" | ver u8 | sid vbytes8 | w u32 | t u16 | nymble[32] | ctxt vbytes8 | macN[32] | macNS[32]
 *
 * ctxt is the NM's encryption of (nymble*, seed_t, pseudonym): only the NM can open it, when a server
 * complains with this ticket. macN is the NM's own MAC (a server cannot forge a complaint); macNS is
 * the MAC the server checks with the key it shares with the NM. Shared by the PDA (which presents the
 * bytes unchanged) and the MSS (which decodes and checks them); every read is bounds-checked.
 * Espruino-safe: no BigInt, Map, destructuring.
 */
import { DecodeError, Reader, Writer, utf8Decode, utf8Encode } from '../bytes';

export const TICKET_MAGIC0 = 0x4e; // 'N'
export const TICKET_MAGIC1 = 0x54; // 'T'
export const TICKET_VERSION = 1;
export const NYMBLE_LEN = 32;
export const TICKET_MAC_LEN = 32;
/** Longest MSS id a ticket names (the MSS id is its broker/beacon name). */
export const MAX_SID_LEN = 64;
/** nonce 12 + nymble* 32 + seed 32 + pseudonym 32 + tag 16 = 124; bounded with room to spare. */
export const MAX_CTXT_LEN = 160;
export const MAX_TICKET_LEN = 2 + 1 + 1 + MAX_SID_LEN + 4 + 2 + NYMBLE_LEN + 1 + MAX_CTXT_LEN + 2 * TICKET_MAC_LEN;

export interface NymbleTicket {
  sid: string;
  w: number;
  t: number;
  nymble: Uint8Array;
  ctxt: Uint8Array;
  macN: Uint8Array;
  macNS: Uint8Array;
}

function header(w: Writer, tk: { sid: string; w: number; t: number; nymble: Uint8Array; ctxt: Uint8Array }): Writer {
  const sid = utf8Encode(tk.sid);
  if (sid.length === 0 || sid.length > MAX_SID_LEN) throw new Error('ticket sid length out of range');
  if (tk.nymble.length !== NYMBLE_LEN) throw new Error('nymble must be 32 bytes');
  if (tk.ctxt.length > MAX_CTXT_LEN) throw new Error('ticket ctxt too long');
  return w.u8(TICKET_MAGIC0).u8(TICKET_MAGIC1).u8(TICKET_VERSION).vbytes8(sid).u32(tk.w).u16(tk.t).bytes(tk.nymble).vbytes8(tk.ctxt);
}

/** The bytes macN covers: sid || w || t || nymble || ctxt (Nymble §5.2, NymbleTktGen). */
export function ticketMacNInput(tk: { sid: string; w: number; t: number; nymble: Uint8Array; ctxt: Uint8Array }): Uint8Array {
  return header(new Writer(), tk).finish();
}

/** The bytes macNS covers: the same fields followed by macN. */
export function ticketMacNSInput(tk: { sid: string; w: number; t: number; nymble: Uint8Array; ctxt: Uint8Array; macN: Uint8Array }): Uint8Array {
  return header(new Writer(), tk).bytes(tk.macN).finish();
}

export function encodeTicket(tk: NymbleTicket): Uint8Array {
  if (tk.macN.length !== TICKET_MAC_LEN || tk.macNS.length !== TICKET_MAC_LEN) throw new Error('ticket MACs must be 32 bytes');
  return header(new Writer(), tk).bytes(tk.macN).bytes(tk.macNS).finish();
}

/** Strict decode: wrong magic/version, a short or long input, or an out-of-range field is a DecodeError. */
export function decodeTicket(b: Uint8Array): NymbleTicket {
  if (!(b instanceof Uint8Array)) throw new DecodeError('bad_ticket', 'not bytes');
  if (b.length > MAX_TICKET_LEN) throw new DecodeError('too_long', 'ticket');
  const r = new Reader(b);
  if (r.u8() !== TICKET_MAGIC0 || r.u8() !== TICKET_MAGIC1) throw new DecodeError('bad_ticket', 'magic');
  if (r.u8() !== TICKET_VERSION) throw new DecodeError('bad_ticket', 'version');
  const sidBytes = r.vbytes8(MAX_SID_LEN);
  if (sidBytes.length === 0) throw new DecodeError('bad_ticket', 'empty sid');
  const sid = utf8Decode(sidBytes);
  const w = r.u32();
  const t = r.u16();
  if (t === 0) throw new DecodeError('bad_ticket', 'period 0');
  const nymble = r.bytes(NYMBLE_LEN);
  const ctxt = r.vbytes8(MAX_CTXT_LEN);
  const macN = r.bytes(TICKET_MAC_LEN);
  const macNS = r.bytes(TICKET_MAC_LEN);
  r.end();
  return { sid: sid, w: w, t: t, nymble: nymble, ctxt: ctxt, macN: macN, macNS: macNS };
}
