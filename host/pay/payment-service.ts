/**
 * Paying the MSS (paper step 4; docs/payment.md): the MSS sells session time. A PAY cell carries Cashu
 * proofs; the MSS swaps them at the mint (NUT-03) BEFORE it grants time — a coin the bank does not
 * accept buys nothing — then credits the session and answers PAID. Until the first payment only PAY
 * and echo are served, and a session whose paid time runs out is ended with BYE(5).
 */
import { DecodeError, toHex } from '../../shared/src/bytes';
import { CHANNEL_ECHO } from '../../shared/src/protocol/constants';
import {
  BYE_PAYMENT,
  CHANNEL_PAID,
  CHANNEL_PAY,
  PAID_ALREADY_SPENT,
  PAID_BANK_UNAVAILABLE,
  PAID_FOREIGN_MINT,
  PAID_INSUFFICIENT,
  PAID_MALFORMED,
  PAID_OK,
} from '../../shared/src/pay/constants';
import { decodePay, encodePaid, leastAmount, sumAmounts, type PriceExt } from '../../shared/src/pay/codec';
import type { Logger } from '../common/log';
import type { Service, ServiceContext } from '../mss/core';
import { encodeToken } from '../wallet/token';
import type { ReceiveResult } from './till';

/** What the service needs of the MSS's wallet (MssWallet in production). */
export interface Till {
  readonly mintUrl: string;
  receive(token: string): Promise<ReceiveResult>;
}

/**
 * How many PAID answers a session remembers. The PDA has one payment in flight at a time and
 * retransmits only that one (docs/payment.md), so a handful covers every honest retry; the bound
 * keeps a session that sends endless fresh payIds from growing the MSS's memory. A PAY whose payId
 * was forgotten is simply processed again: its coins are already spent at the bank, so the swap is
 * refused (PAID 3) and nothing is credited twice.
 */
export const MAX_ANSWERED = 4;

interface PayState {
  deadline: number;
  paidUntil: number;
  /** Answers already given, by payId (hex), least recently used first; at most MAX_ANSWERED. */
  answered: { key: string; answer: Uint8Array }[];
  queue: Promise<void>;
}

function recall(st: PayState, key: string): Uint8Array | undefined {
  const i = st.answered.findIndex((a) => a.key === key);
  if (i < 0) return undefined;
  const [hit] = st.answered.splice(i, 1);
  st.answered.push(hit);
  return hit.answer;
}

function remember(st: PayState, key: string, answer: Uint8Array): void {
  const i = st.answered.findIndex((a) => a.key === key);
  if (i >= 0) st.answered.splice(i, 1);
  st.answered.push({ key, answer });
  while (st.answered.length > MAX_ANSWERED) st.answered.shift();
}

export interface PaymentOptions {
  till: Till;
  price: PriceExt;
  keysetIds: string[];
  log: Logger;
  now?: () => number;
}

const REASON_STATUS: Record<string, number> = {
  already_spent: PAID_ALREADY_SPENT,
  foreign_mint: PAID_FOREIGN_MINT,
  unknown_keyset: PAID_FOREIGN_MINT,
  keyset_mismatch: PAID_FOREIGN_MINT,
  bank_unreachable: PAID_BANK_UNAVAILABLE,
  insufficient: PAID_INSUFFICIENT,
};

export class PaymentService implements Service {
  readonly channel = CHANNEL_PAY;
  readonly stats = { paid: 0, refused: {} as Record<string, number>, earned: 0 };
  private readonly now: () => number;

  constructor(private readonly o: PaymentOptions) {
    this.now = o.now || Date.now;
  }

  private st(ctx: ServiceContext): PayState {
    return ctx.state.pay as PayState;
  }

  onStart(ctx: ServiceContext): void {
    const st: PayState = { deadline: this.now() + this.o.price.graceSec * 1000, paidUntil: 0, answered: [], queue: Promise.resolve() };
    ctx.state.pay = st;
  }

  /** What a resumed session keeps (docs/handoff.md): the time it paid for, as an absolute instant. */
  resumeState(ctx: ServiceContext): unknown {
    const st = this.st(ctx);
    return st && st.paidUntil > 0 ? { paidUntil: st.paidUntil } : undefined;
  }

  /** A session resumed from a ticket goes on with the time it paid for (here, at the issuer, before a restart). */
  resume(ctx: ServiceContext, state: unknown): void {
    const st = this.st(ctx);
    const p = (state as { paidUntil?: unknown } | null)?.paidUntil;
    if (st && typeof p === 'number' && Number.isFinite(p) && p > 0) st.paidUntil = p;
  }

  /** A session is settled once it paid (docs/protocol.md §7.6: unsettled sessions make room first under load). */
  settled(ctx: ServiceContext): boolean {
    const st = this.st(ctx);
    return !!st && st.paidUntil > 0;
  }

  allows(ctx: ServiceContext, channel: number): boolean {
    if (channel === CHANNEL_PAY || channel === CHANNEL_ECHO) return true;
    const st = this.st(ctx);
    return !!st && st.paidUntil > this.now();
  }

  check(ctx: ServiceContext, now: number): number | undefined {
    const st = this.st(ctx);
    if (!st) return undefined;
    if (st.paidUntil === 0 ? now > st.deadline : now > st.paidUntil) return BYE_PAYMENT;
    return undefined;
  }

  onData(ctx: ServiceContext, payload: Uint8Array): void {
    const st = this.st(ctx);
    let pay;
    try {
      pay = decodePay(payload);
    } catch (e) {
      this.refuse('malformed');
      ctx.reply(CHANNEL_PAID, encodePaid({ payId: new Uint8Array(8), status: PAID_MALFORMED, credited: 0, paidForSec: this.remaining(st), text: 'malformed PAY' }));
      if (e instanceof DecodeError) return;
      throw e;
    }
    const key = toHex(pay.payId);
    // One payment at a time per session, in arrival order.
    st.queue = st.queue.then(async () => {
      const again = recall(st, key);
      if (again) return ctx.reply(CHANNEL_PAID, again);
      const answer = (status: number, credited: number, text: string) => {
        const a = encodePaid({ payId: pay.payId, status, credited, paidForSec: this.remaining(st), text });
        remember(st, key, a);
        ctx.reply(CHANNEL_PAID, a);
      };
      const amount = sumAmounts(pay.proofs);
      const min = leastAmount(this.o.price);
      if (amount < min) {
        this.refuse('insufficient');
        return answer(PAID_INSUFFICIENT, 0, 'pay at least ' + min + ' ' + this.o.price.unit);
      }
      if (pay.proofs.some((p) => !this.o.keysetIds.includes(p.id))) {
        this.refuse('foreign_mint');
        return answer(PAID_FOREIGN_MINT, 0, 'coins of a mint or keyset this MSS does not accept');
      }
      const token = encodeToken({ mint: this.o.till.mintUrl, unit: this.o.price.unit, proofs: pay.proofs }, 'B', false);
      const r = await this.o.till.receive(token);
      if (!r.ok) {
        this.refuse(r.reason);
        this.o.log.info({ event: 'payment_refused', tmpId: ctx.tmpId, reason: r.reason }, 'payment refused');
        return answer(REASON_STATUS[r.reason] ?? PAID_MALFORMED, 0, r.reason);
      }
      const seconds = Math.floor((r.amount * 60) / this.o.price.perMinute);
      st.paidUntil = Math.max(this.now(), st.paidUntil) + seconds * 1000;
      // On disk with the session's route before PAID goes out: a crash after the answer loses no paid second.
      ctx.changed();
      this.stats.paid++;
      this.stats.earned += r.amount;
      this.o.log.info({ event: 'payment_accepted', tmpId: ctx.tmpId, amount: r.amount, seconds }, 'payment accepted');
      answer(PAID_OK, r.amount, 'ok');
    }).catch((e) => {
      this.o.log.error({ event: 'payment_error', err: (e as Error).message }, 'payment error');
    });
  }

  private remaining(st: PayState): number {
    return Math.max(0, Math.round((st.paidUntil - this.now()) / 1000));
  }

  private refuse(reason: string): void {
    this.stats.refused[reason] = (this.stats.refused[reason] || 0) + 1;
  }
}
