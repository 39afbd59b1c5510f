/**
 * HTTP client of `hood nymble serve` (host/nymble/http-service.ts), for the MSS (linking tokens,
 * complaints: authenticated with its macKey_NS) and for Bob's laptop (pseudonym with his account
 * token, credentials, blacklists). Every answer is bounds-checked before use.
 */
import { NymbleError, type NymbleRefusal } from './errors';
import { mssAuthToken, NYMBLE_HTTP_PREFIX } from './http-service';
import type { Credential, LinkingToken } from './nymble-manager';
import { unhex } from './primitives';
import type { Pseudonym } from './pseudonym-manager';
import type { Epoch, NymbleTime } from './time';

const TIMEOUT_MS = 10_000;
const MAX_ANSWER = 1 << 20;
const REASONS: NymbleRefusal[] = ['malformed', 'forged', 'expired', 'not_yet_valid', 'wrong_mss', 'replayed', 'linked', 'unknown_mss', 'unknown_resource', 'wrong_window'];

export interface NmParams extends NymbleTime {
  publicKey: Uint8Array;
  now: Epoch;
}

function int(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new Error('the NM answered a bad ' + what);
  return v;
}

export class NmClient {
  private readonly base: string;

  constructor(url: string) {
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('the NM URL must be http(s)://host:port');
    if (u.username || u.password) throw new Error('the NM URL must not carry credentials');
    this.base = u.origin + NYMBLE_HTTP_PREFIX;
  }

  private async request(path: string, init: { method?: string; auth?: string; body?: unknown } = {}): Promise<Uint8Array> {
    const headers: Record<string, string> = {};
    if (init.auth) headers.authorization = 'Bearer ' + init.auth;
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method: init.method || 'GET',
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (e) {
      const why = (e as Error & { cause?: { code?: string } }).cause?.code || (e as Error).name;
      throw new Error('could not reach the Nymble Manager at ' + new URL(this.base).origin + ' (' + why + ')', { cause: e });
    }
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length > MAX_ANSWER) throw new Error('the NM answer is too large');
    if (!res.ok) {
      let reason = '';
      let message = 'the NM refused (HTTP ' + res.status + ')';
      try {
        const e = JSON.parse(Buffer.from(buf).toString('utf8')) as { error?: unknown; message?: unknown };
        if (typeof e.error === 'string') reason = e.error;
        if (typeof e.message === 'string') message = e.message.slice(0, 300);
      } catch {
        /* not JSON: keep the status line */
      }
      if ((REASONS as string[]).includes(reason)) throw new NymbleError(reason as NymbleRefusal, message);
      throw new Error(message);
    }
    return buf;
  }

  private async json(path: string, init: { method?: string; auth?: string; body?: unknown } = {}): Promise<Record<string, unknown>> {
    const v = JSON.parse(Buffer.from(await this.request(path, init)).toString('utf8')) as unknown;
    if (!v || typeof v !== 'object') throw new Error('the NM answered something that is not a JSON object');
    return v as Record<string, unknown>;
  }

  async params(): Promise<NmParams> {
    const r = await this.json('/params');
    const now = r.now as Record<string, unknown> | undefined;
    return {
      periodMs: int(r.periodMs, 'period'),
      periodsPerWindow: int(r.periodsPerWindow, 'L'),
      publicKey: unhex(r.publicKey as string, 32),
      now: { w: int(now?.w, 'window'), t: int(now?.t, 'period') },
    };
  }

  /** Algorithm 1 at the PM: Bob proves control of his bank account with its token. */
  async pseudonym(accountToken: string): Promise<Pseudonym> {
    const r = await this.json('/pseudonym', { method: 'POST', auth: accountToken, body: {} });
    return { nym: unhex(r.nym as string, 32), w: int(r.w, 'window'), mac: unhex(r.mac as string, 32) };
  }

  async rating(accountToken: string): Promise<number> {
    return int((await this.json('/rating', { auth: accountToken })).rating, 'rating');
  }

  /** NymbleTktGen at the NM (anonymous: only the pseudonym is shown). */
  async credential(p: Pseudonym, sid: string, from?: number): Promise<Credential> {
    const r = await this.json('/credential', { method: 'POST', body: { nym: Buffer.from(p.nym).toString('hex'), w: p.w, mac: Buffer.from(p.mac).toString('hex'), sid, from } });
    const tickets = r.tickets;
    if (!Array.isArray(tickets) || tickets.length > 0xffff) throw new Error('the NM answered bad tickets');
    return {
      sid: String(r.sid),
      w: int(r.w, 'window'),
      nymbleStar: unhex(r.nymbleStar as string, 32),
      firstPeriod: int(r.firstPeriod, 'period'),
      tickets: tickets.map((h) => {
        if (typeof h !== 'string' || h.length > 8192 || !/^(?:[0-9a-f]{2})*$/.test(h)) throw new Error('the NM answered a bad ticket');
        return new Uint8Array(Buffer.from(h, 'hex'));
      }),
    };
  }

  blacklist(sid: string): Promise<Uint8Array> {
    return this.request('/blacklist/' + encodeURIComponent(sid));
  }

  async linkingTokens(sid: string, macKeyNS: Uint8Array, since: number): Promise<LinkingToken[]> {
    const r = await this.json('/linking-tokens/' + encodeURIComponent(sid) + '?since=' + since, { auth: mssAuthToken(macKeyNS, sid) });
    if (!Array.isArray(r.tokens) || r.tokens.length > 100_000) throw new Error('the NM answered bad linking tokens');
    return (r.tokens as Record<string, unknown>[]).map((k) => ({ seq: int(k.seq, 'seq'), w: int(k.w, 'window'), t: int(k.t, 'period'), seed: unhex(k.seed as string, 32) }));
  }

  async complain(sid: string, macKeyNS: Uint8Array, ticket: Uint8Array): Promise<Epoch> {
    const r = await this.json('/complaint/' + encodeURIComponent(sid), { method: 'POST', auth: mssAuthToken(macKeyNS, sid), body: { ticket: Buffer.from(ticket).toString('hex') } });
    const e = r.linkedFrom as Record<string, unknown> | undefined;
    return { w: int(e?.w, 'window'), t: int(e?.t, 'period') };
  }
}
