/**
 * The same token paid to two MSS wallets at once: exactly one accepts (its swap commits), the
 * other is refused as already spent and holds nothing. 100 rounds, each with a fresh token.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { MssWallet } from '../../host/pay/till';
import { Wallet } from '../../host/wallet/wallet';
import { BankClient } from '../../host/wallet/bank-client';
import { finishProofs, prepareOutputs, wireOutputs } from '../../host/wallet/blinding';
import { encodeToken } from '../../host/wallet/token';
import { startTestBank, tempDir, type TestBank, cleanupTempDirs } from './helpers';

let bank: TestBank;
beforeAll(async () => {
  bank = await startTestBank();
});
afterAll(async () => {
  await bank.stop();
  cleanupTempDirs();
});

it('exactly one of two racing MSSs accepts the same token, 100 times', async () => {
  const bob = await bank.funded('bob', 1000);
  // Bob's laptop mints 100 one-unit proofs from one account-paid quote; each becomes a token.
  const client = new BankClient(bank.url);
  const ks = await client.ring.active();
  const q = await client.createMintQuote(100);
  await client.payMintQuote(q.quote, bob);
  const prep = prepareOutputs(new Array(100).fill(1), ks);
  const proofs = finishProofs(prep, await client.mint(q.quote, wireOutputs(prep)), ks);
  // Without DLEQ in the token: the race is about the mint's ledger, not the offline check.
  const tokens = proofs.map((p) => encodeToken({ mint: bank.url, unit: 'sat', proofs: [p] }, 'B', false));

  const a = new MssWallet({ dataDir: tempDir('mssA'), mintUrl: bank.url });
  const b = new MssWallet({ dataDir: tempDir('mssB'), mintUrl: bank.url });
  let winsA = 0;
  let winsB = 0;
  for (const t of tokens) {
    const [ra, rb] = await Promise.all([a.receive(t), b.receive(t)]);
    expect([ra.ok, rb.ok].filter(Boolean)).toHaveLength(1);
    const loser = ra.ok ? rb : ra;
    expect(loser).toMatchObject({ ok: false, reason: 'already_spent' });
    if (ra.ok) winsA++;
    else winsB++;
  }
  expect(winsA + winsB).toBe(100);
  expect(a.balance()).toBe(winsA);
  expect(b.balance()).toBe(winsB);
  const audit = await bank.mint.audit();
  expect(audit.problems).toEqual([]);
  expect(audit.outstanding).toBe(100);
  // No pending swap left behind by the loser.
  expect(a.wallet.store.state.pending).toEqual([]);
  expect(b.wallet.store.state.pending).toEqual([]);
});

it('tokens from another mint URL, a keyset the MSS does not advertise, or garbage are refused without touching the bank', async () => {
  const bob = await bank.funded('bob2', 10);
  const w = new Wallet(tempDir('bob2'));
  await w.withdraw(bank.url, bob, 4);
  const t = await w.exportToken(bank.url, 4);
  const before = await bank.mint.audit();
  const foreign = new MssWallet({ dataDir: tempDir('f'), mintUrl: 'http://127.0.0.2:9' });
  expect(await foreign.receive(t)).toMatchObject({ ok: false, reason: 'foreign_mint' });
  const picky = new MssWallet({ dataDir: tempDir('p'), mintUrl: bank.url, acceptedKeysetIds: ['00aaaaaaaaaaaaaa'] });
  expect(await picky.receive(t)).toMatchObject({ ok: false, reason: 'unknown_keyset' });
  const m = new MssWallet({ dataDir: tempDir('m'), mintUrl: bank.url });
  expect(await m.receive('cashuBgarbage')).toMatchObject({ ok: false, reason: 'malformed' });
  expect(await m.receive('x'.repeat(100_000))).toMatchObject({ ok: false, reason: 'malformed' });
  // A token whose DLEQ was tampered with is refused offline (NUT-12 Carol check).
  const { decodeToken } = await import('../../host/wallet/token');
  const d = decodeToken(t);
  d.proofs[0].dleq!.s = d.proofs[0].dleq!.s.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
  expect(await m.receive(encodeToken(d))).toMatchObject({ ok: false, reason: 'bad_dleq' });
  expect(await bank.mint.audit()).toEqual(before);
  // The untouched token still pays.
  expect(await m.receive(t)).toEqual({ ok: true, amount: 4 });
});
