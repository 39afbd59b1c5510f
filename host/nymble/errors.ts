/** Refusals of the Nymble roles: a stable reason for code, a clear message for people. */
import { HoodError } from '../common/errors';

export type NymbleRefusal =
  | 'malformed' // a ticket/pseudonym/complaint that does not decode
  | 'forged' // a MAC that does not verify (ticket macNS/macN, pseudonym MAC)
  | 'expired' // a ticket for an earlier period or window
  | 'not_yet_valid' // a ticket for a later period
  | 'wrong_mss' // a ticket made for another MSS
  | 'replayed' // a second use of a ticket in its period
  | 'linked' // a ticket of a user who was complained about (blacklisted)
  | 'unknown_mss' // an MSS the NM has no key for
  | 'unknown_resource' // the PM could not verify control of the scarce resource
  | 'wrong_window'; // a pseudonym or complaint for another linkability window

export class NymbleError extends HoodError<NymbleRefusal> {
  constructor(reason: NymbleRefusal, message: string, options?: { cause?: unknown }) {
    super(reason, message, options);
    this.name = 'NymbleError';
  }
}
