/**
 * One snapshot of the MSS for the operator: counts only. It reads the stats objects the gateway, the core,
 * the payment service, the till, the mail mix and the embedded broker keep anyway, and folds every reason
 * onto a fixed set (reasons.ts). By construction it holds no key, coin, TmpMAC, TmpId or message content:
 * the only strings in it are names from those fixed sets. TmpIds are on the sessions page alone (page.ts).
 */
import type { MssGateway } from '../mss/gateway';
import type { Payment } from '../pay/setup';
import type { Handoff } from '../mss/handoff';
import type { MailService } from '../mail/service';
import {
  BROKER_REJECT_REASONS,
  CELL_REJECT_REASONS,
  END_REASONS,
  MIX_LANES,
  PAY_REFUSE_REASONS,
  REFUSE_REASONS,
  RESUME_REFUSE_REASONS,
  foldReasons,
} from './reasons';
import type { BankAuditWatch } from './bank-audit';

/** What the dashboard reads: the running MSS of host/mss/start.ts (or any part of it). */
export interface DashboardSource {
  gw: MssGateway;
  payment?: Payment | null;
  mail?: MailService | null;
  /** Session tickets and hand-off (host/mss/handoff.ts), when the MSS gives tickets. */
  handoff?: Handoff | null;
}

export interface MixLaneSnapshot {
  queued: number;
  released: number;
  dropped: number;
  meanBits: number | null;
  minBits: number | null;
  p10Bits: number | null;
  theoryBits: number | null;
  lambdaPerSec: number | null;
  meanDelaySec: number;
}

export interface DashboardSnapshot {
  /** Milliseconds since the epoch, of the moment the counts were read. */
  at: number;
  sessions: number;
  joins: { accepted: number; refused: Record<string, number>; queued: number; queueDropped: number; evictedPending: number };
  cells: { up: number; down: number; coverIn: number; coverOut: number; rejected: Record<string, number> };
  ended: Record<string, number>;
  broker: { embedded: boolean; connections: number | null; rejected: Record<string, number> | null; disconnected: Record<string, number> | null };
  payment: null | { paid: number; earned: number; refused: Record<string, number>; till: number | null };
  bank: null | { embedded: boolean; audit: { ok: boolean; problems: number; checkedAt: number } | null };
  mail: null | { sent: number; delivered: number; stored: number; forwarded: number; pickedUp: number; sendFailed: number; mixDropped: number };
  /** Session tickets (docs/handoff.md): issued, sessions resumed here, sessions handed to another MSS, RESUMEs not admitted. */
  handoff: null | { ticketsIssued: number; resumed: number; handedOff: number; resumeRefused: Record<string, number> };
  mix: null | Record<string, MixLaneSnapshot>;
  /** Exchange servers (docs/exchange.md): pickup rounds for PDAs, cover rounds and deposits, requests relayed for other members. */
  exchange: null | { pickupRounds: number; coverRounds: number; coverDeposits: number; coverFailed: number; relayed: number; relayFailed: number };
}

/** NaN (no release yet) as null: JSON has no NaN, and the page shows "–". */
const num = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function takeSnapshot(src: DashboardSource, audit: BankAuditWatch | null, now = Date.now()): DashboardSnapshot {
  const core = src.gw.core;
  const s = core.stats;
  const adm = src.gw.admission;
  const b = src.gw.embedded;
  const pay = src.payment || null;
  let till: number | null = null;
  if (pay) {
    try {
      till = pay.till.balance();
    } catch {
      till = null; // the wallet file is mid-write or unreadable: show "–", never stop the page
    }
  }
  const mixRaw = src.mail ? src.mail.mixStats() : null;
  let mix: Record<string, MixLaneSnapshot> | null = null;
  if (mixRaw) {
    mix = {};
    for (const lane of MIX_LANES) {
      const m = mixRaw[lane];
      mix[lane] = {
        queued: m.queued,
        released: m.released,
        dropped: m.dropped,
        meanBits: num(m.meanBits),
        minBits: num(m.minBits),
        p10Bits: num(m.p10Bits),
        theoryBits: num(m.theoryBits),
        lambdaPerSec: num(m.lambdaPerSec),
        meanDelaySec: m.meanDelaySec,
      };
    }
  }
  const ms = src.mail ? src.mail.stats : null;
  const ex = src.mail ? src.mail.exchange : null;
  return {
    at: now,
    sessions: core.sessions.size,
    joins: {
      accepted: s.accepted,
      refused: foldReasons(s.refused, REFUSE_REASONS),
      queued: adm ? adm.joins.length : 0,
      queueDropped: adm ? sum(adm.joins.stats.dropped) : 0,
      evictedPending: adm ? adm.pending.stats.evicted : 0,
    },
    cells: { up: s.cellsUp, down: s.cellsDown, coverIn: s.coverIn, coverOut: s.coverOut, rejected: foldReasons(s.rejected, CELL_REJECT_REASONS) },
    ended: foldReasons(s.ended, END_REASONS, ['service']),
    broker: b
      ? { embedded: true, connections: b.stats.connections, rejected: foldReasons(b.stats.rejected, BROKER_REJECT_REASONS), disconnected: foldReasons(b.stats.disconnected, BROKER_REJECT_REASONS) }
      : { embedded: false, connections: null, rejected: null, disconnected: null },
    payment: pay ? { paid: pay.service.stats.paid, earned: pay.service.stats.earned, refused: foldReasons(pay.service.stats.refused, PAY_REFUSE_REASONS), till } : null,
    bank: pay ? { embedded: !!pay.bank, audit: audit ? audit.last() : null } : null,
    mail: ms ? { sent: ms.sent, delivered: ms.delivered, stored: ms.stored, forwarded: ms.forwarded, pickedUp: ms.pickedUp, sendFailed: ms.sendFailed, mixDropped: ms.mixDropped } : null,
    handoff: src.handoff
      ? { ticketsIssued: src.handoff.stats.issued, resumed: s.resumed, handedOff: src.handoff.stats.handedOff, resumeRefused: foldReasons(s.resumeRefused, RESUME_REFUSE_REASONS) }
      : null,
    mix,
    exchange: ex
      ? {
          pickupRounds: ex.rounds.rounds,
          coverRounds: ex.cover.rounds,
          coverDeposits: ex.cover.deposits,
          coverFailed: ex.cover.failed + ex.cover.depositsFailed,
          relayed: ex.relay.relayed,
          relayFailed: ex.relay.failed,
        }
      : null,
  };
}

function sum(m: Record<string, number>): number {
  let t = 0;
  for (const k of Object.keys(m)) t += m[k];
  return t;
}
