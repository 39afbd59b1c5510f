/**
 * `hood wallet load`: move coins from the laptop wallet onto a PDA board. The proofs leave
 * the spendable set first and are journaled as "moving" (with the token, so nothing can be lost);
 * the board stages them, confirms their hash, commits (host/board/wallet-load.ts, two phases per
 * batch); only coins the board confirmed are recorded "on-board". Coins of a batch the board never
 * committed go back into the laptop wallet; a batch whose answer was lost is resolved by asking the
 * board (resolveLoad) before anything is put back. Once the wallet file records where a load's coins
 * are, the board is told (wallet.ack) and may forget the load; it never forgets one before that.
 */
import { BoardError, type BoardLink } from '../board/link';
import { ackLoads, loadProofsToBoard, resolveLoad, type BoardProof } from '../board/wallet-load';
import { settleBoardPending } from './board-pending';
import { normalizeMintUrl } from './client';
import type { BoardMove } from './store';
import { decodeToken } from './token';
import type { Wallet } from './wallet';

export interface BoardLoadResult {
  loaded: number;
  returned: number;
  txs: string[];
  boardBalance?: number;
}

const BATCH = 8;

/** The journal entry of a move, plus whether the board was told it may forget its txs. */
type Move = BoardMove & { acked?: boolean };

/**
 * Acknowledge to the board every load whose outcome the wallet file already records (on-board or
 * returned) and that was not acknowledged yet (a crash between the two leaves it for the next run).
 */
export async function ackSettledLoads(w: Wallet, link: BoardLink): Promise<number> {
  let n = 0;
  for (const e of w.store.state.exported) {
    const b = e.board as Move | undefined;
    if (!b || b.state === 'moving' || b.acked || b.txs.length === 0) continue;
    await ackLoads(link, b.txs);
    await w.store.update((st) => {
      const x = st.exported.find((y) => y.token === e.token);
      if (x && x.board) (x.board as Move).acked = true;
    });
    n++;
  }
  return n;
}

/**
 * Settle moves a previous run left "moving" (cable pulled, process killed): batch i of a token went
 * as tx i; the board says for each whether it committed. Committed coins stay on the board, the rest
 * go back into the laptop wallet.
 */
export async function settleMovingLoads(w: Wallet, link: BoardLink): Promise<{ settled: number; returned: number }> {
  let settled = 0;
  let returned = 0;
  for (const e of w.store.state.exported.filter((x) => x.board && x.board.state === 'moving')) {
    const proofs: BoardProof[] = decodeToken(e.token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
    const onBoard = new Set<string>();
    const txs = e.board!.txs;
    for (let i = 0; i < txs.length; i++) {
      const part = proofs.slice(i * BATCH, (i + 1) * BATCH);
      if ((await resolveLoad(link, txs[i], part)) === 'committed') for (const p of part) onBoard.add(p.secret);
    }
    const back = proofs.filter((p) => !onBoard.has(p.secret));
    await w.store.update((st) => {
      for (const p of back) st.proofs.push({ ...p, mint: e.mint });
      const x = st.exported.find((y) => y.token === e.token);
      if (x) x.board = { state: back.length === proofs.length ? 'returned' : 'on-board', txs };
    });
    settled++;
    returned += back.length;
  }
  await ackSettledLoads(w, link);
  return { settled, returned };
}

export async function loadWalletToBoard(w: Wallet, link: BoardLink, bankUrl: string, amount: number, onProgress?: (msg: string) => void): Promise<BoardLoadResult> {
  await w.recover();
  const earlier = await settleMovingLoads(w, link);
  if (earlier.settled) onProgress?.(`settled ${earlier.settled} interrupted load(s); ${earlier.returned} proofs back in the wallet`);
  // Coins a PAY left pending that the PDA cannot settle itself (NUT-07; docs/payment.md).
  const pend = await settleBoardPending(w, link).catch((e: Error) => {
    onProgress?.('pending coins on the board not checked: ' + e.message);
    return null;
  });
  if (pend && pend.dropped + pend.freed) onProgress?.(`pending coins on the board: ${pend.dropped} spent (dropped), ${pend.freed} unspent (spendable again)`);
  const mint = normalizeMintUrl(bankUrl);
  const token = await w.exportToken(mint, amount, { dleq: false });
  const note = (state: 'moving' | 'on-board' | 'returned', txs: string[]) =>
    w.store.update((s) => {
      const e = s.exported.find((x) => x.token === token);
      if (e) e.board = { state, txs };
    });
  await note('moving', []);
  const proofs: BoardProof[] = decodeToken(token).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
  const committed = new Set<string>();
  const txs: string[] = [];
  let staged: { tx: string; proofs: BoardProof[] } | null = null;
  try {
    const r = await loadProofsToBoard(link, proofs, {
      batch: BATCH,
      onStaged: async (tx, ps) => {
        staged = { tx, proofs: ps };
        txs.push(tx);
        await note('moving', txs.slice());
        onProgress?.(`staged ${ps.length} proofs (tx ${tx})`);
      },
      onCommitted: async (tx, ps) => {
        staged = null;
        for (const p of ps) committed.add(p.secret);
        onProgress?.(`board confirmed ${ps.length} proofs (tx ${tx})`);
      },
    });
    await note('on-board', txs);
    await ackSettledLoads(w, link);
    return { loaded: amount, returned: 0, txs, boardBalance: r.balance };
  } catch (e) {
    // A batch staged but not confirmed: ask the board what became of it before giving anything back.
    const s = staged as { tx: string; proofs: BoardProof[] } | null;
    if (s) {
      const state = await resolveLoad(link, s.tx, s.proofs).catch(() => null);
      if (state === null) {
        throw new BoardError(
          'lost contact during tx ' + s.tx + '; the coins stay journaled as moving in the wallet file — run `hood wallet load` again with the board connected to settle them',
          'unresolved',
        );
      }
      if (state === 'committed') for (const p of s.proofs) committed.add(p.secret);
    }
    const back = proofs.filter((p) => !committed.has(p.secret));
    await w.store.update((st) => {
      for (const p of back) st.proofs.push({ ...p, mint });
      const entry = st.exported.find((x) => x.token === token);
      if (entry) entry.board = { state: back.length === proofs.length ? 'returned' : 'on-board', txs };
    });
    // Best effort: contact may be gone; an unacknowledged load is acknowledged on the next run.
    await ackSettledLoads(w, link).catch(() => undefined);
    const moved = proofs.length - back.length;
    throw new BoardError(
      (e as Error).message + ` (${moved} of ${proofs.length} proofs are on the board; ${back.length} went back into the laptop wallet)`,
      (e as BoardError).code || 'failed',
    );
  }
}
