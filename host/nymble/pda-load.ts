/**
 * Bob's laptop prepares the PDA's Nymble credential (docs/nymble.md §12): a pseudonym from the PM with
 * his account token (Algorithm 1), then from the NM the credential for one MSS, cut to the tickets of
 * the coming periods, as the `nymble.load` console command of firmware/src/apps/nymble.ts. The
 * command carries the laptop's clock: the board keeps only time since boot.
 */
import { NmClient } from './nm-client';
import { hex } from './primitives';

/** Tickets a board keeps per MSS (firmware/src/apps/nymble.ts MAX_TICKETS). */
export const PDA_MAX_TICKETS = 16;

export interface NymbleLoadCommand {
  cmd: 'nymble.load';
  nmKey: string;
  periodMs: number;
  periodsPerWindow: number;
  now: number;
  credential: { sid: string; w: number; nymbleStar: string; firstPeriod: number; tickets: string[] };
}

export async function nymbleLoadCommand(o: { nmUrl: string; accountToken: string; sid: string; periods?: number; now?: number }): Promise<NymbleLoadCommand> {
  const client = new NmClient(o.nmUrl);
  const p = await client.params();
  const nym = await client.pseudonym(o.accountToken);
  const c = await client.credential(nym, o.sid, p.now.t);
  const n = Math.min(o.periods ?? PDA_MAX_TICKETS, PDA_MAX_TICKETS);
  return {
    cmd: 'nymble.load',
    nmKey: hex(p.publicKey),
    periodMs: p.periodMs,
    periodsPerWindow: p.periodsPerWindow,
    now: o.now ?? Date.now(),
    credential: { sid: c.sid, w: c.w, nymbleStar: hex(c.nymbleStar), firstPeriod: c.firstPeriod, tickets: c.tickets.slice(0, n).map(hex) },
  };
}
