/**
 * Host half of `hood wallet load` (board half: firmware/src/apps/wallet-store.ts). Two phases per
 * batch, so a pulled cable never loses or duplicates a coin:
 *
 *   stage  -> board writes the proofs to a staging file, answers SHA-256 of the bytes it holds;
 *             the host checks it against its own hash of what it sent (else abort, keep the coins)
 *   journal-> `onStaged(tx)`: the caller marks these proofs "moving to board, tx" in the laptop
 *             wallet (not spendable there) BEFORE the commit is sent
 *   commit -> board merges them into its coin store (dedup by secret), logs tx, answers committed;
 *             only then `confirmed` lists them and the caller deletes them from the laptop wallet.
 *
 * A commit whose answer is lost is resolved with resolveLoad(link, tx): committed -> delete on the
 * laptop; staged -> commit again (idempotent) or abort; unknown -> the coins never left the laptop,
 * but only if the board vouches that its log holds every commit not yet acknowledged (`complete`);
 * otherwise the tx stays unresolved rather than risk a coin on both sides.
 *
 *   ack    -> once the laptop has recorded the outcome (and holds no copy of committed coins),
 *             ackLoads() lets the board forget the tx; until then the board keeps it in its log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BoardError, type BoardLink } from './link';

export interface BoardProof {
  amount: number;
  id: string;
  secret: string;
  C: string;
}

export interface LoadOptions {
  /** Proofs per transaction (the board accepts at most 32; one console line each). */
  batch?: number;
  timeoutMs?: number;
  /** Called after the board staged a batch and its hash matched, before the commit is sent. */
  onStaged?: (tx: string, proofs: BoardProof[]) => void | Promise<void>;
  /** Called when the board confirmed a batch (delete these proofs from the laptop wallet now). */
  onCommitted?: (tx: string, proofs: BoardProof[]) => void | Promise<void>;
}

export interface LoadResult {
  /** Proofs the board confirmed it stored (safe to delete from the laptop wallet). */
  confirmed: BoardProof[];
  txs: string[];
  /** Board balance after the last commit. */
  balance?: number;
}

export type TxState = 'committed' | 'staged' | 'unknown';

export function proofsJson(proofs: BoardProof[]): string {
  // Only the four NUT-00 fields travel; the board keeps the string byte for byte.
  return JSON.stringify(proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C })));
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

async function loadBatch(link: BoardLink, proofs: BoardProof[], o: LoadOptions): Promise<{ tx: string; balance?: number }> {
  const tx = randomBytes(8).toString('hex');
  const json = proofsJson(proofs);
  const want = sha256Hex(json);
  const staged = (await link.command({ cmd: 'wallet.stage', tx, proofs: json }, o.timeoutMs)).find((e) => e.ev === 'wallet.staged');
  if (!staged || staged.tx !== tx || staged.hash !== want) {
    await link.request({ cmd: 'wallet.abort', tx }, o.timeoutMs).catch(() => undefined);
    throw new BoardError('the board staged different bytes than were sent (hash mismatch); nothing was moved', 'hash_mismatch');
  }
  await o.onStaged?.(tx, proofs);
  const committed = (await link.command({ cmd: 'wallet.commit', tx, hash: want }, o.timeoutMs)).find((e) => e.ev === 'wallet.committed');
  if (!committed || committed.tx !== tx || committed.hash !== want) throw new BoardError('no commit confirmation from the board for tx ' + tx, 'no_confirmation');
  await o.onCommitted?.(tx, proofs);
  return { tx, balance: typeof committed.balance === 'number' ? committed.balance : undefined };
}

/** Move proofs to the board; resolves with those the board confirmed. Throws on the first failed batch. */
export async function loadProofsToBoard(link: BoardLink, proofs: BoardProof[], o: LoadOptions = {}): Promise<LoadResult> {
  const batch = Math.max(1, Math.min(o.batch ?? 8, 32));
  const seen = new Set<string>();
  for (const p of proofs) {
    if (seen.has(p.secret)) throw new BoardError('the same proof is listed twice', 'duplicate');
    seen.add(p.secret);
  }
  const out: LoadResult = { confirmed: [], txs: [] };
  for (let i = 0; i < proofs.length; i += batch) {
    const part = proofs.slice(i, i + batch);
    const r = await loadBatch(link, part, o);
    out.confirmed.push(...part);
    out.txs.push(r.tx);
    out.balance = r.balance;
  }
  return out;
}

/** What the board knows of a tx (after a reconnect, for a batch whose outcome the host missed). */
export async function boardTxState(link: BoardLink, tx: string, timeoutMs?: number): Promise<{ state: TxState; hash?: string; complete?: boolean }> {
  const e = (await link.command({ cmd: 'wallet.status', tx }, timeoutMs)).find((x) => x.ev === 'wallet.txstatus');
  if (!e || e.tx !== tx || (e.state !== 'committed' && e.state !== 'staged' && e.state !== 'unknown')) throw new BoardError('bad wallet.status answer', 'protocol');
  return { state: e.state, hash: e.hash, complete: e.complete === true };
}

/**
 * Tell the board the laptop has recorded the outcome of these txs, so it may drop them from its
 * log. Call only after the wallet file says where the coins are (committed ones deleted here).
 */
export async function ackLoads(link: BoardLink, txs: string[], timeoutMs?: number): Promise<void> {
  for (const tx of txs) {
    const e = (await link.command({ cmd: 'wallet.ack', tx }, timeoutMs)).find((x) => x.ev === 'wallet.acked');
    if (!e || e.tx !== tx) throw new BoardError('no acknowledgement for tx ' + tx, 'no_confirmation');
  }
}

/**
 * Finish a batch that was journaled as staged: commit it if the board still has exactly these
 * proofs staged, report committed if it already is, `unknown` if the board never kept them.
 * Returns the final state: 'committed' (delete on the laptop) or 'unknown' (keep on the laptop).
 */
export async function resolveLoad(link: BoardLink, tx: string, proofs: BoardProof[], timeoutMs?: number): Promise<'committed' | 'unknown'> {
  const want = sha256Hex(proofsJson(proofs));
  const s = await boardTxState(link, tx, timeoutMs);
  if (s.state === 'committed') {
    if (s.hash !== want) throw new BoardError('tx ' + tx + ' was committed with other proofs', 'hash_mismatch');
    return 'committed';
  }
  if (s.state === 'unknown') {
    // A board whose log may have dropped entries cannot tell "never committed" from "forgotten".
    if (!s.complete) throw new BoardError('the board does not know tx ' + tx + ' and cannot vouch that it never committed it; the coins stay journaled as moving', 'unresolved');
    return 'unknown';
  }
  if (s.hash !== want) {
    await link.command({ cmd: 'wallet.abort', tx }, timeoutMs);
    return 'unknown';
  }
  const c = (await link.command({ cmd: 'wallet.commit', tx, hash: want }, timeoutMs)).find((e) => e.ev === 'wallet.committed');
  if (!c || c.hash !== want) throw new BoardError('no commit confirmation for tx ' + tx, 'no_confirmation');
  return 'committed';
}
