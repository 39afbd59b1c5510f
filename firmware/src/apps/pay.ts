/**
 * Paying the MSS from the PDA (paper step 4; docs/payment.md). When a session starts at an MSS whose
 * beacon advertises a price, buy `payMinutes` (default 10) with stored proofs, and buy again before the
 * paid time runs out. Answers from the MSS settle the proofs: spent ones are dropped from Storage,
 * refused ones become spendable again (or are dropped if the bank says they were already spent).
 */
import { toHex } from '../../../shared/src/bytes';
import { EXT_PRICE } from '../../../shared/src/protocol/constants';
import { CHANNEL_PAID, CHANNEL_PAY, MAX_PROOFS_PER_PAY, PAID_ALREADY_SPENT, PAID_OK } from '../../../shared/src/pay/constants';
import { decodePaid, decodePriceExt, encodePay, leastAmount, sumAmounts, type PriceExt } from '../../../shared/src/pay/codec';
import { registerApp, type AppContext } from '../apps';
import { loadProofs, markPending, selectProofs, settle, spendableTotal } from '../wallet/proof-store';

let inflight = '';
let renewTimer = -1;
let price: PriceExt | null = null;

function minutesWanted(ctx: AppContext): number {
  const m = (ctx.config as any).payMinutes;
  return typeof m === 'number' && m >= 1 ? m : 10;
}

function pay(ctx: AppContext): void {
  if (!price || inflight || ctx.state() !== 'in_session') return;
  const least = leastAmount(price);
  const target = Math.max(least, price.perMinute * minutesWanted(ctx));
  const stored = loadProofs(ctx.board.storage);
  // Buy the time wanted if the coins allow, else at least the MSS's minimum purchase.
  const chosen = selectProofs(stored, target, MAX_PROOFS_PER_PAY) || selectProofs(stored, least, MAX_PROOFS_PER_PAY);
  if (!chosen) {
    ctx.emit({ ev: 'error', code: 'wallet_insufficient', msg: 'stored coins do not cover ' + least + ' ' + price.unit + ' in ' + MAX_PROOFS_PER_PAY + ' proofs' });
    return;
  }
  const payId = ctx.board.random(8);
  inflight = toHex(payId);
  markPending(ctx.board.storage, chosen, inflight);
  const wire = [];
  for (let i = 0; i < chosen.length; i++) wire.push({ amount: chosen[i].amount, id: chosen[i].id, secret: chosen[i].secret, C: chosen[i].C });
  ctx.send(CHANNEL_PAY, encodePay({ payId: payId, proofs: wire }));
  ctx.emit({ ev: 'paying', amount: sumAmounts(wire), proofs: wire.length });
}

registerApp({
  name: 'pay',
  channels: [CHANNEL_PAID],
  commands: {
    'pay.now': function (_c, ctx) {
      pay(ctx);
    },
    'wallet.balance': function (_c, ctx) {
      const all = loadProofs(ctx.board.storage);
      ctx.emit({ ev: 'wallet.balance', spendable: spendableTotal(all), proofs: all.length, pending: all.length - countFree(all) });
    },
  },
  onJoined: function (ctx) {
    price = null;
    const ext = ctx.beaconExtension(EXT_PRICE);
    if (!ext) return;
    try {
      price = decodePriceExt(ext);
    } catch (e) {
      ctx.emit({ ev: 'error', code: 'bad_price', msg: 'beacon price extension does not decode' });
      return;
    }
    if (price.perMinute > 0) pay(ctx);
  },
  onData: function (_channel, payload, ctx) {
    const m = decodePaid(payload);
    const id = toHex(m.payId);
    if (id !== inflight) {
      ctx.emit({ ev: 'rejected', reason: 'unexpected_paid' });
      return;
    }
    inflight = '';
    const ok = m.status === PAID_OK;
    settle(ctx.board.storage, id, ok || m.status === PAID_ALREADY_SPENT);
    if (!ok) {
      ctx.emit({ ev: 'pay_refused', status: m.status, text: m.text });
      return;
    }
    ctx.emit({ ev: 'paid', amount: m.credited, paidForSec: m.paidForSec });
    // Renew before it runs out: with a fifth of the time (at most a minute) to spare.
    if (renewTimer >= 0) ctx.board.clock.clearTimeout(renewTimer);
    const margin = Math.min(60, Math.max(2, Math.floor(m.paidForSec / 5)));
    renewTimer = ctx.board.clock.setTimeout(function () {
      renewTimer = -1;
      pay(ctx);
    }, Math.max(1, m.paidForSec - margin) * 1000);
  },
  onWiped: function (ctx) {
    if (renewTimer >= 0) ctx.board.clock.clearTimeout(renewTimer);
    renewTimer = -1;
    // A PAY without an answer stays marked pending in Storage; the owner's wallet settles it (NUT-07).
    inflight = '';
    price = null;
  },
});

function countFree(all: { pending?: string }[]): number {
  let n = 0;
  for (let i = 0; i < all.length; i++) if (!all[i].pending) n++;
  return n;
}
