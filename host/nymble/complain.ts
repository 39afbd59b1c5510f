/**
 * A complaint by an MSS (Nymble §5.4, Extended Nymble Algorithm 2): the ticket its session TmpId
 * presented in this window goes to the NM, which links that user at every MSS of the federation from
 * the current period on. The MSS names only the session; it never learns who the user is.
 */
import { join } from 'node:path';
import { TMPID_RE } from './complaint-desk';
import { NymbleError } from './errors';
import { NYMBLE_MSS_DIR } from './mss-setup';
import { NmClient } from './nm-client';
import { readMssKeyFile } from './serve';
import { storedSessionTicket } from './server';
import { epochAt, type Epoch } from './time';


export interface ComplaintResult {
  tmpId: string;
  linkedFrom: Epoch;
}

/** From the MSS's session records on disk (`hood mss complain`): works beside a running gateway. */
export async function complainAboutSession(o: { dataDir: string; sid: string; nmUrl: string; keyFile: string; tmpId: string; now?: number }): Promise<ComplaintResult> {
  if (!TMPID_RE.test(o.tmpId)) throw new NymbleError('malformed', 'a TmpId is 1-32 characters a-z and 2-7');
  const key = readMssKeyFile(o.keyFile);
  const client = new NmClient(o.nmUrl);
  const p = await client.params();
  const now = o.now === undefined ? p.now : epochAt(p, o.now);
  const ticket = storedSessionTicket(join(o.dataDir, NYMBLE_MSS_DIR), o.tmpId, now);
  if (!ticket) throw new NymbleError('wrong_window', 'no ticket was accepted from session ' + o.tmpId + ' in this linkability window');
  return { tmpId: o.tmpId, linkedFrom: await client.complain(o.sid, key, ticket) };
}
