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
import { MssWallet } from '../../host/pay/till';
import { Wallet } from '../../host/wallet/wallet';
import { startTestBank, tempDir, type TestBank, cleanupTempDirs } from './helpers';
import { BoardError, BoardLink } from '../../host/board/link';
import { openEmu } from '../../host/board/transports/emu';
import { loadWalletToBoard } from '../../host/wallet/board-load';
import { loadProofs } from '../../firmware/src/wallet/proof-store';
import { BUNDLE } from '../helpers/gateway';

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
    const created = JSON.parse(await run(['bank', 'account', 'create', '--name', 'carol', '--data-dir', bankDir, '--json']));
    expect(created.token).toMatch(/^hoodacct_[0-9a-f]{16}_/);
    expect(JSON.parse(await run(['bank', 'account', 'credit', '--name', 'carol', '--amount', '50', '--data-dir', bankDir, '--json']))).toEqual({ name: 'carol', balance: 50 });
    const running = await startBank({ dataDir: bankDir, port: 0, log: silentLogger() });
    try {
      const wdir = tempDir('cli-w');
      vi.stubEnv('HOOD_ACCOUNT_TOKEN', created.token); // never on the command line
      const w = JSON.parse(await run(['wallet', 'withdraw', '--amount', '20', '--bank', running.url, '--data-dir', wdir, '--json']));
      vi.unstubAllEnvs();
      expect(w).toMatchObject({ withdrawn: 20, balance: 20 });
      expect(JSON.parse(await run(['wallet', 'balance', '--data-dir', wdir, '--json']))).toMatchObject({ balance: 20, pending: 0 });
      const token = (await run(['wallet', 'export', '--amount', '5', '--bank', running.url, '--data-dir', wdir])).trim();
      expect(getDecodedToken(token).proofs.reduce((s, p) => s + p.amount, 0)).toBe(5);
      expect(JSON.parse(await run(['wallet', 'balance', '--data-dir', wdir, '--json'])).balance).toBe(15);
    } finally {
      await running.close();
    }
    const audit = JSON.parse(await run(['bank', 'audit', '--data-dir', bankDir, '--json']));
    // export of 5 from proofs 16+4 swapped both (20 in, 5 + 15 out)
    expect(audit).toMatchObject({ ok: true, issued: 40, spent: 20, outstanding: 20, deposits: 50, accountsTotal: 30 });
  });
});

describe('hood wallet load: the board never forgets an unsettled load', () => {
  it('a load cut off after the commit is still settled as on the board after 36 more loads with lost answers: no coin on both sides, none lost', async () => {
    const alice = new Wallet(tempDir('load-a'));
    const carol = new Wallet(tempDir('load-b'));
    await alice.withdraw(bank.url, await bank.funded('alice-load', 100), 100);
    await carol.withdraw(bank.url, await bank.funded('carol-load', 200), 200);
    const t = await openEmu({ bundlePath: BUNDLE });
    const link = new BoardLink(t, { timeoutMs: 10_000 });
    const real = link.command.bind(link);
    /** The board runs the next commit, its answer is lost; with `cut`, contact is gone until restored. */
    const loseCommit = (cut: boolean) => {
      let down = false;
      link.command = async (c, ms) => {
        if (down) throw new BoardError('no contact', 'timeout');
        const r = await real(c, ms);
        if (c.cmd === 'wallet.commit') {
          down = cut;
          if (!cut) link.command = real;
          throw new BoardError('answer lost', 'timeout');
        }
        return r;
      };
    };
    const boardCoins = () => loadProofs(t.pda.storage);
    try {
      loseCommit(true);
      await expect(loadWalletToBoard(alice, link, bank.url, 4)).rejects.toThrow(/journaled as moving/);
      link.command = real;
      expect(alice.balance(bank.url)).toBe(96);
      expect(alice.store.state.exported.at(-1)!.board!.state).toBe('moving');
      let moved = 0;
      for (let i = 0; i < 36; i++) {
        const amount = 1 + (i % 2);
        if (i % 4 === 1) {
          loseCommit(false);
          await expect(loadWalletToBoard(carol, link, bank.url, amount)).rejects.toThrow(/are on the board/);
        } else await loadWalletToBoard(carol, link, bank.url, amount);
        moved += amount;
      }
      expect(carol.balance(bank.url)).toBe(200 - moved);
      // Alice reconnects: her cut-off load is settled from the board's log, 37 loads later.
      const r = await loadWalletToBoard(alice, link, bank.url, 1);
      expect(alice.store.state.exported.find((e) => e.amount === 4)!.board!.state).toBe('on-board');
      expect(alice.balance(bank.url)).toBe(95);
      const onBoard = boardCoins();
      const sum = onBoard.reduce((s, p) => s + p.amount, 0);
      expect(sum).toBe(moved + 5);
      expect(r.boardBalance).toBe(sum);
      const laptop = new Set([...alice.proofs(bank.url), ...carol.proofs(bank.url)].map((p) => p.secret));
      expect(onBoard.filter((p) => laptop.has(p.secret))).toEqual([]);
      expect(new Set(onBoard.map((p) => p.secret)).size).toBe(onBoard.length);
      expect(alice.balance(bank.url) + carol.balance(bank.url) + sum).toBe(300);
      // Every load is acknowledged: the board's log is empty again.
      expect((await link.command({ cmd: 'wallet.balance' })).find((e) => e.ev === 'wallet.balance')).toMatchObject({ unacked: 0, pending: 0 });
    } finally {
      await link.close();
    }
  }, 120_000);
});
