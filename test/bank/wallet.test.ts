/**
 * Host wallet and MSS wallet against the real bank: withdraw / balance / export (cashuB and cashuA,
 * readable by cashu-ts), durability and crash recovery of the wallet file, cash-out, and detection
 * of a cheating mint (keys changed under a pinned keyset id, signatures whose DLEQ does not verify).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Command } from 'commander';
import { getDecodedToken } from '@cashu/cashu-ts';
import { registerBankCommands } from '../../host/cli/commands/bank';
import { registerWalletCommands } from '../../host/cli/commands/wallet';
import { startBank } from '../../host/bank/service';
import { silentLogger } from '../../host/common/log';
import { prepareOutputs } from '../../host/wallet/blinding';
import { HttpBank } from '../../host/wallet/client';
import { checkKeyset } from '../../host/wallet/keyring';
import { MssWallet } from '../../host/wallet/mss-wallet';
import { Wallet } from '../../host/wallet/wallet';
import { startTestBank, tempDir, type TestBank, cleanupTempDirs } from './helpers';

let bank: TestBank;
let bob: string;
beforeAll(async () => {
  bank = await startTestBank();
  bob = await bank.funded('bob', 1000);
  await bank.mint.createAccount('mss-1');
});
afterAll(async () => {
  await bank.stop();
  cleanupTempDirs();
});

describe('host wallet', () => {
  it('withdraw debits the account, balance survives reopening, export gives exact tokens in both formats', async () => {
    const dir = tempDir('w');
    const w = new Wallet(dir);
    expect(await w.withdraw(bank.url, bob, 100)).toEqual({ amount: 100, balance: 100 });
    expect((await new HttpBank(bank.url).balance(bob)).balance).toBe(900);
    expect(new Wallet(dir).balance()).toBe(100);

    const b = await w.exportToken(bank.url, 37); // needs a split swap (100 = 64+32+4)
    expect(b.startsWith('cashuB')).toBe(true);
    const decoded = getDecodedToken(b);
    expect(decoded.mint).toBe(bank.url);
    expect(decoded.proofs.reduce((s, p) => s + p.amount, 0)).toBe(37);
    expect(decoded.proofs.every((p) => p.dleq && p.dleq.r)).toBe(true);
    const a = await w.exportToken(bank.url, 4, { format: 'A', dleq: false });
    expect(a.startsWith('cashuA')).toBe(true);
    expect(getDecodedToken(a).proofs.map((p) => p.amount)).toEqual([4]);
    expect(new Wallet(dir).balance()).toBe(59);
    await expect(w.exportToken(bank.url, 60)).rejects.toMatchObject({ reason: 'insufficient' });
    await expect(w.withdraw(bank.url, bob + 'x', 1)).rejects.toMatchObject({ reason: 'bank_refused' });
    await expect(w.withdraw(bank.url, bob, 100_000)).rejects.toMatchObject({ reason: 'bank_refused' });
    expect((await bank.mint.audit()).ok).toBe(true);
  });

  it('a withdraw interrupted after the mint answered is finished by recover() with the same proofs, not paid twice', async () => {
    const dir = tempDir('w-crash');
    const w = new Wallet(dir);
    const http = new HttpBank(bank.url);
    const before = (await http.balance(bob)).balance;
    // Simulate the crash: the wallet records the pending mint, the mint signs, the answer is lost.
    const ks = await w.bank(bank.url).ring.active();
    const q = await http.createMintQuote(12);
    await http.payMintQuote(q.quote, bob);
    const outputs = prepareOutputs([4, 8], ks);
    await w.store.update((s) => {
      s.pending.push({ id: 'p1', kind: 'mint', mint: bank.url, quote: q.quote, outputs, at: Date.now() });
    });
    await http.mint(q.quote, outputs.items.map((o) => ({ amount: o.amount, id: ks.id, B_: o.B_ })));
    const again = new Wallet(dir);
    expect(await again.recover()).toEqual({ settled: 1, failed: [] });
    expect(again.balance()).toBe(12);
    expect(again.store.state.pending).toEqual([]);
    expect((await http.balance(bob)).balance).toBe(before - 12);
  });
});

describe('host wallet recovery of an export', () => {
  it('an export swap interrupted before the token was printed gives all its value back to the wallet', async () => {
    const dir = tempDir('w-exp');
    const w = new Wallet(dir);
    await w.withdraw(bank.url, bob, 8);
    const ks = await w.bank(bank.url).ring.active();
    const inputs = w.proofs(bank.url).map(({ mint, ...p }) => p);
    const outputs = prepareOutputs([4, 4], ks);
    await w.store.update((s) => {
      s.proofs = [];
      s.pending.push({ id: 'e1', kind: 'swap', mint: bank.url, inputs, outputs, sendIdx: [0], at: Date.now() });
    });
    await new HttpBank(bank.url).postSwap(inputs, outputs.items.map((o) => ({ amount: o.amount, id: ks.id, B_: o.B_ })));
    const again = new Wallet(dir);
    expect(await again.recover()).toEqual({ settled: 1, failed: [] });
    expect(again.balance()).toBe(8);
  });
});

describe('MSS wallet', () => {
  it('receives (swap before accepting), stores durably and cashes out into its account', async () => {
    const w = new Wallet(tempDir('bob'));
    await w.withdraw(bank.url, bob, 30);
    const t1 = await w.exportToken(bank.url, 10);
    const t2 = await w.exportToken(bank.url, 20);
    const dir = tempDir('mss');
    const mss = new MssWallet({ dataDir: dir, mintUrl: bank.url + '/', acceptedKeysetIds: [bank.mint.activeKeysetId()], requireDleq: true });
    expect(await mss.activeKeysetId()).toBe(bank.mint.activeKeysetId());
    expect(await mss.receive(t1)).toEqual({ ok: true, amount: 10 });
    expect(await mss.receive(t2)).toEqual({ ok: true, amount: 20 });
    expect(await mss.receive(t2)).toMatchObject({ ok: false, reason: 'already_spent' });
    expect(new MssWallet({ dataDir: dir, mintUrl: bank.url }).balance()).toBe(30);
    expect(await mss.cashout('mss-1')).toEqual({ amount: 30 });
    expect(mss.balance()).toBe(0);
    expect((await bank.mint.store.getAccountByName('mss-1'))!.balance).toBe(30);
    expect(await mss.cashout('mss-1')).toEqual({ amount: 0 });
    const audit = await bank.mint.audit();
    expect(audit.problems).toEqual([]);
  });
});

describe('cheating mint detection', () => {
  /** A proxy in front of the real bank that rewrites chosen responses. */
  async function proxy(rewrite: (path: string, json: any) => any): Promise<{ url: string; server: Server }> {
    const server = createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const r = await fetch(bank.url + req.url, {
        method: req.method,
        headers: { 'content-type': 'application/json', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) },
        body: req.method === 'POST' && chunks.length ? Buffer.concat(chunks) : undefined,
      });
      const json = rewrite(req.url || '', await r.json());
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(json));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return { url: 'http://127.0.0.1:' + (server.address() as AddressInfo).port, server };
  }

  it('keys changed under a keyset id after first contact are refused (id check and pin check)', async () => {
    let tamper = false;
    const p = await proxy((path, json) => {
      if (tamper && path.startsWith('/v1/keys')) {
        const ks = json.keysets[0];
        ks.keys['1'] = ks.keys['2'];
      }
      return json;
    });
    try {
      const w = new Wallet(tempDir('pin'));
      await w.withdraw(p.url, bob, 3); // first contact: pins the honest keys
      tamper = true;
      const fresh = new Wallet(w.store.path.replace(/\/wallet\.json$/, ''));
      await expect(fresh.withdraw(p.url, bob, 1)).rejects.toMatchObject({ reason: 'keyset_mismatch' });
    } finally {
      p.server.close();
    }
    // Pin check alone: keys that are self-consistent (id derives) but differ from the pinned ones.
    const honest = bank.mint.keys().keysets[0];
    const other = (await startBank({ dataDir: tempDir('other'), port: 0, log: silentLogger() }));
    const foreign = other.mint.keys().keysets[0];
    await other.close();
    expect(() => checkKeyset(foreign, { [foreign.id]: honest.keys })).toThrow(/different keys/);
    expect(checkKeyset(honest, { [honest.id]: honest.keys }).id).toBe(honest.id);
  });

  it('signatures whose DLEQ proof does not verify against the pinned key are refused', async () => {
    const p = await proxy((path, json) => {
      if (path === '/v1/mint/account' && Array.isArray(json.signatures)) {
        for (const s of json.signatures) s.dleq.s = s.dleq.e; // any other proof
      }
      return json;
    });
    try {
      const w = new Wallet(tempDir('dleq'));
      await expect(w.withdraw(p.url, bob, 5)).rejects.toMatchObject({ reason: 'bad_dleq' });
      expect(w.balance()).toBe(0);
    } finally {
      p.server.close();
    }
  });
});

describe('CLI commands', () => {
  async function run(args: string[]): Promise<string> {
    const program = new Command().exitOverride();
    registerBankCommands(program);
    registerWalletCommands(program);
    let text = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: any) => {
      text += String(s);
      return true;
    });
    try {
      await program.parseAsync(['node', 'hood', ...args]);
    } finally {
      spy.mockRestore();
    }
    return text;
  }

  it('account create prints a token once; credit, withdraw, balance, export and audit work end to end', async () => {
    const bankDir = tempDir('cli-bank');
    const created = JSON.parse(await run(['bank', 'account', 'create', '--name', 'carol', '--data-dir', bankDir]));
    expect(created.token).toMatch(/^hoodacct_[0-9a-f]{16}_/);
    expect(JSON.parse(await run(['bank', 'account', 'credit', '--name', 'carol', '--amount', '50', '--data-dir', bankDir]))).toEqual({ name: 'carol', balance: 50 });
    const running = await startBank({ dataDir: bankDir, port: 0, log: silentLogger() });
    try {
      const wdir = tempDir('cli-w');
      const w = JSON.parse(await run(['wallet', 'withdraw', '--amount', '20', '--bank', running.url, '--account-token', created.token, '--data-dir', wdir]));
      expect(w).toMatchObject({ withdrawn: 20, balance: 20 });
      expect(JSON.parse(await run(['wallet', 'balance', '--data-dir', wdir]))).toMatchObject({ balance: 20, pending: 0 });
      const token = (await run(['wallet', 'export', '--amount', '5', '--bank', running.url, '--data-dir', wdir])).trim();
      expect(getDecodedToken(token).proofs.reduce((s, p) => s + p.amount, 0)).toBe(5);
      expect(JSON.parse(await run(['wallet', 'balance', '--data-dir', wdir])).balance).toBe(15);
    } finally {
      await running.close();
    }
    const audit = JSON.parse(await run(['bank', 'audit', '--data-dir', bankDir]));
    // export of 5 from proofs 16+4 swapped both (20 in, 5 + 15 out)
    expect(audit).toMatchObject({ ok: true, issued: 40, spent: 20, outstanding: 20, deposits: 50, accountsTotal: 30 });
  });
});
