/**
 * Interoperability: @cashu/cashu-ts 2.5 (a client nobody here wrote) against `hood bank` over real
 * HTTP. cashu-ts hard-codes the bolt11 paths for mint/melt, so its requests to /v1/mint/bolt11
 * are pointed at our /v1/mint/account (its customRequest hook); the quote is paid by debiting
 * Bob's account with our own client (docs/bank.md, method "account").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CashuMint, CashuWallet, getEncodedTokenV4, hasValidDleq, type Proof } from '@cashu/cashu-ts';
import { HttpBank } from '../../host/wallet/client';
import { MssWallet } from '../../host/pay/till';
import { Wallet } from '../../host/wallet/wallet';
import { startTestBank, tempDir, type TestBank, cleanupTempDirs } from './helpers';

let bank: TestBank;
let bob: string;

async function accountRequest(opts: { endpoint: string; method?: string; requestBody?: unknown; headers?: Record<string, string> }): Promise<any> {
  const endpoint = opts.endpoint.replace('/v1/mint/bolt11', '/v1/mint/account');
  const res = await fetch(endpoint, {
    method: opts.method || 'GET',
    headers: { 'content-type': 'application/json', ...(opts.headers || {}) },
    body: opts.requestBody === undefined ? undefined : JSON.stringify(opts.requestBody),
  });
  const json = (await res.json()) as any;
  if (!res.ok) throw Object.assign(new Error(json.detail), { code: json.code, status: res.status });
  return json;
}

async function cashuTsWallet(): Promise<{ wallet: CashuWallet; mint: CashuMint }> {
  const mint = new CashuMint(bank.url, accountRequest as any);
  const wallet = new CashuWallet(mint, { unit: 'sat' });
  await wallet.loadMint();
  return { wallet, mint };
}

async function paidQuote(amount: number): Promise<string> {
  const http = new HttpBank(bank.url);
  const q = await http.createMintQuote(amount);
  const paid = await http.payMintQuote(q.quote, bob);
  expect(paid.state).toBe('PAID');
  return q.quote;
}

beforeAll(async () => {
  bank = await startTestBank();
  bob = await bank.funded('bob', 10_000);
});
afterAll(async () => {
  await bank.stop();
  cleanupTempDirs();
});

describe('cashu-ts 2.5 against hood bank', () => {
  it('loads keys and keysets; the keyset id is the NUT-02 id cashu-ts derives', async () => {
    const { wallet, mint } = await cashuTsWallet();
    const keys = await mint.getKeys();
    expect(keys.keysets).toHaveLength(1);
    const ks = keys.keysets[0];
    expect(ks.id).toMatch(/^00[0-9a-f]{14}$/);
    expect(Object.keys(ks.keys)).toHaveLength(32);
    const { deriveKeysetId } = await import('@cashu/cashu-ts');
    expect(deriveKeysetId(ks.keys)).toBe(ks.id);
    expect(wallet.keysetId).toBe(ks.id);
    const info = await mint.getInfo();
    expect((info.nuts as any)['4'].methods[0].method).toBe('account');
  });

  it('mints with a quote paid from an account, swaps, sends, receives and checks state', async () => {
    const { wallet } = await cashuTsWallet();
    const quote = await paidQuote(64);
    const proofs = await wallet.mintProofs(64, quote);
    expect(proofs.reduce((s, p) => s + p.amount, 0)).toBe(64);
    const keyset = (await wallet.getKeys())!;
    for (const p of proofs) expect(hasValidDleq(p, keyset)).toBe(true);

    const { keep, send } = await wallet.send(21, proofs, { includeDleq: true });
    expect(send.reduce((s, p) => s + p.amount, 0)).toBe(21);
    expect(keep.reduce((s, p) => s + p.amount, 0)).toBe(43);

    let states = await wallet.checkProofsStates(proofs);
    expect(states.every((s) => s.state === 'SPENT')).toBe(true);

    const token = getEncodedTokenV4({ mint: bank.url, proofs: send, unit: 'sat' });
    const { wallet: carol } = await cashuTsWallet();
    const received = await carol.receive(token);
    expect(received.reduce((s, p) => s + p.amount, 0)).toBe(21);
    states = await carol.checkProofsStates([...send, ...received]);
    expect(states.map((s) => s.state)).toEqual([...send.map(() => 'SPENT'), ...received.map(() => 'UNSPENT')]);

    // Receiving the same token again is refused by the mint (NUT error 11001).
    await expect(carol.receive(token)).rejects.toThrow(/spent/i);

    const swapped = await wallet.swap(43, keep);
    expect([...swapped.keep, ...swapped.send].reduce((s, p) => s + p.amount, 0)).toBe(43);
    expect(await bank.mint.audit()).toMatchObject({ ok: true });
  });

  it('a token exported by hood wallet is received by cashu-ts, and a cashu-ts token by the MSS wallet', async () => {
    const w = new Wallet(tempDir('hw'));
    await w.withdraw(bank.url, bob, 50);
    const token = await w.exportToken(bank.url, 13);
    const { wallet } = await cashuTsWallet();
    const got: Proof[] = await wallet.receive(token);
    expect(got.reduce((s, p) => s + p.amount, 0)).toBe(13);

    const mss = new MssWallet({ dataDir: tempDir('mss'), mintUrl: bank.url, requireDleq: true });
    const out = getEncodedTokenV4({ mint: bank.url, proofs: got, unit: 'sat' });
    expect(await mss.receive(out)).toEqual({ ok: true, amount: 13 });
    expect(mss.balance()).toBe(13);
  });
});
