/**
 * `/metrics` in the Prometheus text format (prom-client). Every series is read from a fresh snapshot
 * (snapshot.ts) at scrape time, so the MSS pays nothing between scrapes. Names start with `hood_`; labels are
 * only `reason`, `direction`, `lane` and `stat`, each from a fixed set (reasons.ts): never an identifier.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DashboardSnapshot } from './snapshot';

type Snap = () => DashboardSnapshot;

/** A counter whose value is copied from a stats object at each scrape (the MSS counts; we only read). */
function mirrorCounter(reg: Registry, name: string, help: string, read: (s: DashboardSnapshot) => number | null, snap: Snap): void {
  new Counter({
    name,
    help,
    registers: [reg],
    collect() {
      const v = read(snap());
      this.reset();
      if (v !== null) this.inc(v);
    },
  });
}

function mirrorReasons(reg: Registry, name: string, help: string, read: (s: DashboardSnapshot) => Record<string, number> | null, snap: Snap, label = 'reason'): void {
  new Counter({
    name,
    help,
    labelNames: [label],
    registers: [reg],
    collect() {
      const m = read(snap());
      this.reset();
      if (m) for (const k of Object.keys(m)) this.inc({ [label]: k }, m[k]);
    },
  });
}

function mirrorGauge(reg: Registry, name: string, help: string, read: (s: DashboardSnapshot) => number | null, snap: Snap): void {
  new Gauge({
    name,
    help,
    registers: [reg],
    collect() {
      const v = read(snap());
      this.reset();
      if (v !== null) this.set(v);
    },
  });
}

/** The MSS's registry; `read()` is called at most once per scrape (the collectors share one snapshot). */
export function mssRegistry(read: () => DashboardSnapshot): Registry {
  const reg = new Registry();
  let cached: { s: DashboardSnapshot; t: number } | null = null;
  const snap: Snap = () => {
    const t = Date.now();
    if (!cached || t - cached.t > 250) cached = { s: read(), t };
    return cached.s;
  };
  collectDefaultMetrics({ register: reg, prefix: 'hood_' });

  mirrorGauge(reg, 'hood_sessions', 'Sessions open now', (s) => s.sessions, snap);
  mirrorCounter(reg, 'hood_joins_accepted_total', 'JOINs answered with ACCEPT', (s) => s.joins.accepted, snap);
  mirrorReasons(reg, 'hood_joins_refused_total', 'JOINs answered with REFUSE, by reason (docs/protocol.md §7.1)', (s) => s.joins.refused, snap);
  mirrorGauge(reg, 'hood_join_queue_length', 'JOINs waiting for their X25519 (docs/protocol.md §7.6)', (s) => s.joins.queued, snap);
  mirrorCounter(reg, 'hood_join_queue_dropped_total', 'JOINs dropped because the JOIN queue was full', (s) => s.joins.queueDropped, snap);
  mirrorCounter(reg, 'hood_sessions_evicted_pending_total', 'Unsettled sessions ended to make room under load', (s) => s.joins.evictedPending, snap);
  mirrorReasons(reg, 'hood_sessions_ended_total', 'Sessions ended, by reason', (s) => s.ended, snap);
  mirrorCounter(reg, 'hood_cells_up_total', 'Uplink cells handled by the core', (s) => s.cells.up, snap);
  mirrorCounter(reg, 'hood_cells_down_total', 'Downlink cells sent by the core', (s) => s.cells.down, snap);
  mirrorReasons(reg, 'hood_cover_cells_total', 'Cover cells (docs/protocol.md §3.5), in and out', (s) => ({ in: s.cells.coverIn, out: s.cells.coverOut }), snap, 'direction');
  mirrorReasons(reg, 'hood_cells_rejected_total', 'Uplink cells dropped unanswered, by reason', (s) => s.cells.rejected, snap);
  mirrorGauge(reg, 'hood_broker_connections', 'Client connections of the embedded broker', (s) => s.broker.connections, snap);
  mirrorReasons(reg, 'hood_broker_rejected_total', 'Packets the embedded broker dropped, by reason', (s) => s.broker.rejected, snap);
  mirrorReasons(reg, 'hood_broker_disconnected_total', 'Connections the embedded broker closed, by reason', (s) => s.broker.disconnected, snap);
  mirrorCounter(reg, 'hood_payments_total', 'Payments accepted (coins swapped at the bank, paper step 4)', (s) => (s.payment ? s.payment.paid : null), snap);
  mirrorCounter(reg, 'hood_payments_earned_total', 'Amount earned by accepted payments, in the price unit', (s) => (s.payment ? s.payment.earned : null), snap);
  mirrorReasons(reg, 'hood_payments_refused_total', 'Payments refused, by reason', (s) => (s.payment ? s.payment.refused : null), snap);
  mirrorGauge(reg, 'hood_till_balance', "The MSS's till (coins earned and not cashed out)", (s) => (s.payment ? s.payment.till : null), snap);
  mirrorGauge(reg, 'hood_bank_audit_ok', 'Last ledger audit of the embedded bank: 1 balanced, 0 not', (s) => (s.bank && s.bank.audit ? (s.bank.audit.ok ? 1 : 0) : null), snap);
  mirrorGauge(reg, 'hood_bank_audit_problems', 'Problems found by the last ledger audit', (s) => (s.bank && s.bank.audit ? s.bank.audit.problems : null), snap);
  mirrorCounter(reg, 'hood_mail_sent_total', 'Mails handed to the smarthost', (s) => (s.mail ? s.mail.sent : null), snap);
  mirrorCounter(reg, 'hood_mail_delivered_total', 'Replies delivered to a live session', (s) => (s.mail ? s.mail.delivered : null), snap);
  mirrorCounter(reg, 'hood_mail_stored_total', 'Replies kept in a drop box', (s) => (s.mail ? s.mail.stored : null), snap);
  mirrorCounter(reg, 'hood_mail_forwarded_total', 'Replies forwarded to the MSS their TmpId moved to (docs/handoff.md)', (s) => (s.mail ? s.mail.forwarded : null), snap);
  mirrorCounter(reg, 'hood_tickets_issued_total', 'Session tickets handed to PDAs (docs/handoff.md)', (s) => (s.handoff ? s.handoff.ticketsIssued : null), snap);
  mirrorCounter(reg, 'hood_sessions_resumed_total', 'Sessions resumed from a ticket here (after a restart, a lost link or a hand-off to this MSS)', (s) => (s.handoff ? s.handoff.resumed : null), snap);
  mirrorCounter(reg, 'hood_sessions_handed_off_total', 'Sessions taken over by another member of the federation', (s) => (s.handoff ? s.handoff.handedOff : null), snap);
  mirrorReasons(
    reg,
    'hood_exchange_rounds_total',
    'Pickup rounds over the exchange servers (docs/exchange.md §6): for PDAs, and cover',
    (s) => (s.exchange ? { pickup: s.exchange.pickupRounds, cover: s.exchange.coverRounds } : null),
    snap,
    'kind',
  );
  mirrorCounter(reg, 'hood_exchange_cover_deposits_total', 'Cover entries uploaded to the exchange servers', (s) => (s.exchange ? s.exchange.coverDeposits : null), snap);
  mirrorCounter(reg, 'hood_exchange_cover_failed_total', 'Cover rounds and deposits that failed (a server away)', (s) => (s.exchange ? s.exchange.coverFailed : null), snap);
  mirrorReasons(
    reg,
    'hood_exchange_relayed_total',
    'Sealed exchange requests relayed for other members as their entry server',
    (s) => (s.exchange ? { ok: s.exchange.relayed, failed: s.exchange.relayFailed } : null),
    snap,
    'result',
  );
  mirrorReasons(reg, 'hood_resumes_refused_total', 'RESUMEs not admitted, by reason (deferred: the ticket issuer could not be asked)', (s) => (s.handoff ? s.handoff.resumeRefused : null), snap);

  const lanes = (s: DashboardSnapshot) => s.mix || {};
  new Gauge({
    name: 'hood_mix_queued',
    help: 'Messages waiting in the mix, per lane',
    labelNames: ['lane'],
    registers: [reg],
    collect() {
      this.reset();
      const m = lanes(snap());
      for (const l of Object.keys(m)) this.set({ lane: l }, m[l].queued);
    },
  });
  new Counter({
    name: 'hood_mix_released_total',
    help: 'Messages released by the mix, per lane',
    labelNames: ['lane'],
    registers: [reg],
    collect() {
      this.reset();
      const m = lanes(snap());
      for (const l of Object.keys(m)) this.inc({ lane: l }, m[l].released);
    },
  });
  new Gauge({
    name: 'hood_mix_entropy_bits',
    help: "Sender anonymity of released messages (Danezis's entropy; docs/anonymity.md): mean, min, p10, and theory log2(λe/μ)",
    labelNames: ['lane', 'stat'],
    registers: [reg],
    collect() {
      this.reset();
      const m = lanes(snap());
      for (const l of Object.keys(m)) {
        const x = m[l];
        const stats: [string, number | null][] = [['mean', x.meanBits], ['min', x.minBits], ['p10', x.p10Bits], ['theory', x.theoryBits]];
        for (const [stat, v] of stats) if (v !== null) this.set({ lane: l, stat }, v);
      }
    },
  });
  return reg;
}
