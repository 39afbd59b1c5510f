/**
 * Settling coins a PDA left pending (docs/payment.md, "Pending proofs"): a PAY whose answer never
 * came leaves its proofs marked on the board. The PDA offers them again itself at the same MSS; what
 * it cannot settle that way (it did not know the MSS, or the MSS refused several proofs as spent
 * without saying which) the owner's laptop checks with NUT-07 (POST /v1/checkstate): SPENT ones are
 * dropped on the board, UNSPENT ones become spendable there again.
 *
 * The board names pending proofs by C only (never the secret, a bearer credential); the laptop knows
 * the secrets because it exported those coins, so it computes Y = hash_to_curve(secret) itself.
 * The bank's answer is matched by Y, never by position.
 */
import { pointHex, secretToY } from '../cashu/bdhke';
import { BoardError, type BoardLink } from '../board/link';
import { decodeToken } from './token';
import type { Wallet } from './wallet';

export interface PendingGroup {
  payId: string;
  /** The PDA will offer it again at the MSS it went to. */
  reoffer: boolean;
  /** In flight in the live session: not to be touched. */
  inflight: boolean;
  C: string[];
}

export interface PendingSettlement {
  /** Pending proofs the board reported. */
  pending: number;
  /** Proofs checked with the bank. */
  checked: number;
  dropped: number;
  freed: number;
  /** Left pending: the PDA settles them itself, the bank had no answer, or this wallet never held them. */
  left: number;
}

/** Settled per command: the board accepts at most 64 C values per list. */
const CHUNK = 32;

export async function boardPending(link: BoardLink, timeoutMs?: number): Promise<PendingGroup[]> {
  const e = (await link.command({ cmd: 'wallet.pending' }, timeoutMs)).find((x) => x.ev === 'wallet.pending');
  if (!e || !Array.isArray(e.groups)) throw new BoardError('bad wallet.pending answer', 'protocol');
  return e.groups as PendingGroup[];
}

/**
 * Check the board's pending proofs with NUT-07 and tell the board the verdict. By default only the
 * groups the PDA cannot settle itself; `all` also checks those it would offer again (for an MSS the
 * owner will not visit again) — each check shows the bank the coins' Y from the laptop's address.
 */
export async function settleBoardPending(w: Wallet, link: BoardLink, o: { all?: boolean; timeoutMs?: number } = {}): Promise<PendingSettlement> {
  const groups = await boardPending(link, o.timeoutMs);
  const known = new Map<string, { secret: string; mint: string }>();
  for (const e of w.store.state.exported) for (const p of decodeToken(e.token).proofs) known.set(p.C, { secret: p.secret, mint: e.mint });
  const out: PendingSettlement = { pending: 0, checked: 0, dropped: 0, freed: 0, left: 0 };
  const byMint = new Map<string, { C: string; Y: string }[]>();
  for (const g of groups) {
    out.pending += g.C.length;
    if (g.inflight || (g.reoffer && !o.all)) continue;
    for (const C of g.C) {
      const k = known.get(C);
      if (!k) continue;
      const list = byMint.get(k.mint) ?? [];
      list.push({ C, Y: pointHex(secretToY(k.secret)) });
      byMint.set(k.mint, list);
    }
  }
  const spent: string[] = [];
  const unspent: string[] = [];
  for (const [mint, list] of byMint) {
    const states = await w.bank(mint).bank.checkStateYs(list.map((x) => x.Y));
    const byY = new Map(states.map((s) => [s.Y, s.state]));
    for (const x of list) {
      const st = byY.get(x.Y);
      if (st === 'SPENT') spent.push(x.C);
      else if (st === 'UNSPENT') unspent.push(x.C);
      // PENDING or no answer: the mint has not decided; ask again another time.
    }
    out.checked += list.length;
  }
  for (let i = 0; i < Math.max(spent.length, unspent.length); i += CHUNK) {
    const e = (await link.command({ cmd: 'wallet.settle', spent: spent.slice(i, i + CHUNK), unspent: unspent.slice(i, i + CHUNK) }, o.timeoutMs)).find(
      (x) => x.ev === 'wallet.settled',
    );
    if (!e) throw new BoardError('no wallet.settled answer', 'protocol');
    out.dropped += e.dropped;
    out.freed += e.freed;
  }
  out.left = out.pending - out.dropped - out.freed;
  return out;
}
