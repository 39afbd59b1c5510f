/**
 * The PDA's side of presenting a nymble ticket (Extended Nymble §2.7): pick the ticket of the current
 * period from the credential for this MSS, check the MSS's signed blacklist first, and hand the ticket
 * over only when the check says `clear`. Anything else yields no ticket and an event that says why,
 * so the PDA never presents a ticket that would link it. Espruino-safe: hashes and one Ed25519 verify.
 */
import { checkOwnStatus } from './blacklist';

/** A credential for one MSS and window as the PDA stores it (host: NymbleManager.credential). */
export interface PdaCredential {
  sid: string;
  w: number;
  nymbleStar: Uint8Array;
  firstPeriod: number;
  tickets: Uint8Array[];
}

export interface PresentDecision {
  /** The ticket to present, or null: do not present anything to this MSS now. */
  ticket: Uint8Array | null;
  /** 'clear' or why not: 'no_ticket' | 'blacklisted' | 'malformed' | 'bad_signature' | 'wrong_mss' | 'stale' | 'rollback' */
  reason: string;
  /** The newest blacklist version seen for this MSS (store it: a later, older list is a rollback). */
  lastVersion: number;
  /** One line for the PDA's event log; never contains the ticket or the nymble. */
  event: string;
}

/**
 * `now` is the PDA's (w, t); `lastVersion` the newest blacklist version it saw for cred.sid (0 if none).
 */
export function decidePresentation(cred: PdaCredential, blacklistBytes: Uint8Array, nmPublicKey: Uint8Array, now: { w: number; t: number }, lastVersion: number): PresentDecision {
  const i = now.t - cred.firstPeriod;
  if (cred.w !== now.w || i < 0 || i >= cred.tickets.length) {
    return { ticket: null, reason: 'no_ticket', lastVersion: lastVersion, event: 'nymble: no ticket for ' + cred.sid + ' in this period; not presenting' };
  }
  const st = checkOwnStatus(blacklistBytes, nmPublicKey, { sid: cred.sid, w: now.w, t: now.t, lastVersion: lastVersion }, cred.nymbleStar);
  // Only an authentic list for this MSS and period may raise the version we remember.
  const authentic = st.reason === 'clear' || st.reason === 'blacklisted';
  const newest = authentic && st.version > lastVersion ? st.version : lastVersion;
  if (!st.ok) {
    const why = st.reason === 'blacklisted' ? 'blacklisted at ' + cred.sid + ' (presenting would link this device)' : 'blacklist of ' + cred.sid + ' not usable (' + st.reason + ')';
    return { ticket: null, reason: st.reason, lastVersion: newest, event: 'nymble: ' + why + '; not presenting' };
  }
  return { ticket: cred.tickets[i], reason: 'clear', lastVersion: newest, event: 'nymble: clear at ' + cred.sid + ' (blacklist v' + st.version + ')' };
}
