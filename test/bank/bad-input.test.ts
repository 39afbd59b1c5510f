/**
 * Bad input and faults against the real HTTP bank: every refusal is a clear 4xx with a NUT error
 * code, and the ledger (audit sums, row counts, account balances) is exactly as before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finishProofs, prepareOutputs, wireOutputs } from '../../host/wallet/blinding';
import { BankClient } from '../../host/wallet/bank-client';
import type { Proof } from '../../host/wallet/types';
import { rawPost, startTestBank, type TestBank, cleanupTempDirs } from './helpers';

let bank: TestBank;
let bob: string;
let client: BankClient;
let proofs: Proof[];

async function snapshot() {
  const a = await bank.mint.audit();
  const bobAcct = await bank.mint.store.getAccountByName('bob');
  return { ...a, bob: bobAcct!.balance };
}

async function mintProofs(amounts: number[]): Promise<Proof[]> {
  const ks = await client.ring.active();
  const total = amounts.reduce((s, a) => s + a, 0);
  const q = await client.createMintQuote(total);
  await client.payMintQuote(q.quote, bob);
  const prep = prepareOutputs(amounts, ks);
  return finishProofs(prep, await client.mint(q.quote, wireOutputs(prep)), ks);
}

/** Expect a refusal with this status and code, and no change in the ledger. */
async function refused(path: string, body: unknown, status: number, code: number, headers: Record<string, string> = {}) {
  const before = await snapshot();
  const r = await rawPost(bank.url + path, typeof body === 'string' ? body : JSON.stringify(body), headers);
  expect(r.status).toBe(status);
  expect(r.json.code).toBe(code);
  expect(typeof r.json.detail).toBe('string');
  expect(await snapshot()).toEqual(before);
  expect(before.ok).toBe(true);
}

beforeAll(async () => {
  bank = await startTestBank();
  bob = await bank.funded('bob', 1000);
  await bank.mint.createAccount('mss');
  client = new BankClient(bank.url);
  proofs = await mintProofs([1, 2, 4, 8]);
});
afterAll(async () => {
  await bank.stop();
  cleanupTempDirs();
});

describe('malformed requests', () => {
  it('non-JSON bodies on every POST endpoint: 400 / 90001', async () => {
    for (const p of ['/v1/swap', '/v1/checkstate', '/v1/mint/account', '/v1/melt/account', '/v1/mint/quote/account', '/v1/melt/quote/account']) {
      await refused(p, '{"inputs": [', 400, 90001);
    }
    await refused('/v1/swap', '[]', 400, 90001);
    await refused('/v1/swap', '', 400, 90001);
  });
  it('oversized body: 413', async () => {
    await refused('/v1/swap', JSON.stringify({ inputs: 'x'.repeat(600 * 1024) }), 413, 90008);
  });
  it('bolt11 is not a method of this mint; unknown endpoints are 404', async () => {
    await refused('/v1/mint/quote/bolt11', { amount: 1, unit: 'sat' }, 400, 90009);
    const r = await fetch(bank.url + '/v1/nothing');
    expect(r.status).toBe(404);
  });
});

describe('swap refusals', () => {
  it('wrong amounts: non power of two, negative, fractional, string, unbalanced', async () => {
    const ks = await client.ring.active();
    const out = (amount: unknown) => ({ amount, id: ks.id, B_: prepareOutputs([1], ks).items[0].B_ });
    const inputs = [proofs[0]].map(({ dleq, ...p }) => p);
    await refused('/v1/swap', { inputs, outputs: [out(3)] }, 400, 11006);
    await refused('/v1/swap', { inputs, outputs: [out(-1)] }, 400, 90001);
    await refused('/v1/swap', { inputs, outputs: [out(0.5)] }, 400, 90001);
    await refused('/v1/swap', { inputs, outputs: [out('1')] }, 400, 90001);
    await refused('/v1/swap', { inputs, outputs: [out(2)] }, 400, 11005);
    await refused('/v1/swap', { inputs: [{ ...inputs[0], amount: 2 }], outputs: [out(2)] }, 400, 10001);
  });
  it('unknown keyset on inputs or outputs: 12001', async () => {
    const ks = await client.ring.active();
    const B_ = prepareOutputs([1], ks).items[0].B_;
    const p = { amount: 1, id: proofs[0].id, secret: proofs[0].secret, C: proofs[0].C };
    await refused('/v1/swap', { inputs: [p], outputs: [{ amount: 1, id: '00ffffffffffffff', B_ }] }, 400, 12001);
    await refused('/v1/swap', { inputs: [{ ...p, id: '00ffffffffffffff' }], outputs: [{ amount: 1, id: ks.id, B_ }] }, 400, 12001);
    await refused('/v1/swap', { inputs: [{ ...p, id: 'not-hex' }], outputs: [{ amount: 1, id: ks.id, B_ }] }, 400, 12001);
  });
  it('invalid points (off-curve B_, C and Ys; wrong prefix): 90002', async () => {
    const ks = await client.ring.active();
    const p = { amount: 1, id: proofs[0].id, secret: proofs[0].secret, C: proofs[0].C };
    const offCurve = '02' + '00'.repeat(32);
    await refused('/v1/swap', { inputs: [p], outputs: [{ amount: 1, id: ks.id, B_: offCurve }] }, 400, 90002);
    await refused('/v1/swap', { inputs: [p], outputs: [{ amount: 1, id: ks.id, B_: '04' + 'ab'.repeat(32) }] }, 400, 90002);
    await refused('/v1/swap', { inputs: [{ ...p, C: offCurve }], outputs: wireOutputs(prepareOutputs([1], ks)) }, 400, 90002);
    await refused('/v1/checkstate', { Ys: [offCurve] }, 400, 90002);
  });
  it('a forged proof (valid point, wrong signature): 10001', async () => {
    const ks = await client.ring.active();
    const p = { amount: 1, id: proofs[0].id, secret: proofs[0].secret + '00', C: proofs[0].C };
    await refused('/v1/swap', { inputs: [p], outputs: wireOutputs(prepareOutputs([1], ks)) }, 400, 10001);
  });
  it('duplicate inputs 11007, duplicate outputs 11008', async () => {
    const ks = await client.ring.active();
    const p = { amount: 1, id: proofs[0].id, secret: proofs[0].secret, C: proofs[0].C };
    await refused('/v1/swap', { inputs: [p, p], outputs: wireOutputs(prepareOutputs([2], ks)) }, 400, 11007);
    const o = wireOutputs(prepareOutputs([1], ks))[0];
    const q = { amount: 2, id: proofs[1].id, secret: proofs[1].secret, C: proofs[1].C };
    await refused('/v1/swap', { inputs: [q], outputs: [o, o] }, 400, 11008);
  });
  it('a retried swap gets the first answer; a different swap of the same proofs is 11001', async () => {
    const ks = await client.ring.active();
    const prep = prepareOutputs([4], ks);
    const first = await client.postSwap([proofs[2]], wireOutputs(prep));
    const again = await client.postSwap([proofs[2]], wireOutputs(prep));
    expect(again).toEqual(first);
    await refused('/v1/swap', { inputs: [proofs[2]].map(({ dleq, ...p }) => p), outputs: wireOutputs(prepareOutputs([4], ks)) }, 400, 11001);
    // Re-using already signed outputs with other inputs: 11003.
    await refused('/v1/swap', { inputs: [proofs[3]].map(({ dleq, ...p }) => p), outputs: wireOutputs(prepareOutputs([4, 4], ks)).map((o, i) => (i === 0 ? wireOutputs(prep)[0] : o)) }, 400, 11003);
  });
});

describe('quotes', () => {
  it('minting an unpaid quote: 20001; unknown quote: 404; malformed id: 400', async () => {
    const ks = await client.ring.active();
    const q = await client.createMintQuote(5);
    await refused('/v1/mint/account', { quote: q.quote, outputs: wireOutputs(prepareOutputs([1, 4], ks)) }, 400, 20001);
    await refused('/v1/mint/account', { quote: '00000000-0000-4000-8000-000000000000', outputs: wireOutputs(prepareOutputs([1], ks)) }, 404, 90005);
    await refused('/v1/mint/account', { quote: 'nope', outputs: wireOutputs(prepareOutputs([1], ks)) }, 400, 90005);
  });
  it('paying needs a valid account token (401) and enough funds; paying twice debits once', async () => {
    const q = await client.createMintQuote(7);
    const path = '/v1/mint/quote/account/' + q.quote + '/pay';
    await refused(path, '', 401, 90003);
    await refused(path, '', 401, 90003, { authorization: 'Bearer ' + bob.slice(0, -2) + 'AA' });
    await refused(path, '', 401, 90003, { authorization: 'Bearer hoodacct_0000000000000000_' + 'A'.repeat(43) });
    const big = await client.createMintQuote(10_000);
    await refused('/v1/mint/quote/account/' + big.quote + '/pay', '', 400, 90004, { authorization: 'Bearer ' + bob });
    const before = (await snapshot()).bob;
    await client.payMintQuote(q.quote, bob);
    await client.payMintQuote(q.quote, bob);
    expect((await snapshot()).bob).toBe(before - 7);
  });
  it('replayed mint: same outputs returns the first signatures, other outputs are 20002', async () => {
    const ks = await client.ring.active();
    const q = await client.createMintQuote(3);
    await client.payMintQuote(q.quote, bob);
    const prep = prepareOutputs([1, 2], ks);
    const first = await client.mint(q.quote, wireOutputs(prep));
    expect(await client.mint(q.quote, wireOutputs(prep))).toEqual(first);
    await refused('/v1/mint/account', { quote: q.quote, outputs: wireOutputs(prepareOutputs([1, 2], ks)) }, 400, 20002);
    // outputs not matching the quote amount
    const q2 = await client.createMintQuote(3);
    await client.payMintQuote(q2.quote, bob);
    await refused('/v1/mint/account', { quote: q2.quote, outputs: wireOutputs(prepareOutputs([1, 4], ks)) }, 400, 11005);
  });
  it('melt into an account: unknown account refused; wrong amount 11005; replay with other inputs 20006', async () => {
    await refused('/v1/melt/quote/account', { request: 'nobody', amount: 1, unit: 'sat' }, 400, 90006);
    await refused('/v1/melt/quote/account', { request: 'mss', amount: 1, unit: 'usd' }, 400, 11013);
    const [a, b] = await mintProofs([8, 8]);
    const mq = await client.createMeltQuote('mss', 8);
    await refused('/v1/melt/account', { quote: mq.quote, inputs: [a, b].map(({ dleq, ...p }) => p) }, 400, 11005);
    const paid = await client.melt(mq.quote, [a]);
    expect(paid.state).toBe('PAID');
    expect((await client.melt(mq.quote, [a])).state).toBe('PAID');
    await refused('/v1/melt/account', { quote: mq.quote, inputs: [b].map(({ dleq, ...p }) => p) }, 400, 20006);
    expect((await bank.mint.store.getAccountByName('mss'))!.balance).toBe(8);
  });
  it('after rotation the old keyset cannot sign (12002) but its proofs still spend', async () => {
    const old = await client.ring.active();
    const [p] = await mintProofs([16]);
    const newId = await bank.mint.rotateKeyset();
    expect(newId).not.toBe(old.id);
    await refused('/v1/swap', { inputs: [p].map(({ dleq, ...x }) => x), outputs: wireOutputs(prepareOutputs([16], old)) }, 400, 12002);
    const fresh = new BankClient(bank.url);
    const out = await fresh.swap([p]);
    expect(out[0].id).toBe(newId);
    expect(await fresh.checkState([p, ...out])).toEqual(['SPENT', 'UNSPENT']);
    const list = await client.keysets();
    expect(list.map((k) => [k.id, k.active])).toEqual(expect.arrayContaining([[old.id, false], [newId, true]]));
  });
});
