/**
 * The MSS side of the exchange layer (ACS §3.2; docs/exchange.md §2): an HTTP client for one exchange
 * server and the ShareUploader that splits a drop-box entry over k of them. An entry is kept only
 * when all k servers acknowledged their share (each after its own commit); the shares any k−1
 * servers hold together tell them nothing (ACS §4).
 */
import { randomBytes } from 'node:crypto';
import { fromHex, toHex } from '../../shared/src/bytes';
import { exchangeKeyFromBoxKey, isServerId, MAX_SLOTS, PSEUDONYM_LEN, sharePseudonym } from '../../shared/src/exchange/pseudonym';
import { MIN_SHARES, MAX_SHARES, splitShares } from '../../shared/src/exchange/shares';
import { redactUrl } from '../common/redact';
import { ExchangeError, type ExchangeReason } from './errors';
import { OP_PICKUP, OP_RELEASE, SEALED_REQUEST_BYTES, sealRequest, type SealedOp } from './sealed';

export interface ExchangeEndpoint {
  url: string;
  token: string;
}

/**
 * A way to a server through an entry server (ACS §3.2): hands the sealed request, addressed by the
 * server's id, to another MSS that sends it with its own token and returns the sealed answer.
 */
export type Relay = ((serverId: string, sealed: Uint8Array) => Promise<Uint8Array>) & {
  /** The answer that came this way did not open: take another way from now on. */
  distrust?(): void;
};

/** Ways a request is tried through entry servers (each failing one left for the rest of the round). */
const ENTRY_ATTEMPTS = 3;

export interface ExchangeInfo {
  id: string;
  /** X25519 key pickup requests are sealed to (hex). */
  publicKey: string;
  buckets: number[];
  slots: number;
  retentionSec: number;
}

const TIMEOUT_MS = 10_000;

async function refusal(r: Response, what: string): Promise<ExchangeError> {
  let reason = 'refused';
  let message = what + ' refused: HTTP ' + r.status;
  try {
    const j = (await r.json()) as { error?: string; message?: string };
    if (typeof j.error === 'string') reason = j.error;
    if (typeof j.message === 'string') message = what + ' refused (' + reason + '): ' + j.message.slice(0, 200);
  } catch {
    /* not JSON */
  }
  // Refusals the caller may act on keep their reason (host/exchange/dropbox-backend.ts retries the rest).
  const kept: ExchangeReason[] = ['conflict', 'malformed', 'too_large', 'store_full', 'bad_token', 'unauthenticated', 'stale', 'replay', 'busy'];
  return new ExchangeError(kept.includes(reason as ExchangeReason) ? (reason as ExchangeReason) : 'refused', message);
}

export class ExchangeClient {
  private readonly base: string;
  private infoP: Promise<ExchangeInfo> | null = null;

  constructor(private readonly endpoint: ExchangeEndpoint) {
    let u: URL;
    try {
      u = new URL(endpoint.url);
    } catch {
      throw new ExchangeError('config', 'not a URL: ' + redactUrl(endpoint.url));
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ExchangeError('config', 'exchange URL must be http(s): ' + redactUrl(endpoint.url));
    if (u.username || u.password) throw new ExchangeError('config', 'exchange URL must not carry credentials; the token comes from its file');
    this.base = u.origin + u.pathname.replace(/\/+$/, '');
  }

  get name(): string {
    return this.base;
  }

  private async call(path: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await fetch(this.base + path, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (e) {
      throw new ExchangeError('unreachable', what + ': exchange server ' + this.base + ' did not answer', { cause: e });
    }
  }

  async info(): Promise<ExchangeInfo> {
    const r = await this.call('/info', { method: 'GET' }, 'info');
    if (!r.ok) throw await refusal(r, 'info');
    const j = (await r.json()) as ExchangeInfo;
    if (!j || !isServerId(j.id)) throw new ExchangeError('refused', 'exchange server ' + this.base + ' gave no valid id');
    if (typeof j.publicKey !== 'string' || !/^[0-9a-f]{64}$/.test(j.publicKey)) throw new ExchangeError('refused', 'exchange server ' + this.base + ' gave no sealing key');
    return j;
  }

  async put(pseudonym: Uint8Array, share: Uint8Array): Promise<'stored' | 'unchanged'> {
    if (pseudonym.length !== PSEUDONYM_LEN) throw new ExchangeError('malformed', 'pseudonym must be 32 bytes');
    const r = await this.call(
      '/share/' + toHex(pseudonym),
      { method: 'PUT', headers: { authorization: 'Bearer ' + this.endpoint.token, 'content-type': 'application/octet-stream' }, body: share },
      'put',
    );
    if (r.status !== 201 && r.status !== 200) throw await refusal(r, 'put');
    const j = (await r.json()) as { result?: string };
    return j.result === 'unchanged' ? 'unchanged' : 'stored';
  }

  /** The server's id and sealing key, asked once (again after a failure). */
  known(): Promise<ExchangeInfo> {
    if (!this.infoP) {
      this.infoP = this.info();
      this.infoP.catch(() => {
        this.infoP = null;
      });
    }
    return this.infoP;
  }

  /** POST a sealed request with this MSS's own token; the sealed answer's bytes. Also what an entry server relays. */
  async sendSealed(sealed: Uint8Array): Promise<Uint8Array> {
    if (sealed.length !== SEALED_REQUEST_BYTES) throw new ExchangeError('malformed', 'a sealed request is ' + SEALED_REQUEST_BYTES + ' bytes');
    const r = await this.call('/sealed', { method: 'POST', headers: { authorization: 'Bearer ' + this.endpoint.token, 'content-type': 'application/octet-stream' }, body: sealed }, 'sealed request');
    if (r.status !== 200) throw await refusal(r, 'sealed request');
    return new Uint8Array(await r.arrayBuffer());
  }

  /** One sealed round trip, straight to the server or through an entry server (`via`). */
  private async sealedRound(op: SealedOp, bucket: number, pseudonyms: Uint8Array[], via?: Relay): Promise<Uint8Array> {
    const info = await this.known();
    for (let attempt = 1; ; attempt++) {
      // Sealed afresh each time: a request that did reach the server through a failed entry is spent (replay).
      const req = sealRequest(fromHex(info.publicKey), op, bucket, pseudonyms, Date.now());
      let answer: Uint8Array;
      try {
        answer = via ? await via(info.id, req.bytes) : await this.sendSealed(req.bytes);
      } catch (e) {
        if (e instanceof ExchangeError && e.reason === 'entry_failed' && attempt < ENTRY_ATTEMPTS) continue;
        throw e;
      }
      const plain = req.openAnswer(answer);
      if (plain) return plain;
      // An entry server can drop or delay an answer, never forge or alter one: a wrong one is not used, and
      // the request goes again through another entry (straight to the server it cannot be altered but by the network).
      if (via?.distrust && attempt < ENTRY_ATTEMPTS) {
        via.distrust();
        continue;
      }
      throw new ExchangeError('refused', 'the answer of exchange server ' + this.base + ' does not open: altered on the way');
    }
  }

  /** One pickup request: MAX_SLOTS pseudonyms, answered with MAX_SLOTS records of `bucket` bytes. Deletes nothing. */
  async pickup(bucket: number, pseudonyms: Uint8Array[], via?: Relay): Promise<Uint8Array[]> {
    const b = await this.sealedRound(OP_PICKUP, bucket, pseudonyms, via);
    const out: Uint8Array[] = [];
    for (let i = 0; i < MAX_SLOTS; i++) out.push(b.slice(i * bucket, (i + 1) * bucket));
    b.fill(0);
    return out;
  }

  /** The end of a round: the server deletes what it holds of `bucket` bytes under these pseudonyms. */
  async release(bucket: number, pseudonyms: Uint8Array[], via?: Relay): Promise<void> {
    await this.sealedRound(OP_RELEASE, bucket, pseudonyms, via);
  }
}

/** One entry ready to go out: a share and its pseudonym per server, and which servers acknowledged. */
export interface PreparedUpload {
  puts: { server: number; pseudonym: Uint8Array; share: Uint8Array }[];
  acked: boolean[];
}

export class ShareUploader {
  readonly clients: ExchangeClient[];
  private ids: Promise<string[]> | null = null;

  constructor(
    endpoints: ExchangeEndpoint[],
    private readonly rnd: (n: number) => Uint8Array = (n) => new Uint8Array(randomBytes(n)),
  ) {
    if (endpoints.length < MIN_SHARES) throw new ExchangeError('config', 'splitting needs at least ' + MIN_SHARES + ' exchange servers, got ' + endpoints.length);
    if (endpoints.length > MAX_SHARES) throw new ExchangeError('config', 'at most ' + MAX_SHARES + ' exchange servers');
    this.clients = endpoints.map((e) => new ExchangeClient(e));
    const names = new Set(this.clients.map((c) => c.name));
    if (names.size !== this.clients.length) throw new ExchangeError('config', 'the same exchange server is configured twice');
  }

  get k(): number {
    return this.clients.length;
  }

  /** The servers' ids, asked once; they must be distinct, or two servers would see one pseudonym. */
  serverIds(): Promise<string[]> {
    if (!this.ids) {
      this.ids = Promise.all(this.clients.map((c) => c.known().then((i) => i.id))).then((ids) => {
        if (new Set(ids).size !== ids.length) throw new ExchangeError('config', 'two exchange servers share one id; each must be a separate server');
        return ids;
      });
      // A failed lookup is asked again next time.
      this.ids.catch(() => {
        this.ids = null;
      });
    }
    return this.ids;
  }

  /** Split `entry` and name each share for its server. `boxKey` is only read here. */
  async prepare(boxKey: Uint8Array, slot: number, entry: Uint8Array): Promise<PreparedUpload> {
    const key = exchangeKeyFromBoxKey(boxKey);
    try {
      const ids = await this.serverIds();
      const shares = splitShares(entry, this.k, this.rnd);
      return {
        puts: shares.map((share, j) => ({ server: j, share, pseudonym: sharePseudonym(key, ids[j], slot) })),
        acked: shares.map(() => false),
      };
    } finally {
      key.fill(0);
    }
  }

  /** PUT every share not yet acknowledged; resolves when all k are, else throws (acked ones stay marked). */
  async send(p: PreparedUpload): Promise<void> {
    const rs = await Promise.allSettled(
      p.puts.map(async (x, j) => {
        if (p.acked[j]) return;
        await this.clients[x.server].put(x.pseudonym, x.share);
        p.acked[j] = true;
      }),
    );
    const bad = rs.findIndex((r) => r.status === 'rejected');
    if (bad >= 0) {
      const why = (rs[bad] as PromiseRejectedResult).reason as Error;
      throw new ExchangeError(why instanceof ExchangeError ? why.reason : 'refused', p.acked.filter((a) => a).length + ' of ' + this.k + ' exchange servers acknowledged: ' + why.message, { cause: why });
    }
  }

  /** prepare + send: the entry is stored when this resolves. */
  async upload(boxKey: Uint8Array, slot: number, entry: Uint8Array): Promise<void> {
    await this.send(await this.prepare(boxKey, slot, entry));
  }
}
