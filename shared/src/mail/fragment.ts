/**
 * Fragmentation of mail messages over DATA cells (docs/mail.md §2). Every fragment is
 *   msgId[8] | index u8 | count u8 | totalLen u16 | chunk (1.. bytes)
 * and fragments of one message are sent in order (MQTT over one TCP stream keeps order). The
 * reassembler is strict: the first fragment must be index 0 and fixes count and totalLen; every
 * later one must be the next index with the same count and totalLen; sizes, the fragment count,
 * the number of messages in flight and the time to completion are all bounded, and ids of completed
 * messages are remembered so a replayed message is refused. Espruino-safe (arrays, no Map).
 */
import { DecodeError, Reader, equalBytes, toHex, wipe } from '../bytes';
import { FRAG_HEADER_LEN, MAX_FRAGMENTS, MAX_MESSAGE_BYTES, MSG_ID_LEN, REASSEMBLY_TIMEOUT_MS } from './constants';

export interface Fragment {
  msgId: Uint8Array;
  index: number;
  count: number;
  totalLen: number;
  chunk: Uint8Array;
}

export function decodeFragment(p: Uint8Array): Fragment {
  const r = new Reader(p);
  const msgId = r.bytes(MSG_ID_LEN);
  const index = r.u8();
  const count = r.u8();
  const totalLen = r.u16();
  const chunk = r.bytes(r.remaining());
  if (count < 1 || count > MAX_FRAGMENTS) throw new DecodeError('bad_fragment', 'fragment count ' + count);
  if (index >= count) throw new DecodeError('bad_fragment', 'index ' + index + ' of ' + count);
  if (chunk.length < 1) throw new DecodeError('bad_fragment', 'empty fragment');
  if (totalLen < 1 || totalLen > MAX_MESSAGE_BYTES) throw new DecodeError('too_large', 'message of ' + totalLen + ' bytes');
  return { msgId: msgId, index: index, count: count, totalLen: totalLen, chunk: chunk };
}

/** Split `msg` into fragment payloads of at most `maxPayload` bytes each. */
export function fragment(msgId: Uint8Array, msg: Uint8Array, maxPayload: number): Uint8Array[] {
  if (msgId.length !== MSG_ID_LEN) throw new Error('msgId must be 8 bytes');
  if (msg.length < 1 || msg.length > MAX_MESSAGE_BYTES) throw new Error('message of ' + msg.length + ' bytes cannot be sent');
  const room = maxPayload - FRAG_HEADER_LEN;
  if (room < 16) throw new Error('cells too small for mail');
  const count = Math.ceil(msg.length / room);
  if (count > MAX_FRAGMENTS) throw new Error('message needs ' + count + ' fragments (max ' + MAX_FRAGMENTS + ')');
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = msg.subarray(i * room, Math.min(msg.length, (i + 1) * room));
    const p = new Uint8Array(FRAG_HEADER_LEN + chunk.length);
    p.set(msgId, 0);
    p[8] = i;
    p[9] = count;
    p[10] = msg.length >> 8;
    p[11] = msg.length & 255;
    p.set(chunk, FRAG_HEADER_LEN);
    out.push(p);
  }
  return out;
}

interface Pending {
  msgId: Uint8Array;
  count: number;
  next: number;
  filled: number;
  buf: Uint8Array;
  startedAt: number;
}

export interface ReassemblerLimits {
  /** Largest message accepted (<= MAX_MESSAGE_BYTES). */
  maxMessageBytes: number;
  /** Messages being reassembled at once. */
  maxPending: number;
  /** Completion deadline after the first fragment. */
  timeoutMs: number;
  /** How many completed message ids are remembered for replay detection. */
  rememberIds: number;
  /**
   * For a sender that resends whole messages until acknowledged (DELIVER, docs/mail.md §3, acknowledged DELIVER): fragments
   * out of order are ignored instead of ending the message, so each resend continues where the last
   * one was cut. Off for SEND, whose sender does not resend.
   */
  resume: boolean;
}

export const DEFAULT_REASSEMBLER_LIMITS: ReassemblerLimits = {
  maxMessageBytes: 16384,
  maxPending: 2,
  timeoutMs: REASSEMBLY_TIMEOUT_MS,
  rememberIds: 32,
  resume: false,
};

/** Optional shared memory budget (the MSS bounds the sum over all sessions). */
export interface ByteBudget {
  take(n: number): boolean;
  give(n: number): void;
}

export type AddResult = { done: false } | { done: true; msgId: Uint8Array; message: Uint8Array };

export class Reassembler {
  private pending: Pending[] = [];
  private completed: string[] = [];
  private limits: ReassemblerLimits;
  private budget: ByteBudget | null;

  constructor(limits?: Partial<ReassemblerLimits>, budget?: ByteBudget) {
    const d = DEFAULT_REASSEMBLER_LIMITS;
    const l = limits || {};
    this.limits = {
      maxMessageBytes: Math.min(l.maxMessageBytes || d.maxMessageBytes, MAX_MESSAGE_BYTES),
      maxPending: l.maxPending || d.maxPending,
      timeoutMs: l.timeoutMs || d.timeoutMs,
      rememberIds: l.rememberIds || d.rememberIds,
      resume: l.resume === true,
    };
    this.budget = budget || null;
  }

  /** Bytes currently held for incomplete messages. */
  heldBytes(): number {
    let n = 0;
    for (let i = 0; i < this.pending.length; i++) n += this.pending[i].buf.length;
    return n;
  }

  pendingCount(): number {
    return this.pending.length;
  }

  private drop(i: number): void {
    const p = this.pending[i];
    wipe(p.buf);
    if (this.budget) this.budget.give(p.buf.length);
    this.pending.splice(i, 1);
  }

  /** Drop messages past their deadline. */
  expire(now: number): void {
    for (let i = this.pending.length - 1; i >= 0; i--) if (now - this.pending[i].startedAt > this.limits.timeoutMs) this.drop(i);
  }

  private find(msgId: Uint8Array): number {
    for (let i = 0; i < this.pending.length; i++) if (equalBytes(this.pending[i].msgId, msgId)) return i;
    return -1;
  }

  /** Was this message id completed recently? */
  seen(msgId: Uint8Array): boolean {
    return this.completed.indexOf(toHex(msgId)) >= 0;
  }

  /**
   * Add one fragment payload. Throws DecodeError with reason: bad_fragment, too_large, too_many_pending,
   * busy, unknown_message, out_of_order, replayed_message. A bad fragment of a message in progress
   * also drops that message (its sender is broken or hostile).
   */
  add(payload: Uint8Array, now: number): AddResult {
    this.expire(now);
    const f = decodeFragment(payload);
    if (this.seen(f.msgId)) throw new DecodeError('replayed_message', 'message id already completed');
    let i = this.find(f.msgId);
    if (i < 0) {
      // Resumable: the start of this message was lost; the sender's resend brings it (docs/mail.md §3, acknowledged DELIVER).
      if (f.index !== 0 && this.limits.resume) return { done: false };
      if (f.index !== 0) throw new DecodeError('unknown_message', 'fragment ' + f.index + ' of a message not in progress');
      if (f.totalLen > this.limits.maxMessageBytes) throw new DecodeError('too_large', 'message of ' + f.totalLen + ' bytes (max ' + this.limits.maxMessageBytes + ')');
      if (this.pending.length >= this.limits.maxPending) throw new DecodeError('too_many_pending', 'too many messages in flight');
      if (this.budget && !this.budget.take(f.totalLen)) throw new DecodeError('busy', 'reassembly memory exhausted');
      this.pending.push({ msgId: f.msgId, count: f.count, next: 0, filled: 0, buf: new Uint8Array(f.totalLen), startedAt: now });
      i = this.pending.length - 1;
    }
    const p = this.pending[i];
    if (f.count !== p.count || f.totalLen !== p.buf.length) {
      this.drop(i);
      throw new DecodeError('bad_fragment', 'count or length changed');
    }
    if (f.index !== p.next) {
      // Resumable: a fragment we already have (a resend) or one past a lost one; keep what we have and
      // take the next one in order when the resend brings it.
      if (this.limits.resume) return { done: false };
      this.drop(i);
      throw new DecodeError('out_of_order', 'expected fragment ' + p.next + ', got ' + f.index);
    }
    const isLast = f.index === p.count - 1;
    if (p.filled + f.chunk.length > p.buf.length || (isLast && p.filled + f.chunk.length !== p.buf.length)) {
      this.drop(i);
      throw new DecodeError('bad_fragment', 'fragments do not add up to the announced length');
    }
    p.buf.set(f.chunk, p.filled);
    p.filled += f.chunk.length;
    p.next++;
    if (!isLast) return { done: false };
    this.pending.splice(i, 1);
    if (this.budget) this.budget.give(p.buf.length);
    this.completed.push(toHex(p.msgId));
    if (this.completed.length > this.limits.rememberIds) this.completed.shift();
    return { done: true, msgId: p.msgId, message: p.buf };
  }

  /** Erase everything (session end). */
  clear(): void {
    for (let i = this.pending.length - 1; i >= 0; i--) this.drop(i);
    this.completed = [];
  }
}
