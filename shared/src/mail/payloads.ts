/**
 * Mail payload formats (docs/mail.md §3). Reassembled messages and single-cell controls begin with a
 * kind byte; every decoder consumes its input exactly and bounds every field.
 *
 *   SEND    (up, fragmented)   0x01 | to vbytes8 (ASCII address) | age file (rest)
 *   DELIVER (down, fragmented) 0x02 | source u8 (0xff live, else the pickup slot) | age file (rest)
 *   BOX     (up, one cell)     0x10 | boxId[32] | boxKey[32]
 *   PICKUP  (up, one cell)     0x11 | slot u8 | pickupSecret[32]
 *   STATUS  (down, one cell)   0x20 | op u8 | msgId[8] | code u8 | count u16 | text vbytes8 (≤ 120)
 */
import { DecodeError, Reader, Writer, utf8Decode, utf8Encode } from '../bytes';
import {
  BOX_ID_LEN,
  BOX_KEY_LEN,
  KIND_BOX,
  KIND_DELIVER,
  KIND_ACK,
  KIND_PICKUP,
  KIND_SEND,
  KIND_STATUS,
  MAX_ADDRESS_LEN,
  MSG_ID_LEN,
  PICKUP_SECRET_LEN,
} from './constants';

export const MAX_STATUS_TEXT = 120;
const AGE_MAGIC = 'age-encryption.org/v1\n';

const ATEXT = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+/=?^_`{|}~-';
const LDH = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-';

function allIn(s: string, set: string): boolean {
  for (let i = 0; i < s.length; i++) if (set.indexOf(s[i]) < 0) return false;
  return true;
}

/**
 * A deliberately narrow address check (RFC 5321 §4.1.2 "Mailbox" with a dot-atom local part; no
 * quoted strings, no address literals): the PDA can only write to ordinary addresses, and nothing
 * that could smuggle SMTP syntax reaches the MSS's mailer. Procedural rather than one big regular
 * expression, because Espruino's RegExp engine is small.
 */
export function isMailAddress(s: unknown): boolean {
  if (typeof s !== 'string' || s.length < 3 || s.length > MAX_ADDRESS_LEN) return false;
  const at = s.indexOf('@');
  if (at < 1 || at !== s.lastIndexOf('@') || at > 64) return false;
  const atoms = s.substring(0, at).split('.');
  for (let i = 0; i < atoms.length; i++) if (atoms[i].length === 0 || !allIn(atoms[i], ATEXT)) return false;
  const labels = s.substring(at + 1).split('.');
  if (labels.length < 2) return false;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (l.length < 1 || l.length > 63 || !allIn(l, LDH) || l[0] === '-' || l[l.length - 1] === '-') return false;
  }
  return true;
}

/** Cheap structural check that bytes look like a binary age v1 file (the MSS cannot do more). */
export function looksLikeAge(b: Uint8Array): boolean {
  if (b.length < AGE_MAGIC.length + 32) return false;
  for (let i = 0; i < AGE_MAGIC.length; i++) if (b[i] !== AGE_MAGIC.charCodeAt(i)) return false;
  return true;
}

export interface SendMsg {
  to: string;
  age: Uint8Array;
}

export function encodeSend(m: SendMsg): Uint8Array {
  if (!isMailAddress(m.to)) throw new DecodeError('bad_address', 'not a plain e-mail address');
  const w = new Writer();
  w.u8(KIND_SEND).vbytes8(utf8Encode(m.to));
  const head = w.finish();
  const out = new Uint8Array(head.length + m.age.length);
  out.set(head, 0);
  out.set(m.age, head.length);
  return out;
}

export function decodeSend(b: Uint8Array): SendMsg {
  const r = new Reader(b);
  if (r.u8() !== KIND_SEND) throw new DecodeError('bad_kind', 'not a SEND');
  const to = utf8Decode(r.vbytes8(MAX_ADDRESS_LEN));
  if (!isMailAddress(to)) throw new DecodeError('bad_address', 'not a plain e-mail address');
  const age = r.bytes(r.remaining());
  if (!looksLikeAge(age)) throw new DecodeError('not_age', 'body is not an age v1 file');
  return { to: to, age: age };
}

export interface DeliverMsg {
  source: number;
  age: Uint8Array;
}

export function encodeDeliver(m: DeliverMsg): Uint8Array {
  const out = new Uint8Array(2 + m.age.length);
  out[0] = KIND_DELIVER;
  out[1] = m.source;
  out.set(m.age, 2);
  return out;
}

export function decodeDeliver(b: Uint8Array): DeliverMsg {
  const r = new Reader(b);
  if (r.u8() !== KIND_DELIVER) throw new DecodeError('bad_kind', 'not a DELIVER');
  const source = r.u8();
  const age = r.bytes(r.remaining());
  if (!looksLikeAge(age)) throw new DecodeError('not_age', 'body is not an age v1 file');
  return { source: source, age: age };
}

export type Control =
  | { kind: 0x10; boxId: Uint8Array; boxKey: Uint8Array }
  | { kind: 0x11; slot: number; secret: Uint8Array }
  | { kind: 0x12; msgId: Uint8Array };

export function encodeBox(boxId: Uint8Array, boxKey: Uint8Array): Uint8Array {
  return new Writer().u8(KIND_BOX).bytes(boxId).bytes(boxKey).finish();
}

export function encodePickup(slot: number, secret: Uint8Array): Uint8Array {
  if (secret.length !== PICKUP_SECRET_LEN) throw new Error('pickup secret must be 32 bytes');
  return new Writer().u8(KIND_PICKUP).u8(slot).bytes(secret).finish();
}

/** ACK of a reassembled DELIVER: KIND_ACK | msgId[8]. */
export function encodeAck(msgId: Uint8Array): Uint8Array {
  if (msgId.length !== MSG_ID_LEN) throw new Error('message id must be ' + MSG_ID_LEN + ' bytes');
  return new Writer().u8(KIND_ACK).bytes(msgId).finish();
}

export function decodeControl(b: Uint8Array): Control {
  const r = new Reader(b);
  const kind = r.u8();
  let c: Control;
  if (kind === KIND_BOX) c = { kind: KIND_BOX, boxId: r.bytes(BOX_ID_LEN), boxKey: r.bytes(BOX_KEY_LEN) };
  else if (kind === KIND_PICKUP) c = { kind: KIND_PICKUP, slot: r.u8(), secret: r.bytes(PICKUP_SECRET_LEN) };
  else if (kind === KIND_ACK) c = { kind: KIND_ACK, msgId: r.bytes(MSG_ID_LEN) };
  else throw new DecodeError('bad_kind', 'unknown mail control ' + kind);
  r.end();
  return c;
}

export interface StatusMsg {
  op: number;
  msgId: Uint8Array;
  code: number;
  count: number;
  text: string;
}

export function encodeStatus(s: StatusMsg): Uint8Array {
  let t = utf8Encode(s.text);
  if (t.length > MAX_STATUS_TEXT) t = t.subarray(0, MAX_STATUS_TEXT);
  // Cutting may split a UTF-8 sequence; the texts we send are ASCII, but stay decodable regardless.
  while (t.length > 0 && (t[t.length - 1] & 0x80) !== 0) t = t.subarray(0, t.length - 1);
  return new Writer().u8(KIND_STATUS).u8(s.op).bytes(s.msgId.length === MSG_ID_LEN ? s.msgId : new Uint8Array(MSG_ID_LEN)).u8(s.code).u16(s.count).vbytes8(t).finish();
}

export function decodeStatus(b: Uint8Array): StatusMsg {
  const r = new Reader(b);
  if (r.u8() !== KIND_STATUS) throw new DecodeError('bad_kind', 'not a STATUS');
  const s: StatusMsg = { op: r.u8(), msgId: r.bytes(MSG_ID_LEN), code: r.u8(), count: r.u16(), text: utf8Decode(r.vbytes8(MAX_STATUS_TEXT)) };
  r.end();
  return s;
}
