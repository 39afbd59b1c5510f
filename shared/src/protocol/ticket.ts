/**
 * Session tickets on DATA channel 0x40 (docs/protocol.md §10, docs/handoff.md). Paper §6.3: Bob should not
 * have to end his session where he began it. The MSS hands the PDA a ticket; presented inside a later
 * JOIN (RESUME, messages.ts) at this MSS or at another member of its federation, it carries the TmpId and
 * the paid time over to the new session.
 *
 *   up:   REQUEST  0x01                                        (a fresh ticket now; the last one is void)
 *   down: TICKET   0x02 | issuer vbytes8 | id[16] | secret[32] | validSec u32
 *
 * The MSS keeps only SHA-256(secret) under `id`: a copy of its disk cannot redeem a ticket. Espruino-safe.
 */
import { DecodeError, Reader, Writer, utf8Decode, utf8Encode } from '../bytes';
import { MAX_MSS_ID_LEN, TICKET_ID_LEN, TICKET_SECRET_LEN } from './constants';
import type { TicketRef } from './messages';
import { isValidMssId } from './topics';

export const TICKET_REQUEST = 0x01;
export const TICKET_ISSUED = 0x02;

export interface IssuedTicket {
  ticket: TicketRef;
  /** Seconds from now until the issuing MSS refuses it. */
  validSec: number;
}

export function encodeTicketRequest(): Uint8Array {
  return new Uint8Array([TICKET_REQUEST]);
}

export function encodeTicket(t: IssuedTicket): Uint8Array {
  const k = t.ticket;
  if (!isValidMssId(k.issuer) || k.id.length !== TICKET_ID_LEN || k.secret.length !== TICKET_SECRET_LEN) throw new Error('invalid session ticket');
  return new Writer().u8(TICKET_ISSUED).vbytes8(utf8Encode(k.issuer)).bytes(k.id).bytes(k.secret).u32(t.validSec).finish();
}

/** What arrived on channel 0x40: a request (at the MSS) or a ticket (at the PDA). Strict; DecodeError otherwise. */
export function decodeTicketPayload(p: Uint8Array): { op: 1 } | { op: 2; issued: IssuedTicket } {
  const r = new Reader(p);
  const op = r.u8();
  if (op === TICKET_REQUEST) {
    r.end();
    return { op: TICKET_REQUEST };
  }
  if (op !== TICKET_ISSUED) throw new DecodeError('bad_ticket', 'op ' + op);
  const issuer = utf8Decode(r.vbytes8(MAX_MSS_ID_LEN));
  if (!isValidMssId(issuer)) throw new DecodeError('bad_ticket', 'issuer');
  const id = r.bytes(TICKET_ID_LEN);
  const secret = r.bytes(TICKET_SECRET_LEN);
  const validSec = r.u32();
  r.end();
  return { op: TICKET_ISSUED, issued: { ticket: { issuer: issuer, id: id, secret: secret }, validSec: validSec } };
}
