/**
 * Paying the MSS from the PDA (paper step 4; docs/payment.md). When a session starts at an MSS whose
 * beacon advertises a price, first offer again every PAY an earlier session sent to this same MSS and
 * never saw answered (same payId, same proofs), then buy `payMinutes` (default 10) with stored proofs,
 * and buy again before the paid time runs out. Answers settle the proofs: spent ones are dropped,
 * refused ones become spendable again, and what only a NUT-07 check can tell is left to the owner's
 * laptop wallet (`wallet.pending` / `wallet.settle`).
 */
import { fromHex, toHex } from '../../../shared/src/bytes';
import { EXT_PRICE } from '../../../shared/src/protocol/constants';
import { CHANNEL_PAID, CHANNEL_PAY, MAX_PROOFS_PER_PAY, PAID_ALREADY_SPENT, PAID_BANK_UNAVAILABLE, PAID_OK } from '../../../shared/src/pay/constants';
import { decodePaid, decodePriceExt, encodePay, leastAmount, sumAmounts, type PriceExt } from '../../../shared/src/pay/codec';
import { registerLazyApp, type App, type AppContext } from '../apps';
import { FREE, KEEP, SOME_SPENT, SPENT, type StoredProof, proofStore } from '../wallet/proof-store';

/** The app's code and state, made on its first use (apps.ts, registerLazyApp). */
function buildPay(): App {
  const S = proofStore();
  const loadProofs = S.loadProofs;
  const loadStore = S.loadStore;
  const markPending = S.markPending;
  const pendingAt = S.pendingAt;
  const proofsOf = S.proofsOf;
  const selectProofs = S.selectProofs;
  const settle = S.settle;
  const settleChecked = S.settleChecked;
  const spendableTotal = S.spendableTotal;

  let inflight = '';
  /** The PAY in flight was sent by an earlier session (a re-offer). */
  let again = false;
  /** payIds re-offered in this session (the MSS answers a payId once per session). */
  let tried: string[] = [];
  /** The MSS of this session, '' if the PDA cannot tell which one it is. */
  let mss = '';
  let renewTimer = -1;
  let price: PriceExt | null = null;

  function minutesWanted(ctx: AppContext): number {
    const m = (ctx.config as any).payMinutes;
    return typeof m === 'number' && m >= 1 ? m : 10;
  }

  /** Which MSS this session is with: its id and the identity key of its verified beacon ('' if none). */
  function mssOf(ctx: AppContext): string {
    return ctx.mss();
  }

  function sendPay(ctx: AppContext, payIdHex: string, chosen: StoredProof[]): void {
    const wire = [];
    for (let i = 0; i < chosen.length; i++) wire.push({ amount: chosen[i].amount, id: chosen[i].id, secret: chosen[i].secret, C: chosen[i].C });
    inflight = payIdHex;
    ctx.send(CHANNEL_PAY, encodePay({ payId: fromHex(payIdHex), proofs: wire }));
    ctx.emit({ ev: 'paying', amount: sumAmounts(wire), proofs: wire.length, again: again });
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
    const payId = toHex(ctx.board.random(8));
    // Marked before it is sent: a crash or a lost answer never lets the PDA believe it still has them.
    markPending(ctx.board.storage, chosen, payId, mss);
    again = false;
    sendPay(ctx, payId, chosen);
  }

  /**
   * Next step of a paid session: a PAY an earlier session sent to THIS MSS and never saw answered is
   * offered again under its own payId (the MSS swaps before it credits, so at most one of the two
   * offers is ever credited and the bank refuses the other as spent); then, if no time is bought yet,
   * a new PAY. Never to another MSS: it would show the same coins to a second party, and that MSS's
   * answer says nothing about whether the first one swapped them.
   */
  function next(ctx: AppContext): void {
    if (!price || inflight || ctx.state() !== 'in_session') return;
    const ids = mss ? pendingAt(loadProofs(ctx.board.storage), mss) : [];
    for (let i = 0; i < ids.length; i++) {
      if (tried.indexOf(ids[i]) >= 0) continue;
      tried.push(ids[i]);
      again = true;
      return sendPay(ctx, ids[i], proofsOf(loadProofs(ctx.board.storage), ids[i]));
    }
    if (renewTimer < 0) pay(ctx);
  }

  function checkCs(v: unknown): string[] {
    if (v === undefined) return [];
    if (!(v instanceof Array) || v.length > 64) throw new Error('spent/unspent: arrays of at most 64 C values');
    for (let i = 0; i < v.length; i++) if (typeof v[i] !== 'string' || v[i].length !== 66 || !/^0[23][0-9a-f]+$/.test(v[i])) throw new Error('C must be 66 hex digits');
    return v as string[];
  }

  return {
    name: 'pay',
    channels: [CHANNEL_PAID],
    commands: {
      'pay.now': function (_c, ctx) {
        pay(ctx);
      },
      'wallet.balance': function (_c, ctx) {
        const st = loadStore(ctx.board.storage);
        const all = st.proofs;
        let pending = 0;
        for (let i = 0; i < all.length; i++) if (all[i].pending) pending++;
        ctx.emit({ ev: 'wallet.balance', spendable: spendableTotal(all), proofs: all.length, pending: pending, settled: st.settled, unacked: st.log.length });
      },
      /** Pending proofs, named by C (not a bearer secret), grouped by PAY, for the owner's NUT-07 check. */
      'wallet.pending': function (_c, ctx) {
        const all = loadProofs(ctx.board.storage);
        const groups = [];
        const seen: string[] = [];
        for (let i = 0; i < all.length; i++) {
          const id = all[i].pending;
          if (!id || seen.indexOf(id) >= 0) continue;
          seen.push(id);
          const ps = proofsOf(all, id);
          const cs = [];
          for (let k = 0; k < ps.length; k++) cs.push(ps[k].C);
          groups.push({ payId: id, reoffer: !!all[i].at, inflight: id === inflight, C: cs });
        }
        ctx.emit({ ev: 'wallet.pending', groups: groups });
      },
      /** The owner's NUT-07 answer: {spent:[C…], unspent:[C…]}. */
      'wallet.settle': function (c, ctx) {
        const r = settleChecked(ctx.board.storage, checkCs(c.spent), checkCs(c.unspent), inflight);
        const all = loadProofs(ctx.board.storage);
        ctx.emit({ ev: 'wallet.settled', dropped: r.dropped, freed: r.freed, spendable: spendableTotal(all) });
      },
    },
    onJoined: function (ctx) {
      price = null;
      tried = [];
      mss = mssOf(ctx);
      const ext = ctx.beaconExtension(EXT_PRICE);
      if (!ext) return;
      try {
        price = decodePriceExt(ext);
      } catch (e) {
        ctx.emit({ ev: 'error', code: 'bad_price', msg: 'beacon price extension does not decode' });
        return;
      }
      if (price.perMinute > 0) next(ctx);
    },
    onResumed: function (ctx) {
      // Paid time came along (docs/handoff.md): the renewal timer keeps running; later payments go to this MSS.
      mss = mssOf(ctx);
      // A PAY in flight at the old MSS stays pending in Storage with that MSS (offered again only there).
      inflight = '';
      again = false;
      tried = [];
      const ext = ctx.beaconExtension(EXT_PRICE);
      price = null;
      if (!ext) return;
      try {
        price = decodePriceExt(ext);
      } catch (e) {
        ctx.emit({ ev: 'error', code: 'bad_price', msg: 'beacon price extension does not decode' });
      }
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
      // PAID 3 with several proofs: at least one was spent, which one only NUT-07 tells; PAID 5: the
      // MSS may still swap them, so they stay pending; any other refusal left the coins untouched.
      const outcome = ok ? SPENT : m.status === PAID_ALREADY_SPENT ? SOME_SPENT : m.status === PAID_BANK_UNAVAILABLE ? KEEP : FREE;
      const n = settle(ctx.board.storage, id, outcome, again);
      if (!ok) ctx.emit({ ev: 'pay_refused', status: m.status, text: m.text, proofs: n, again: again });
      else {
        ctx.emit({ ev: 'paid', amount: m.credited, paidForSec: m.paidForSec, again: again });
        // Renew before it runs out: with a fifth of the time (at most a minute) to spare.
        if (renewTimer >= 0) ctx.board.clock.clearTimeout(renewTimer);
        const margin = Math.min(60, Math.max(2, Math.floor(m.paidForSec / 5)));
        renewTimer = ctx.board.clock.setTimeout(function () {
          renewTimer = -1;
          again = false;
          pay(ctx);
        }, Math.max(1, m.paidForSec - margin) * 1000);
      }
      if (again) next(ctx);
    },
    onWiped: function (ctx) {
      if (renewTimer >= 0) ctx.board.clock.clearTimeout(renewTimer);
      renewTimer = -1;
      // A PAY without an answer stays pending in Storage, with its MSS: the next session there offers it again.
      inflight = '';
      again = false;
      tried = [];
      mss = '';
      price = null;
    },
  };
}

registerLazyApp('pay', ['pay.now', 'wallet.balance', 'wallet.pending', 'wallet.settle'], [CHANNEL_PAID], buildPay);
