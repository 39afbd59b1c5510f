/**
 * The fixed label sets of the dashboard and /metrics. Reason counters in the MSS's stats objects are keyed by
 * strings our own code chose, but a label value must never be able to carry anything a peer sent: every key
 * is mapped onto one of these closed sets (anything else becomes `other`), so neither an identifier nor an
 * unbounded number of series can reach a scrape (paper §5: the MSS keeps no account of devices).
 */

/** REFUSE reasons of a JOIN (docs/protocol.md §7.1). */
export const REFUSE_REASONS = ['tmpmac_in_use', 'capacity', 'stale_beacon', 'bad_request', 'ticket'] as const;

/** Why a RESUME was not admitted (host/mss/handoff.ts, core.ts; docs/handoff.md): refused with REFUSE 5, or left unanswered (deferred). */
export const RESUME_REFUSE_REASONS = [
  'unknown', 'forged', 'expired', 'session_expired', 'not_in_federation', 'already_here', 'conflict_after_redeem', 'no_ticket_desk', 'deferred',
  'peer_unknown', 'peer_forged', 'peer_expired', 'peer_session_expired', 'peer_not_a_member', 'peer_bad_answer',
] as const;

/** Why the core dropped an uplink cell without answering (core.ts reject(), codec DecodeErrors, replay window). */
export const CELL_REJECT_REASONS = [
  'not_bytes', 'internal_error', 'bad_cell_size', 'bad_kind', 'bad_version', 'bad_seal', 'bad_mac', 'bad_type',
  'truncated', 'trailing_bytes', 'too_long', 'too_large', 'oversized', 'unknown_message', 'bad_tmpid', 'bad_cover',
  'join_replay', 'join_rate_limited', 'unknown_session', 'too_old', 'replay', 'replayed_message', 'unknown_channel', 'unpaid',
  'kbd_collision', 'unexpected_type', 'bad_ticket',
] as const;

/** Why a session ended (core.ts end()); `service` covers every service-chosen BYE reason. */
export const END_REASONS = ['bye', 'idle_timeout', 'session_limit', 'evicted_pending', 'shutdown', 'handed_off', 'service'] as const;

/** What the embedded broker dropped (host/mss/broker.ts, docs/protocol.md §7.6). */
export const BROKER_REJECT_REASONS = [
  'publish_rate', 'retain_foreign', 'retain', 'forbidden_topic', 'cell_size', 'join_rate', 'join_pending',
  'forbidden_subscription', 'subscriptions', 'connections', 'packet_size', 'will',
] as const;

/** Why a payment was refused (host/pay/payment-service.ts, host/wallet/types.ts WalletFailure). */
export const PAY_REFUSE_REASONS = [
  'malformed', 'foreign_mint', 'unknown_keyset', 'keyset_mismatch', 'bad_dleq', 'already_spent', 'invalid_proof',
  'insufficient', 'bank_refused', 'bank_unreachable',
] as const;

/** The two lanes of the mail mix (host/mix: Bob → Alice, Alice → Bob). */
export const MIX_LANES = ['out', 'in'] as const;

export const OTHER = 'other';

/**
 * Fold a reason-keyed counter onto a fixed set: every listed reason present (0 if never seen), the rest
 * summed under `other`. `prefix` maps families such as `service_<n>` onto one name.
 */
export function foldReasons(counts: Record<string, number> | undefined, allowed: readonly string[], prefixes: readonly string[] = []): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of allowed) out[r] = 0;
  out[OTHER] = 0;
  for (const k of Object.keys(counts || {})) {
    const v = Number(counts![k]) || 0;
    let name = allowed.indexOf(k) >= 0 ? k : OTHER;
    for (const p of prefixes) if (k.startsWith(p + '_') && allowed.indexOf(p) >= 0) name = p;
    out[name] += v;
  }
  return out;
}
