/**
 * Inner messages carried inside cells (docs/protocol.md §4). Every message is
 *   type u8 | bodyLen u16 | body | zero padding up to the cell's plaintext capacity,
 * so every cell on the air has the same length whatever it carries. Decoding is strict: the body must
 * be consumed exactly and the padding must be zero ("garbage after a valid prefix" is rejected).
 */
import { DecodeError, Reader, Writer, utf8Decode, utf8Encode } from '../bytes';
import {
  BEACON_NONCE_LEN,
  JOIN_NONCE_LEN,
  KBD_LEN,
  MAC_LEN,
  MAX_REASON_TEXT,
  MAX_TMPID_LEN,
  MSG_ACCEPT,
  MSG_BYE,
  MSG_COVER,
  MSG_DATA,
  MSG_JOIN,
  MSG_REFUSE,
  MSG_REKEY,
  MSG_REKEYED,
  MSG_RENEW,
  MSG_RESUME,
  MAX_MSS_ID_LEN,
  TICKET_ID_LEN,
  TICKET_SECRET_LEN,
} from './constants';
import { isValidMssId } from './topics';
import { isOf } from '../text';

export interface JoinMsg {
  type: 0x01;
  kbd: Uint8Array;
  tmpMac: Uint8Array;
  joinNonce: Uint8Array;
  beaconNonce: Uint8Array;
}
/** A session ticket as the PDA presents it (§10): which MSS issued it, its id there, and its secret. */
export interface TicketRef {
  issuer: string;
  id: Uint8Array;
  secret: Uint8Array;
}
/** RESUME (§4, §10): a JOIN that presents a session ticket; sent in a JOIN cell, admitted like a JOIN. */
export interface ResumeMsg {
  type: 0x0a;
  kbd: Uint8Array;
  tmpMac: Uint8Array;
  joinNonce: Uint8Array;
  beaconNonce: Uint8Array;
  ticket: TicketRef;
}
export interface AcceptMsg {
  type: 0x02;
  tmpId: string;
  idleTimeoutSec: number;
  maxSessionSec: number;
}
export interface RefuseMsg {
  type: 0x03;
  reason: number;
  text: string;
}
export interface RenewMsg {
  type: 0x04;
}
export interface RekeyMsg {
  type: 0x05;
  kbd: Uint8Array;
}
export interface RekeyedMsg {
  type: 0x06;
}
export interface ByeMsg {
  type: 0x07;
  reason: number;
}
export interface DataMsg {
  type: 0x08;
  channel: number;
  payload: Uint8Array;
}

/**
 * Cover (docs/protocol.md §3.5): padded to the cell like every message, so on the air it is any session cell.
 * `answer` 1 asks the MSS for one COVER back (the downlink shape of a real cell that gets an answer), 0 for none.
 */
export interface CoverMsg {
  type: 0x09;
  answer: number;
}

export type Message = JoinMsg | ResumeMsg | AcceptMsg | RefuseMsg | RenewMsg | RekeyMsg | RekeyedMsg | ByeMsg | DataMsg | CoverMsg;

const TMPID_CHAR = /[a-z2-7]/;
const isTmpId = (s: string) => isOf(s, TMPID_CHAR, 1, MAX_TMPID_LEN);

function encodeBody(m: Message): Uint8Array {
  const w = new Writer();
  switch (m.type) {
    case MSG_JOIN:
    case MSG_RESUME:
      if (m.kbd.length !== KBD_LEN || m.tmpMac.length !== MAC_LEN || m.joinNonce.length !== JOIN_NONCE_LEN || m.beaconNonce.length !== BEACON_NONCE_LEN)
        throw new Error('JOIN field of wrong length');
      w.bytes(m.kbd).bytes(m.tmpMac).bytes(m.joinNonce).bytes(m.beaconNonce);
      if (m.type === MSG_RESUME) {
        const t = m.ticket;
        if (!isValidMssId(t.issuer) || t.id.length !== TICKET_ID_LEN || t.secret.length !== TICKET_SECRET_LEN) throw new Error('invalid session ticket');
        w.vbytes8(utf8Encode(t.issuer)).bytes(t.id).bytes(t.secret);
      }
      break;
    case MSG_ACCEPT:
      if (!isTmpId(m.tmpId)) throw new Error('invalid TmpId');
      w.vbytes8(utf8Encode(m.tmpId)).u32(m.idleTimeoutSec).u32(m.maxSessionSec);
      break;
    case MSG_REFUSE: {
      const t = utf8Encode(m.text);
      if (t.length > MAX_REASON_TEXT) throw new Error('REFUSE text too long');
      w.u8(m.reason).vbytes8(t);
      break;
    }
    case MSG_RENEW:
    case MSG_REKEYED:
      break;
    case MSG_REKEY:
      if (m.kbd.length !== KBD_LEN) throw new Error('K_BD must be 32 bytes');
      w.bytes(m.kbd);
      break;
    case MSG_BYE:
      w.u8(m.reason);
      break;
    case MSG_DATA:
      w.u8(m.channel).vbytes16(m.payload);
      break;
    case MSG_COVER:
      if (m.answer !== 0 && m.answer !== 1) throw new Error('COVER answer must be 0 or 1');
      w.u8(m.answer);
      break;
    default:
      throw new Error('unknown message type');
  }
  return w.finish();
}

/** Encode into exactly `capacity` bytes (type, length, body, zero padding). Throws if it does not fit. */
export function encodeMessage(m: Message, capacity: number): Uint8Array {
  const body = encodeBody(m);
  if (3 + body.length > capacity) throw new Error('message of ' + body.length + ' bytes does not fit a cell (' + (capacity - 3) + ')');
  const out = new Uint8Array(capacity);
  out[0] = m.type;
  out[1] = body.length >> 8;
  out[2] = body.length & 255;
  out.set(body, 3);
  body.fill(0);
  return out;
}

/** The largest DATA payload a cell of this plaintext capacity carries. */
export function maxDataPayload(capacity: number): number {
  return capacity - 3 - 1 - 2;
}

export function decodeMessage(plain: Uint8Array): Message {
  const r = new Reader(plain);
  const type = r.u8();
  const body = r.vbytes16(plain.length);
  r.end(true);
  const b = new Reader(body);
  let m: Message;
  switch (type) {
    case MSG_JOIN:
      m = { type: MSG_JOIN, kbd: b.bytes(KBD_LEN), tmpMac: b.bytes(MAC_LEN), joinNonce: b.bytes(JOIN_NONCE_LEN), beaconNonce: b.bytes(BEACON_NONCE_LEN) };
      break;
    case MSG_RESUME: {
      const kbd = b.bytes(KBD_LEN);
      const tmpMac = b.bytes(MAC_LEN);
      const joinNonce = b.bytes(JOIN_NONCE_LEN);
      const beaconNonce = b.bytes(BEACON_NONCE_LEN);
      const issuer = utf8Decode(b.vbytes8(MAX_MSS_ID_LEN));
      if (!isValidMssId(issuer)) throw new DecodeError('bad_ticket', 'issuer');
      m = { type: MSG_RESUME, kbd: kbd, tmpMac: tmpMac, joinNonce: joinNonce, beaconNonce: beaconNonce, ticket: { issuer: issuer, id: b.bytes(TICKET_ID_LEN), secret: b.bytes(TICKET_SECRET_LEN) } };
      break;
    }
    case MSG_ACCEPT: {
      const tmpId = utf8Decode(b.vbytes8(MAX_TMPID_LEN));
      if (!isTmpId(tmpId)) throw new DecodeError('bad_tmpid');
      m = { type: MSG_ACCEPT, tmpId: tmpId, idleTimeoutSec: b.u32(), maxSessionSec: b.u32() };
      break;
    }
    case MSG_REFUSE:
      m = { type: MSG_REFUSE, reason: b.u8(), text: utf8Decode(b.vbytes8(MAX_REASON_TEXT)) };
      break;
    case MSG_RENEW:
      m = { type: MSG_RENEW };
      break;
    case MSG_REKEY:
      m = { type: MSG_REKEY, kbd: b.bytes(KBD_LEN) };
      break;
    case MSG_REKEYED:
      m = { type: MSG_REKEYED };
      break;
    case MSG_BYE:
      m = { type: MSG_BYE, reason: b.u8() };
      break;
    case MSG_DATA:
      m = { type: MSG_DATA, channel: b.u8(), payload: b.vbytes16(body.length) };
      break;
    case MSG_COVER: {
      const answer = b.u8();
      if (answer > 1) throw new DecodeError('bad_cover');
      m = { type: MSG_COVER, answer: answer };
      break;
    }
    default:
      throw new DecodeError('bad_type', String(type));
  }
  b.end();
  return m;
}
