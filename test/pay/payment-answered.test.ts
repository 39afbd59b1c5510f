/**
 * The MSS's memory of PAID answers per session is bounded (MAX_ANSWERED, least recently used
 * forgotten first), and the bound never lets a payment be credited twice: a retransmitted PAY still
 * recent gets the very same answer without touching the bank; one already forgotten goes to the
 * bank again, which refuses the spent coins (NUT-03: a proof is spent once).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { MSG_DATA } from '../../shared/src/protocol/constants';
import { CHANNEL_PAID, CHANNEL_PAY, PAID_ALREADY_SPENT, PAID_OK } from '../../shared/src/pay/constants';
import { decodePaid, encodePay } from '../../shared/src/pay/codec';
import { silentLogger } from '../../host/common/log';
import { MAX_ANSWERED, PaymentService, type Till } from '../../host/pay/payment-service';
import { decodeToken } from '../../host/wallet/token';
import { RefPda, makeCore, rnd } from '../helpers/mss-fixture';

const KEYSET = '00ad268c4d1f5826';
const proof = (amount: number) => ({ amount, id: KEYSET, secret: toHex(rnd(32)), C: '02' + toHex(rnd(32)) });

/** A till that behaves like the bank: the first swap of a proof succeeds, any later one is refused. */
function setup() {
  const f = makeCore({ idleTimeoutSec: 100000, maxSessionSec: 100000 });
  const spent = new Set<string>();
  let swaps = 0;
  const till: Till = {
    mintUrl: 'http://127.0.0.1:3338',
    async receive(token) {
      swaps++;
      const proofs = decodeToken(token).proofs;
      if (proofs.some((p) => spent.has(p.secret))) return { ok: false, reason: 'already_spent', detail: 'spent' };
      let amount = 0;
      for (const p of proofs) {
        spent.add(p.secret);
        amount += p.amount;
      }
      return { ok: true, amount };
    },
  };
  const svc = new PaymentService({ till, price: { perMinute: 60, unit: 'sat', minSeconds: 1, graceSec: 10 }, keysetIds: [KEYSET], log: silentLogger(), now: () => f.clock.t });
  f.core.addService(svc);
  const p = new RefPda(f);
  f.core.handleUp(p.joinCell());
  p.inbox();
  const answered = () => (f.core.sessions.all()[0].service.pay as { answered: unknown[] }).answered;
  /** Send one PAY cell and return the raw PAID payload the MSS answered with. */
  const pay = async (payload: Uint8Array): Promise<Uint8Array> => {
    f.core.handleUp(p.cell({ type: MSG_DATA, channel: CHANNEL_PAY, payload }));
    for (let i = 0; i < 100; i++) {
      const m = p.inbox().filter((x) => x.type === MSG_DATA && x.channel === CHANNEL_PAID);
      if (m.length === 1) return (m[0] as { payload: Uint8Array }).payload;
      expect(m.length).toBe(0);
      await new Promise((r) => setImmediate(r));
    }
    throw new Error('no PAID answer');
  };
  return { svc, pay, answered, swaps: () => swaps };
}

describe('payment state per session is bounded', () => {
  it('many payIds keep at most MAX_ANSWERED answers; a retry of the last payment gets the same answer', async () => {
    const { svc, pay, answered, swaps } = setup();
    let last: Uint8Array = new Uint8Array();
    let lastAnswer: Uint8Array = new Uint8Array();
    for (let i = 0; i < 300; i++) {
      last = encodePay({ payId: rnd(8), proofs: [proof(1)] });
      lastAnswer = await pay(last);
      expect(decodePaid(lastAnswer).status).toBe(PAID_OK);
      expect(answered().length).toBeLessThanOrEqual(MAX_ANSWERED);
    }
    expect(answered()).toHaveLength(MAX_ANSWERED);
    expect(svc.stats).toMatchObject({ paid: 300, earned: 300 });
    const before = swaps();
    // The PDA retransmits its last PAY (its PAID was lost): same bytes back, no second swap, no credit.
    expect(await pay(last)).toEqual(lastAnswer);
    expect(await pay(last)).toEqual(lastAnswer);
    expect(swaps()).toBe(before);
    expect(svc.stats).toMatchObject({ paid: 300, earned: 300 });
  });

  it('a forgotten payId is refused by the bank as spent, never credited twice', async () => {
    const { svc, pay } = setup();
    const first = encodePay({ payId: rnd(8), proofs: [proof(4)] });
    expect(decodePaid(await pay(first)).status).toBe(PAID_OK);
    for (let i = 0; i < MAX_ANSWERED; i++) await pay(encodePay({ payId: rnd(8), proofs: [proof(1)] }));
    const again = decodePaid(await pay(first));
    expect(again.status).toBe(PAID_ALREADY_SPENT);
    expect(again.credited).toBe(0);
    expect(svc.stats.earned).toBe(4 + MAX_ANSWERED);
  });

  it('random sequences of fresh PAYs and retransmissions: bounded memory, each coin credited once, recent retries answered identically', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.constant({ fresh: true, back: 0 }), fc.record({ fresh: fc.constant(false), back: fc.nat(12) })), { minLength: 1, maxLength: 60 }),
        async (actions) => {
          const { svc, pay, answered, swaps } = setup();
          const sent: { payload: Uint8Array; amount: number; answer: Uint8Array }[] = [];
          /** payIds in least-recently-used order, as the MSS should hold them. */
          const lru: number[] = [];
          let credited = 0;
          for (const a of actions) {
            if (a.fresh || sent.length === 0) {
              const amount = 1 << sent.length % 4;
              const payload = encodePay({ payId: rnd(8), proofs: [proof(amount)] });
              const answer = await pay(payload);
              expect(decodePaid(answer).status).toBe(PAID_OK);
              credited += amount;
              sent.push({ payload, amount, answer });
              lru.push(sent.length - 1);
            } else {
              const i = Math.max(0, sent.length - 1 - a.back);
              const remembered = lru.indexOf(i) >= 0;
              const before = swaps();
              const answer = await pay(sent[i].payload);
              if (remembered) {
                expect(answer).toEqual(sent[i].answer);
                expect(swaps()).toBe(before);
                lru.splice(lru.indexOf(i), 1);
              } else {
                expect(decodePaid(answer).status).toBe(PAID_ALREADY_SPENT);
                sent[i].answer = answer;
              }
              lru.push(i);
            }
            while (lru.length > MAX_ANSWERED) lru.shift();
            expect(answered().length).toBeLessThanOrEqual(MAX_ANSWERED);
            expect(svc.stats.earned).toBe(credited);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
