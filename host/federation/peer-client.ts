/**
 * The calling side of MSS-to-MSS HTTP in a federation (docs/federation.md, "Peer authentication"): sign a
 * request with this MSS's identity key, send it to the member's listed URL, and accept the answer only if
 * it is signed by that member's listed identity key and bound to this request's nonce. Anything else
 * (unsigned, signed by anyone else, oversized, not JSON) is an Error, never a response.
 */
import { randomBytes } from 'node:crypto';
import { isValidMssId } from '../../shared/src/protocol/topics';
import type { Federation } from './list';
import { ed25519VerifyHost } from './keys';
import { H_FROM, H_NONCE, H_SIG, H_TO, H_TS, MAX_PEER_BODY, NONCE_BYTES, isValidPeerPath, parseHex, requestSigningInput, responseSigningInput, type PeerSelf } from './peer-auth';

export interface PeerRequestOptions {
  federation: Federation;
  self: PeerSelf;
  to: string;
  path: string;
  body: unknown;
  timeoutMs?: number;
  /** Largest answer accepted (default MAX_PEER_BODY); a relayed pickup answer is larger than a request. */
  maxResponseBytes?: number;
  /** Clock (unix ms); tests inject one. */
  now?: () => number;
}

export class PeerResponseError extends Error {
  constructor(readonly reason: string, message: string) {
    super(message);
    this.name = 'PeerResponseError';
  }
}

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = res.headers.get('content-length');
  if (declared !== null && !(Number(declared) <= max)) throw new PeerResponseError('too_large', 'peer response too large');
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new PeerResponseError('too_large', 'peer response too large');
    }
    parts.push(value);
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** Send one signed request to member `to` and return its verified answer. */
export async function peerRequest(opts: PeerRequestOptions): Promise<{ status: number; body: unknown }> {
  const { federation, self, to, path } = opts;
  if (!isValidPeerPath(path)) throw new Error('invalid peer path ' + JSON.stringify(path));
  if (!isValidMssId(to) || to === self.mssId) throw new Error('invalid peer ' + JSON.stringify(to));
  const member = federation.member(to);
  const key = federation.memberKey(to);
  if (!member || !key) throw new Error('MSS ' + to + ' is not a member of federation ' + federation.name);
  const body = Buffer.from(JSON.stringify(opts.body ?? null), 'utf8');
  if (body.length > MAX_PEER_BODY) throw new Error('peer request body over ' + MAX_PEER_BODY + ' bytes');
  const nonce = new Uint8Array(randomBytes(NONCE_BYTES));
  const ts = Math.floor((opts.now ?? Date.now)());
  const sig = self.sign(requestSigningInput({ method: 'POST', path, from: self.mssId, to, ts, nonce, body }));
  const res = await fetch(member.url + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      [H_FROM]: self.mssId,
      [H_TO]: to,
      [H_TS]: String(ts),
      [H_NONCE]: Buffer.from(nonce).toString('hex'),
      [H_SIG]: Buffer.from(sig).toString('hex'),
    },
    body,
    redirect: 'error',
    signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
  });
  const bytes = await readCapped(res, opts.maxResponseBytes ?? MAX_PEER_BODY);
  const rsig = parseHex(res.headers.get(H_SIG) ?? undefined, 64);
  if (!rsig || !ed25519VerifyHost(rsig, responseSigningInput({ from: to, to: self.mssId, nonce, status: res.status, body: bytes }), key))
    throw new PeerResponseError('bad_response_sig', 'response from ' + to + ' is not signed by its listed identity key');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new PeerResponseError('bad_json', 'response from ' + to + ' is not JSON');
  }
  return { status: res.status, body: parsed };
}
