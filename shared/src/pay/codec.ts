/**
 * Payment messages and beacon extensions (docs/payment.md). Runs on the PDA (Espruino) and the MSS.
 *
 * Coins are Cashu proofs (NUT-00: amount, keyset id, secret, C). The PDA never blinds; it only stores
 * proofs its owner loaded and spends them. A PAY carries up to 5 proofs in a compact binary form so it
 * fits one cell; the MSS rebuilds a standard token from them and swaps it at the mint (NUT-03) before it
 * grants any time (paper step 4).
 */
import { DecodeError, Reader, Writer, fromHex, toHex, utf8Decode, utf8Encode } from '../bytes';
import { KEYSET_ID_LEN, MAX_PROOFS_PER_PAY, PAY_ID_LEN, POINT_LEN } from './constants';
import { isLowerHex, isOf } from '../text';

export interface PriceExt {
  /** Price per minute, in the mint's unit. */
  perMinute: number;
  unit: string;
  /** The least a PAY must buy, in seconds of session time. */
  minSeconds: number;
  /** Seconds after ACCEPT within which the first PAY must arrive. */
  graceSec: number;
}

export interface MintExt {
  url: string;
  keysetIds: string[];
}

export interface WireProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
}

export interface PayMsg {
  payId: Uint8Array;
  proofs: WireProof[];
}

export interface PaidMsg {
  payId: Uint8Array;
  status: number;
  credited: number;
  /** Seconds of session time paid for, from now. */
  paidForSec: number;
  text: string;
}

const isUnit = (s: string) => isOf(s, /[a-z]/, 1, 16);
const isKeysetId = (s: string) => isLowerHex(s, 16);
const isHex64 = (s: string) => isLowerHex(s, 64);
const isPoint = (s: string) => typeof s === 'string' && (s.substr(0, 2) === '02' || s.substr(0, 2) === '03') && isLowerHex(s, 66);

export function encodePriceExt(p: PriceExt): Uint8Array {
  if (!isUnit(p.unit)) throw new Error('unit must be 1-16 of a-z');
  return new Writer().u32(p.perMinute).vbytes8(utf8Encode(p.unit)).u16(p.minSeconds).u16(p.graceSec).finish();
}

export function decodePriceExt(b: Uint8Array): PriceExt {
  const r = new Reader(b);
  const p = { perMinute: r.u32(), unit: utf8Decode(r.vbytes8(16)), minSeconds: r.u16(), graceSec: r.u16() };
  r.end();
  if (!isUnit(p.unit)) throw new DecodeError('bad_unit');
  if (p.minSeconds < 1) throw new DecodeError('bad_price');
  return p;
}

export function encodeMintExt(m: MintExt): Uint8Array {
  const url = utf8Encode(m.url);
  if (url.length > 200) throw new Error('mint URL too long');
  if (m.keysetIds.length < 1 || m.keysetIds.length > 8) throw new Error('1-8 keyset ids');
  const w = new Writer().vbytes8(url).u8(m.keysetIds.length);
  for (let i = 0; i < m.keysetIds.length; i++) {
    if (!isKeysetId(m.keysetIds[i])) throw new Error('keyset id must be 16 hex digits');
    w.bytes(fromHex(m.keysetIds[i]));
  }
  return w.finish();
}

export function decodeMintExt(b: Uint8Array): MintExt {
  const r = new Reader(b);
  const url = utf8Decode(r.vbytes8(200));
  const n = r.u8();
  if (n < 1 || n > 8) throw new DecodeError('bad_keysets');
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(toHex(r.bytes(KEYSET_ID_LEN)));
  r.end();
  return { url: url, keysetIds: ids };
}

function isPowerOfTwo(n: number): boolean {
  if (n < 1 || n > 0x80000000 || Math.floor(n) !== n) return false;
  while (n > 1) {
    if (n % 2 !== 0) return false;
    n = n / 2;
  }
  return true;
}

/** PAY: payId[8] | count u8 | count x (amount u32 | keysetId[8] | secretKind u8 | secret | C[33]). */
export function encodePay(m: PayMsg): Uint8Array {
  if (m.payId.length !== PAY_ID_LEN) throw new Error('payId must be 8 bytes');
  if (m.proofs.length < 1 || m.proofs.length > MAX_PROOFS_PER_PAY) throw new Error('1-' + MAX_PROOFS_PER_PAY + ' proofs per PAY');
  const w = new Writer().bytes(m.payId).u8(m.proofs.length);
  for (let i = 0; i < m.proofs.length; i++) {
    const p = m.proofs[i];
    if (!isPowerOfTwo(p.amount)) throw new Error('proof amount must be a power of two');
    if (!isKeysetId(p.id)) throw new Error('keyset id must be 16 hex digits');
    if (!isPoint(p.C)) throw new Error('C must be a compressed point in hex');
    w.u32(p.amount).bytes(fromHex(p.id));
    // Secrets are usually 64 hex digits (NUT-00): carry them as 32 raw bytes; anything else as UTF-8.
    if (isHex64(p.secret)) w.u8(0).bytes(fromHex(p.secret));
    else w.u8(1).vbytes8(utf8Encode(p.secret));
    w.bytes(fromHex(p.C));
  }
  return w.finish();
}

export function decodePay(b: Uint8Array): PayMsg {
  const r = new Reader(b);
  const payId = r.bytes(PAY_ID_LEN);
  const n = r.u8();
  if (n < 1 || n > MAX_PROOFS_PER_PAY) throw new DecodeError('bad_proof_count', String(n));
  const proofs: WireProof[] = [];
  for (let i = 0; i < n; i++) {
    const amount = r.u32();
    if (!isPowerOfTwo(amount)) throw new DecodeError('bad_amount', String(amount));
    const id = toHex(r.bytes(KEYSET_ID_LEN));
    const kind = r.u8();
    let secret: string;
    if (kind === 0) secret = toHex(r.bytes(32));
    else if (kind === 1) secret = utf8Decode(r.vbytes8(255));
    else throw new DecodeError('bad_secret_kind');
    const C = toHex(r.bytes(POINT_LEN));
    if (!isPoint(C)) throw new DecodeError('bad_point');
    proofs.push({ amount: amount, id: id, secret: secret, C: C });
  }
  r.end();
  return { payId: payId, proofs: proofs };
}

/** PAID: payId[8] | status u8 | credited u32 | paidForSec u32 | text vbytes8. */
export function encodePaid(m: PaidMsg): Uint8Array {
  const t = utf8Encode(m.text);
  if (t.length > 64) throw new Error('PAID text too long');
  return new Writer().bytes(m.payId).u8(m.status).u32(m.credited).u32(m.paidForSec).vbytes8(t).finish();
}

export function decodePaid(b: Uint8Array): PaidMsg {
  const r = new Reader(b);
  const m = { payId: r.bytes(PAY_ID_LEN), status: r.u8(), credited: r.u32(), paidForSec: r.u32(), text: utf8Decode(r.vbytes8(64)) };
  r.end();
  return m;
}

/** The least amount a PAY must carry: the price of minSeconds, rounded up. */
export function leastAmount(p: PriceExt): number {
  return Math.ceil((p.perMinute * p.minSeconds) / 60);
}

export function sumAmounts(ps: { amount: number }[]): number {
  let s = 0;
  for (let i = 0; i < ps.length; i++) s += ps[i].amount;
  return s;
}
