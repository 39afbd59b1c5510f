/**
 * The MSS's complaint desk for recipients (Extended Nymble §2.2: the server complains on its users'
 * behalf): Alice, who received an abusive mail, names its sender by the TmpId in its reply address
 * `<TmpId>@<mss domain>` (docs/mail.md); the MSS that delivered it looks up the ticket that session
 * presented and complains to the NM. Alice learns only that the complaint was filed; the MSS learns
 * nothing it did not have. Knowing a TmpId is what having received mail from it gives, and a
 * complaint costs the user one offence per window at most (rating.ts), so repeated complaints about
 * one incident do not compound.
 *
 *   POST /complaint   {"tmpId": "<TmpId>"}   → {"tmpId", "linkedFrom": {w, t}}
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { NymbleError } from './errors';
import type { NmClient } from './nm-client';
import type { NymbleServer } from './server';
import { epochAt } from './time';

/** A TmpId as the protocol defines it (shared/src/protocol/messages.ts): base32 a–z 2–7, 1–32 chars. */
export const TMPID_RE = /^[a-z2-7]{1,32}$/;

export interface ComplaintDesk {
  url: string;
  close(): Promise<void>;
}

export async function startComplaintDesk(
  o: { server: NymbleServer; client: NmClient; macKeyNS: Uint8Array; log: Logger; now?: () => number },
  listen: { host: string; port: number },
): Promise<ComplaintDesk> {
  const clock = o.now || Date.now;
  const http: Server = createServer({ headersTimeout: 10_000, requestTimeout: 15_000 }, (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/complaint') return send(404, { error: 'not_found', message: 'POST /complaint' });
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n <= 1024) chunks.push(c);
    });
    req.on('end', () => {
      let tmpId: unknown;
      try {
        tmpId = n <= 1024 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { tmpId?: unknown }).tmpId : undefined;
      } catch {
        tmpId = undefined;
      }
      if (typeof tmpId !== 'string' || !TMPID_RE.test(tmpId)) return send(400, { error: 'malformed', message: 'body must be {"tmpId": "<TmpId>"}' });
      const ticket = o.server.ticketOf(tmpId, epochAt(o.server.time, clock()));
      if (!ticket) return send(404, { error: 'wrong_window', message: 'no session with that TmpId presented a ticket in this linkability window' });
      o.client.complain(o.server.sid, o.macKeyNS, ticket).then(
        (linkedFrom) => {
          o.log.info({ event: 'nymble_recipient_complaint', linkedFrom }, 'complaint filed for a recipient');
          send(200, { tmpId, linkedFrom });
        },
        (e: Error) => send(e instanceof NymbleError ? 400 : 502, { error: e instanceof NymbleError ? e.reason : 'nm_unreachable', message: e.message }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(listen.port, listen.host, () => resolve());
  });
  const a = http.address() as AddressInfo;
  return {
    url: 'http://' + a.address + ':' + a.port,
    close: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}

/** Alice's side: file a complaint about the sender of a mail at the MSS that delivered it. */
export async function complainAsRecipient(deskUrl: string, replyAddress: string): Promise<{ tmpId: string; linkedFrom: { w: number; t: number } }> {
  const at = replyAddress.lastIndexOf('@');
  const tmpId = at > 0 ? replyAddress.slice(0, at).toLowerCase() : '';
  if (!TMPID_RE.test(tmpId)) throw new Error('the reply address ' + JSON.stringify(replyAddress.slice(0, 80)) + ' does not name a TmpId');
  const res = await fetch(new URL('/complaint', deskUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tmpId }), signal: AbortSignal.timeout(10_000) });
  const j = (await res.json()) as { error?: string; message?: string; linkedFrom?: { w: number; t: number } };
  if (!res.ok || !j.linkedFrom) throw new Error('the MSS refused the complaint: ' + String(j.message || res.status).slice(0, 300));
  return { tmpId, linkedFrom: j.linkedFrom };
}
