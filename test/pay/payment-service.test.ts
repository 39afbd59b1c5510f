/** The payment rules of the MSS with a scripted till (the real bank is in payment.test.ts). */
import { describe, expect, it } from 'vitest';
import { MSG_BYE, MSG_DATA } from '../../shared/src/protocol/constants';
import { BYE_PAYMENT, CHANNEL_PAID, CHANNEL_PAY, PAID_ALREADY_SPENT, PAID_FOREIGN_MINT, PAID_INSUFFICIENT, PAID_MALFORMED, PAID_OK } from '../../shared/src/pay/constants';
import { decodePaid, encodePay } from '../../shared/src/pay/codec';
import { silentLogger } from '../../host/common/log';
import { PaymentService, type Till } from '../../host/pay/payment-service';
import { RefPda, makeCore, rnd } from '../helpers/mss-fixture';

const KEYSET = '00ad268c4d1f5826';
const proof = (amount: number, id = KEYSET) => ({ amount, id, secret: Buffer.from(rnd(32)).toString('hex'), C: '02' + Buffer.from(rnd(32)).toString('hex') });

function setup(answers: ((token: string) => Awaited<ReturnType<Till['receive']>>)[] = []) {
  const f = makeCore({ idleTimeoutSec: 100000, maxSessionSec: 100000 });
  const received: string[] = [];
  const till: Till = {
    mintUrl: 'http://127.0.0.1:3338',
    async receive(token) {
      received.push(token);
      const a = answers.shift();
      return a ? a(token) : { ok: true, amount: 8 };
    },
  };
  const svc = new PaymentService({ till, price: { perMinute: 2, unit: 'sat', minSeconds: 120, graceSec: 10 }, keysetIds: [KEYSET], log: silentLogger(), now: () => f.clock.t });
  f.core.addService(svc);
  const p = new RefPda(f);
  f.core.handleUp(p.joinCell());
  p.inbox();
  const pay = async (proofs: ReturnType<typeof proof>[], payId = rnd(8)) => {
    f.core.handleUp(p.cell({ type: MSG_DATA, channel: CHANNEL_PAY, payload: encodePay({ payId, proofs }) }));
    await new Promise((r) => setTimeout(r, 10));
    const m = p.inbox().filter((x) => x.type === MSG_DATA && x.channel === CHANNEL_PAID);
    return m.map((x) => decodePaid((x as any).payload));
  };
  return { f, p, svc, received, pay };
}

describe('payment service (paper step 4)', () => {
  it('swaps before granting time, credits minutes by price, answers PAID', async () => {
    const { pay, received, svc } = setup();
    const [a] = await pay([proof(8)]);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatch(/^cashuB/);
    expect(a).toMatchObject({ status: PAID_OK, credited: 8, paidForSec: 240 });
    const [b] = await pay([proof(4)]);
    expect(b.paidForSec).toBe(480); // renewals add up
    expect(svc.stats).toMatchObject({ paid: 2, earned: 16 });
  });

  it('refuses insufficient and foreign coins without asking the bank', async () => {
    const { pay, received } = setup();
    expect((await pay([proof(2)]))[0]).toMatchObject({ status: PAID_INSUFFICIENT, credited: 0, paidForSec: 0 });
    expect((await pay([proof(8, '00ffffffffffffff')]))[0]).toMatchObject({ status: PAID_FOREIGN_MINT, credited: 0 });
    expect(received).toHaveLength(0);
  });

  it('passes on the bank refusing spent coins, and grants nothing', async () => {
    const { pay } = setup([() => ({ ok: false, reason: 'already_spent', detail: 'spent' })]);
    expect((await pay([proof(8)]))[0]).toMatchObject({ status: PAID_ALREADY_SPENT, credited: 0, paidForSec: 0 });
  });

  it('answers a retransmitted PAY (same payId) without paying twice', async () => {
    const { pay, received } = setup();
    const id = rnd(8);
    const a = await pay([proof(8)], id);
    const b = await pay([proof(8)], id);
    expect(received).toHaveLength(1);
    expect(b).toEqual(a);
  });

  it('answers a malformed PAY, and counts it', async () => {
    const { f, p } = setup();
    f.core.handleUp(p.cell({ type: MSG_DATA, channel: CHANNEL_PAY, payload: rnd(30) }));
    const [m] = p.inbox();
    expect(decodePaid((m as any).payload).status).toBe(PAID_MALFORMED);
  });

  it('gates other channels until paid, and ends the session when grace or paid time runs out', async () => {
    const { f, p, pay } = setup();
    f.core.addService({ channel: 0x20, onData: (ctx, b) => ctx.reply(0x20, b) }); // stands for mail
    expect(f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0x20, payload: rnd(4) }))).toEqual({ ok: false, reason: 'unpaid' });
    expect(f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0, payload: rnd(4) }))).toMatchObject({ ok: true }); // echo/keepalive
    p.inbox();
    await pay([proof(8)]); // 4 minutes
    expect(f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0x20, payload: rnd(4) }))).toMatchObject({ ok: true });
    p.inbox();
    f.clock.t += 239_000;
    f.core.tick();
    expect(f.core.sessions.size).toBe(1);
    f.clock.t += 2_000;
    f.core.tick();
    expect(p.inbox()).toEqual([{ type: MSG_BYE, reason: BYE_PAYMENT }]);
    expect(f.core.sessions.size).toBe(0);

    const late = setup();
    late.f.clock.t += 10_001;
    late.f.core.tick();
    expect(late.p.inbox()).toEqual([{ type: MSG_BYE, reason: BYE_PAYMENT }]);
  });
});
