/**
 * Board half of `hood wallet load`: e-cash proofs move from the laptop wallet into the PDA's coin
 * store (firmware/src/wallet/proof-store.ts) in two phases, so pulling the cable at any moment
 * neither loses nor duplicates a coin (docs/boards.md "Loading coins"):
 *
 *  1. wallet.stage {tx, proofs}: the proofs (a JSON string, kept byte for byte) are written to a
 *     staging file; the board answers with SHA-256 of exactly those bytes. Nothing is spendable yet.
 *  2. wallet.commit {tx, hash}: only if the hash matches the staged bytes, the proofs are merged
 *     into the coin store (deduplicated by secret, so a repeated commit adds nothing) and the tx id is
 *     logged as committed in the same write, then the staging file is erased. Answer: wallet.committed.
 *  3. wallet.ack {tx}: the laptop has recorded the outcome and dropped its copy; only now is the log
 *     entry removed. The log never forgets an unacknowledged commit: when it holds LOG_MAX of them,
 *     new loads are refused instead.
 *  wallet.status {tx} says committed / staged / unknown, so a host that lost the answer knows
 *  whether to drop its copy (committed) or keep it (unknown, `complete` true: the log holds every
 *  unacknowledged commit); wallet.abort {tx} drops a staged tx.
 *  (The balance is `wallet.balance`, in apps/pay.ts.)
 *
 * Events carry hashes and counts, never a proof (a proof is a bearer coin).
 */
import { equalBytes, fromHex, toHex, utf8Encode } from '../../../shared/src/bytes';
import { sha256 } from '../../../shared/src/crypto/index';
import { registerLazyApp, type App, type AppContext } from '../apps';
import type { Storage } from '../board';
import { type CoinStore, type LoadLogEntry, type StoredProof, proofStore } from '../wallet/proof-store';

/** Staged proofs of tx T live in `hood.ws.<T>` (24 characters: within Espruino's 28). */
const STAGE_PREFIX = 'hood.ws.';
/** Where an earlier firmware kept its log; it evicted entries beyond 32, acknowledged or not. */
const OLD_LOG_KEY = 'hood.wtx';
/** Committed loads not yet acknowledged by the laptop (kept in the coin store document). */
export const LOG_MAX = 32;
export const MAX_STAGE_PROOFS = 32;
export const MAX_STAGE_CHARS = 12000;

/** The app's code, made on its first use (apps.ts, registerLazyApp). */
function buildWalletStore(): App {
  const S = proofStore();
  const loadStore = S.loadStore;
  const saveStore = S.saveStore;
  const spendableTotal = S.spendableTotal;

  /** Lower-case hex of min..max digits (no regex `{n,m}`: Espruino's regex engine lacks it). */
  function isHex(s: unknown, min: number, max: number): boolean {
    return typeof s === 'string' && s.length >= min && s.length <= max && /^[0-9a-f]+$/.test(s);
  }

  function checkTx(tx: unknown): string {
    if (!isHex(tx, 16, 16)) throw new Error('tx must be 16 hex digits');
    return tx as string;
  }

  /** A NUT-00 proof as the board keeps it; anything else in the input is refused, not dropped. */
  function checkProof(p: any): StoredProof {
    if (!p || typeof p !== 'object') throw new Error('proof is not an object');
    if (typeof p.amount !== 'number' || !(p.amount >= 1 && p.amount <= 2147483647) || p.amount % 1 !== 0) throw new Error('proof amount');
    if (!isHex(p.id, 16, 66)) throw new Error('proof keyset id');
    if (typeof p.secret !== 'string' || p.secret.length < 1 || p.secret.length > 512) throw new Error('proof secret');
    if (!isHex(p.C, 66, 66) || (p.C.charAt(1) !== '2' && p.C.charAt(1) !== '3') || p.C.charAt(0) !== '0') throw new Error('proof C');
    return { amount: p.amount, id: p.id, secret: p.secret, C: p.C };
  }

  /** Parse and validate a staged proofs string; throws on any defect. */
  function parseProofs(json: string): StoredProof[] {
    let arr: any;
    try {
      arr = JSON.parse(json);
    } catch (e) {
      throw new Error('proofs are not JSON');
    }
    if (!(arr instanceof Array) || arr.length < 1 || arr.length > MAX_STAGE_PROOFS) throw new Error('proofs: 1..' + MAX_STAGE_PROOFS + ' per tx');
    const out: StoredProof[] = [];
    for (let i = 0; i < arr.length; i++) {
      const p = checkProof(arr[i]);
      for (let k = 0; k < out.length; k++) if (out[k].secret === p.secret) throw new Error('duplicate proof in tx');
      out.push(p);
    }
    return out;
  }

  function proofsHash(json: string): string {
    return toHex(sha256(utf8Encode(json)));
  }

  /** The coin store with the log, an earlier firmware's log folded in (written back on the next save). */
  function readStore(storage: Storage): CoinStore {
    const st = loadStore(storage);
    const raw = storage.read(OLD_LOG_KEY);
    if (raw) {
      let old: any = null;
      try {
        old = JSON.parse(raw);
      } catch (e) {
        old = null;
      }
      // That firmware dropped its oldest entries past 32, so a tx it had committed may be missing.
      if (!(old instanceof Array) || old.length >= LOG_MAX) st.gap = true;
      if (old instanceof Array) st.log = old.concat(st.log);
    }
    return st;
  }

  function save(storage: Storage, st: CoinStore): void {
    saveStore(storage, st);
    if (storage.read(OLD_LOG_KEY) !== undefined) storage.erase(OLD_LOG_KEY);
  }

  function logged(st: CoinStore, tx: string): LoadLogEntry | null {
    for (let i = 0; i < st.log.length; i++) if (st.log[i].tx === tx) return st.log[i];
    return null;
  }

  function checkRoom(st: CoinStore): void {
    if (st.log.length >= LOG_MAX) throw new Error('wallet log full: ' + st.log.length + ' loads not acknowledged by the laptop wallet; run `hood wallet load` with the wallet that made them');
  }

  function sum(ps: StoredProof[]): number {
    let s = 0;
    for (let i = 0; i < ps.length; i++) s += ps[i].amount;
    return s;
  }

  function stage(c: any, ctx: AppContext): void {
    const tx = checkTx(c.tx);
    if (typeof c.proofs !== 'string' || c.proofs.length > MAX_STAGE_CHARS) throw new Error('proofs must be a JSON string of at most ' + MAX_STAGE_CHARS + ' characters');
    const st = ctx.board.storage;
    const cs = readStore(st);
    if (logged(cs, tx)) throw new Error('tx already committed');
    checkRoom(cs);
    const ps = parseProofs(c.proofs);
    st.write(STAGE_PREFIX + tx, c.proofs);
    // Answer with the hash of what is in flash now, not of what we were sent.
    const back = st.read(STAGE_PREFIX + tx);
    if (back === undefined || back !== c.proofs) throw new Error('staged proofs did not read back');
    ctx.emit({ ev: 'wallet.staged', tx: tx, hash: proofsHash(back), count: ps.length, amount: sum(ps) });
  }

  function commit(c: any, ctx: AppContext): void {
    const tx = checkTx(c.tx);
    if (!isHex(c.hash, 64, 64)) throw new Error('hash must be 64 hex digits');
    const st = ctx.board.storage;
    const cs = readStore(st);
    const done = logged(cs, tx);
    if (done) {
      // Repeated commit (the answer was lost): confirm again, change nothing.
      if (!equalBytes(fromHex(done.hash), fromHex(c.hash))) throw new Error('tx was committed with another hash');
      const all0 = cs.proofs;
      ctx.emit({ ev: 'wallet.committed', tx: tx, hash: done.hash, added: 0, again: true, balance: spendableTotal(all0), proofs: all0.length });
      return;
    }
    const raw = st.read(STAGE_PREFIX + tx);
    if (raw === undefined) throw new Error('tx not staged');
    const hash = proofsHash(raw);
    if (!equalBytes(fromHex(hash), fromHex(c.hash))) throw new Error('hash does not match the staged proofs');
    const incoming = parseProofs(raw);
    checkRoom(cs);
    const all = cs.proofs;
    let added = 0;
    for (let i = 0; i < incoming.length; i++) {
      let dup = false;
      for (let k = 0; k < all.length; k++) if (all[k].secret === incoming[i].secret) dup = true;
      if (!dup) {
        all.push(incoming[i]);
        added++;
      }
    }
    // Coins and log entry in one write, then drop the staging file.
    cs.log.push({ tx: tx, hash: hash });
    save(st, cs);
    st.erase(STAGE_PREFIX + tx);
    ctx.emit({ ev: 'wallet.committed', tx: tx, hash: hash, added: added, balance: spendableTotal(all), proofs: all.length });
  }

  function status(c: any, ctx: AppContext): void {
    const tx = checkTx(c.tx);
    const st = ctx.board.storage;
    const cs = readStore(st);
    const done = logged(cs, tx);
    if (done) {
      if (st.read(STAGE_PREFIX + tx) !== undefined) st.erase(STAGE_PREFIX + tx);
      ctx.emit({ ev: 'wallet.txstatus', tx: tx, state: 'committed', hash: done.hash });
      return;
    }
    const raw = st.read(STAGE_PREFIX + tx);
    if (raw !== undefined) ctx.emit({ ev: 'wallet.txstatus', tx: tx, state: 'staged', hash: proofsHash(raw) });
    else ctx.emit({ ev: 'wallet.txstatus', tx: tx, state: 'unknown', complete: !cs.gap });
  }

  /** The laptop recorded the outcome of tx and holds no copy of its coins: forget it. */
  function ack(c: any, ctx: AppContext): void {
    const tx = checkTx(c.tx);
    const st = ctx.board.storage;
    const cs = readStore(st);
    const done = logged(cs, tx);
    if (!done && st.read(STAGE_PREFIX + tx) !== undefined) throw new Error('tx is staged, not committed');
    if (done) {
      cs.log.splice(cs.log.indexOf(done), 1);
      save(st, cs);
    }
    ctx.emit({ ev: 'wallet.acked', tx: tx, known: !!done, unacked: cs.log.length });
  }

  function abort(c: any, ctx: AppContext): void {
    const tx = checkTx(c.tx);
    const st = ctx.board.storage;
    if (logged(readStore(st), tx)) throw new Error('tx already committed');
    if (st.read(STAGE_PREFIX + tx) !== undefined) st.erase(STAGE_PREFIX + tx);
    ctx.emit({ ev: 'wallet.aborted', tx: tx });
  }

  return {
    name: 'wallet-store',
    commands: {
      'wallet.stage': stage,
      'wallet.commit': commit,
      'wallet.status': status,
      'wallet.abort': abort,
      'wallet.ack': ack,
    },
  };
}

registerLazyApp('wallet-store', ['wallet.stage', 'wallet.commit', 'wallet.status', 'wallet.abort', 'wallet.ack'], [], buildWalletStore);
