/**
 * MSSs as each other's entry servers (ACS §3.2: "each message share is delivered by a randomly chosen
 * entry server"; docs/exchange.md §6). A pickup round's request for one exchange server goes to a member
 * of the federation drawn at random, over the signed MSS-to-MSS channel (docs/federation.md), and that
 * member sends it on with its own token:
 *
 *   POST /exchange/relay   {server: <exchange server id>, sealed: <base64, SEALED_REQUEST_BYTES>}
 *                          → 200 {sealed: <base64 answer>} | 400 {error: bad_request} | 404 {error: unknown_exchange}
 *                            | 502 {error: <the exchange server's refusal or unreachable>}
 *
 * The request and its answer are sealed between the asking MSS and the exchange server
 * (host/exchange/sealed.ts): the relaying member sees an exchange server's id, a fixed-size request and
 * an answer whose size shows only the bucket every round asks for. It keeps nothing and logs counts only.
 */
import type { Logger } from '../common/log';
import type { Federation } from '../federation/list';
import type { PeerSelf } from '../federation/peer-auth';
import { peerRequest } from '../federation/peer-client';
import type { PeerServer } from '../federation/peer-server';
import { BUCKETS } from '../../shared/src/exchange/shares';
import { MAX_SLOTS } from '../../shared/src/exchange/pseudonym';
import type { ExchangeBackend } from './dropbox-backend';
import { ExchangeError } from './errors';
import { SEALED_REQUEST_BYTES } from './sealed';

export const RELAY_PATH = '/exchange/relay';
/** The largest sealed answer: MAX_SLOTS records of the largest bucket and a tag, in base64, in JSON. */
const MAX_ANSWER_BYTES = MAX_SLOTS * BUCKETS[BUCKETS.length - 1] + 16;
const MAX_RELAY_RESPONSE = Math.ceil(MAX_ANSWER_BYTES / 3) * 4 + 64;
const B64 = /^[A-Za-z0-9+/]*={0,2}$/;
const SERVER_ID = /^[A-Za-z0-9._-]{1,64}$/;

function decodeB64(v: unknown, max: number): Uint8Array | null {
  if (typeof v !== 'string' || v.length > Math.ceil(max / 3) * 4 || !B64.test(v)) return null;
  return new Uint8Array(Buffer.from(v, 'base64'));
}

/** Hand a sealed request to member `to`, which sends it to exchange server `serverId`; the sealed answer. */
export async function relayThroughMember(
  o: { federation: Federation; self: PeerSelf; timeoutMs: number },
  to: string,
  serverId: string,
  sealed: Uint8Array,
): Promise<Uint8Array> {
  let r: { status: number; body: unknown };
  try {
    r = await peerRequest({
      federation: o.federation,
      self: o.self,
      to,
      path: RELAY_PATH,
      body: { server: serverId, sealed: Buffer.from(sealed).toString('base64') },
      timeoutMs: o.timeoutMs,
      maxResponseBytes: MAX_RELAY_RESPONSE,
    });
  } catch (e) {
    throw new ExchangeError('unreachable', 'entry server ' + to + ' did not answer', { cause: e });
  }
  const b = r.body as { sealed?: unknown; error?: unknown } | null;
  if (r.status !== 200) throw new ExchangeError('refused', 'entry server ' + to + ' answered ' + r.status + ' (' + String(b?.error ?? '').slice(0, 40) + ')');
  const out = decodeB64(b?.sealed, MAX_ANSWER_BYTES);
  if (!out) throw new ExchangeError('refused', 'entry server ' + to + ' gave no sealed answer');
  return out;
}

/** Serve RELAY_PATH for the other members, through this MSS's own exchange clients; counted in `backend.relay`. */
export function serveEntryRelay(server: PeerServer, backend: ExchangeBackend, log: Logger): void {
  const uploader = backend.uploader;
  const stats = backend.relay;
  server.route(RELAY_PATH, async (_from, body) => {
    const b = body as { server?: unknown; sealed?: unknown } | null;
    const sealed = decodeB64(b?.sealed, SEALED_REQUEST_BYTES);
    if (!b || typeof b.server !== 'string' || !SERVER_ID.test(b.server) || !sealed || sealed.length !== SEALED_REQUEST_BYTES)
      return { status: 400, body: { error: 'bad_request' } };
    let ids: string[];
    try {
      ids = await uploader.serverIds();
    } catch {
      return { status: 502, body: { error: 'unreachable' } };
    }
    const j = ids.indexOf(b.server);
    if (j < 0) return { status: 404, body: { error: 'unknown_exchange' } };
    try {
      const answer = await uploader.clients[j].sendSealed(sealed);
      stats.relayed++;
      return { status: 200, body: { sealed: Buffer.from(answer).toString('base64') } };
    } catch (e) {
      stats.failed++;
      const reason = e instanceof ExchangeError ? e.reason : 'unreachable';
      log.warn({ event: 'exchange_relay_failed', reason }, 'relayed exchange request failed');
      return { status: 502, body: { error: reason } };
    }
  });
}
