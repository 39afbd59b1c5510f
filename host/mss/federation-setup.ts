/**
 * An MSS as a member of a federation (docs/handoff.md, docs/federation.md): its beacon carries the
 * membership certificate, and it serves and uses the authenticated MSS-to-MSS channel for hand-off:
 *
 *   POST /handoff/redeem   {id, secret} (hex)       → 200 {tmpId, sessionExpiresAt, state} | 409 {error}
 *   POST /handoff/deliver  {tmpId, age} (base64)    → 200 {result: 'delivered' | 'gone'}
 *   POST /exchange/relay   a sealed exchange request   (host/exchange/entry-relay.ts; with exchange servers)
 *
 * redeem is what member B sends the ticket's issuer A when a PDA resumes at B with A's ticket: A marks the
 * ticket spent and the TmpId moved to B in one transaction and erases its session (paper §6.3: the session
 * moves; it does not run twice). deliver is how A's mail follows the TmpId to B. The ticket secret crosses
 * the channel once, in the request that spends it; use https URLs between MSSs on any real network.
 */
import { fromHex, toHex } from '../../shared/src/bytes';
import { TICKET_ID_LEN, TICKET_SECRET_LEN } from '../../shared/src/protocol/constants';
import { DELIVER_RETRY_MS, DELIVER_TRIES } from '../../shared/src/mail/constants';
import type { TicketRef } from '../../shared/src/protocol/messages';
import type { Logger } from '../common/log';
import { loadFederation, type Federation } from '../federation/list';
import type { PeerSelf } from '../federation/peer-auth';
import { relayThroughMember, serveEntryRelay } from '../exchange/entry-relay';
import { peerRequest } from '../federation/peer-client';
import { startPeerServer, type PeerServer } from '../federation/peer-server';
import type { BeaconExtension } from '../../shared/src/protocol/beacon';
import type { MailService } from '../mail/service';
import type { ResumedRoute } from './core';
import type { Handoff } from './handoff';
import type { MssKeys } from './keys';

export interface FederationOptions {
  /** The signed federation list (hood federation sign). */
  file: string;
  /** Where this MSS serves its MSS-to-MSS endpoint (the url the list gives for it). */
  listen: { host: string; port: number };
  timeoutMs?: number;
}

export interface FederationMembership {
  federation: Federation;
  extension: BeaconExtension;
  self: PeerSelf;
  /** Redeem a ticket of another member at its issuer. */
  redeemRemote(t: TicketRef): Promise<ResumedRoute | string>;
  /** Hand a reply to the member a TmpId moved to. */
  forward(to: string, tmpId: string, age: Uint8Array): Promise<'delivered' | 'gone'>;
  /** Send a sealed exchange request through member `to` (ACS entry server; host/exchange/entry-relay.ts). */
  relayExchange(to: string, serverId: string, sealed: Uint8Array): Promise<Uint8Array>;
  /** Serve /handoff/* (and /exchange/relay when the MSS has exchange servers) for the other members, once the MSS runs. */
  serve(h: Handoff, mail: MailService | null, log: Logger): Promise<PeerServer>;
}

const HEX = /^[0-9a-f]*$/;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const MAX_AGE_B64 = 32 * 1024;

function parseTicket(body: unknown): { id: Uint8Array; secret: Uint8Array } | null {
  const b = body as { id?: unknown; secret?: unknown } | null;
  if (!b || typeof b.id !== 'string' || typeof b.secret !== 'string') return null;
  if (b.id.length !== TICKET_ID_LEN * 2 || b.secret.length !== TICKET_SECRET_LEN * 2 || !HEX.test(b.id) || !HEX.test(b.secret)) return null;
  return { id: fromHex(b.id), secret: fromHex(b.secret) };
}

/** What a redeem answer may carry, checked field by field (the answer is signed, but checked as input all the same). */
function parseResumed(body: unknown): ResumedRoute | null {
  const b = body as { tmpId?: unknown; sessionExpiresAt?: unknown; state?: unknown } | null;
  if (!b || typeof b.tmpId !== 'string' || !/^[a-z2-7]{1,32}$/.test(b.tmpId)) return null;
  if (typeof b.sessionExpiresAt !== 'number' || !Number.isSafeInteger(b.sessionExpiresAt)) return null;
  if (!b.state || typeof b.state !== 'object' || Array.isArray(b.state)) return null;
  return { tmpId: b.tmpId, sessionExpiresAt: b.sessionExpiresAt, state: b.state as Record<string, unknown> };
}

export function joinFederation(o: FederationOptions, mssId: string, keys: MssKeys): FederationMembership {
  const federation = loadFederation(o.file);
  // Throws unless the list names this MSS with this identity key.
  const extension = federation.beaconExtension(mssId, keys.identityPublic);
  const self: PeerSelf = { mssId, sign: (m) => keys.sign(m) };
  const timeoutMs = o.timeoutMs ?? 5000;
  return {
    federation,
    extension,
    self,
    async redeemRemote(t) {
      if (!federation.member(t.issuer)) return 'not_a_member';
      // Network errors, time-outs and 5xx throw: the MSS then gives no answer and the PDA's RESUME is
      // retried (a redeem the issuer did commit is answered again to the same member: routes.ts).
      const r = await peerRequest({ federation, self, to: t.issuer, path: '/handoff/redeem', body: { id: toHex(t.id), secret: toHex(t.secret) }, timeoutMs });
      if (r.status >= 500) throw new Error('issuer ' + t.issuer + ' answered ' + r.status);
      if (r.status !== 200) return String((r.body as { error?: unknown } | null)?.error || 'status_' + r.status).slice(0, 40);
      return parseResumed(r.body) || 'bad_answer';
    },
    relayExchange(to, serverId, sealed) {
      return relayThroughMember({ federation, self, timeoutMs }, to, serverId, sealed);
    },
    async forward(to, tmpId, age) {
      // The member answers once the PDA acknowledged the reply (DELIVER_TRIES resends, DELIVER_RETRY_MS apart, at most).
      const r = await peerRequest({ federation, self, to, path: '/handoff/deliver', body: { tmpId, age: Buffer.from(age).toString('base64') }, timeoutMs: Math.max(timeoutMs, DELIVER_TRIES * DELIVER_RETRY_MS + 5000) });
      if (r.status !== 200) throw new Error('member ' + to + ' answered ' + r.status);
      return (r.body as { result?: unknown } | null)?.result === 'delivered' ? 'delivered' : 'gone';
    },
    async serve(h, mail, log) {
      const server = await startPeerServer({ host: o.listen.host, port: o.listen.port, federation, self, log });
      server.route('/handoff/redeem', async (from, body) => {
        const t = parseTicket(body);
        if (!t) return { status: 400, body: { error: 'bad_request' } };
        const r = h.redeemForPeer(from, t.id, t.secret);
        t.secret.fill(0);
        if (typeof r === 'string') return { status: 409, body: { error: r } };
        return { status: 200, body: r };
      });
      server.route('/handoff/deliver', async (_from, body) => {
        const b = body as { tmpId?: unknown; age?: unknown } | null;
        if (!b || typeof b.tmpId !== 'string' || !isValidTmpId(b.tmpId) || typeof b.age !== 'string' || b.age.length > MAX_AGE_B64 || !B64.test(b.age))
          return { status: 400, body: { error: 'bad_request' } };
        if (!mail) return { status: 200, body: { result: 'gone' } };
        return { status: 200, body: { result: await mail.deliverForPeer(b.tmpId, new Uint8Array(Buffer.from(b.age, 'base64'))) } };
      });
      if (mail?.exchange) serveEntryRelay(server, mail.exchange, log);
      return server;
    },
  };
}

const isValidTmpId = (s: string) => /^[a-z2-7]{1,32}$/.test(s);
