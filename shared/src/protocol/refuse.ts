/**
 * REFUSE cells (docs/protocol.md §3.3, §7.1): the MSS's answer to a JOIN that does not become a session.
 *
 *   REFUSE = SESSION cell { tag = downTag(K_BD), seq = reason, key = refuseKey(JOIN), REFUSE{reason, text(reason)} }
 *
 * One key, one nonce, once: refuseKey is unique to the JOIN (derived from its ephemeral DH, cells.ts), the
 * nonce is the reason, and the text is a function of the reason. So however often a JOIN is replayed, and
 * whatever the MSS's state when it comes back, a (key, nonce) pair seals at most one plaintext. The session
 * keys of K_BD are never used for a REFUSE: an ACCEPT sealed under them can never meet a REFUSE under the
 * same key and nonce.
 */
import { DecodeError } from '../bytes';
import { DIR_DOWN, openSession, sealSession } from './cells';
import { MSG_REFUSE, REFUSE_TEXTS } from './constants';

/** True for the REFUSE reasons protocol v1 defines (1..4). */
export function isRefuseReason(reason: number): boolean {
  return typeof REFUSE_TEXTS[reason] === 'string';
}

/** Seal REFUSE(reason) for the JOIN whose refuse key is `refuseKey`, on its downlink tag. */
export function sealRefuse(refuseKey: Uint8Array, downTag: Uint8Array, reason: number, cellSize: number): Uint8Array {
  if (!isRefuseReason(reason)) throw new Error('unknown REFUSE reason ' + reason);
  return sealSession(refuseKey, downTag, reason, DIR_DOWN, { type: MSG_REFUSE, reason: reason, text: REFUSE_TEXTS[reason] }, cellSize);
}

/**
 * Open a REFUSE whose header carried `seq`. Throws DecodeError unless it authenticates under the refuse key,
 * is a REFUSE, and names the reason its nonce says (a cell that disagrees with its own nonce is forged).
 */
export function openRefuse(refuseKey: Uint8Array, cell: Uint8Array, seq: number): number {
  if (!isRefuseReason(seq)) throw new DecodeError('bad_refuse', 'seq ' + seq);
  const m = openSession(refuseKey, cell, seq, DIR_DOWN);
  if (m.type !== MSG_REFUSE || m.reason !== seq) throw new DecodeError('bad_refuse', 'reason does not match nonce');
  return m.reason;
}
