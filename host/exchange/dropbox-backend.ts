/**
 * The drop box's exchange backend (docs/exchange.md §2): every entry the MSS would keep is split over
 * the k exchange servers instead. The inbound SMTP path answers 250 synchronously, so DropBox first
 * writes the sealed entry to its local box (durable, as without a backend) and hands it here; once all
 * k servers acknowledged their shares the local copy is deleted, and from then on the MSS holds
 * nothing of it. A server that does not answer is asked again with growing pauses until the entry
 * expires; until then the local copy stays, collectable as before.
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from '../common/log';
import { FilePermissionError, readPrivateFile } from '../common/private-file';
import type { DropBoxBackend } from '../mail/dropbox';
import { ExchangeError } from './errors';
import { ShareUploader, type ExchangeEndpoint, type PreparedUpload } from './client';
import { BUCKETS, combineShares } from '../../shared/src/exchange/shares';
import { MAX_SLOTS, exchangeKeyFromBoxKey, pickupPseudonyms } from '../../shared/src/exchange/pseudonym';

export const MAX_PENDING_UPLOADS = 1000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60_000;
/** Refusals that asking again cannot change. */
const PERMANENT: string[] = ['config', 'conflict', 'malformed', 'too_large'];

/** Pickup rounds run, requests sent, and those that carried no share (cover, ACS §3.2). */
export interface RoundStats {
  rounds: number;
  requests: number;
  coverRequests: number;
}

export class ExchangeBackend implements DropBoxBackend {
  readonly rounds: RoundStats = { rounds: 0, requests: 0, coverRequests: 0 };
  /** Cover rounds (startCover): run, their requests, and those that failed (a server away). */
  readonly cover = { rounds: 0, requests: 0, failed: 0 };
  private pending = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private coverTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly uploader: ShareUploader,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  get inFlight(): number {
    return this.pending;
  }

  submit(boxKey: Uint8Array, slot: number, entry: Uint8Array, expiresAt: number, done: () => void): void {
    if (this.closed) return;
    if (this.pending >= MAX_PENDING_UPLOADS) {
      this.log.warn({ event: 'exchange_upload_deferred' }, 'too many uploads in flight; entry stays in the local drop box');
      return;
    }
    this.pending++;
    // Kept only until the shares are named (the server ids may need asking again), then wiped.
    const key = boxKey.slice();
    let prepared: PreparedUpload | null = null;
    let wait = FIRST_RETRY_MS;
    const step = (): void => {
      const p = prepared
        ? Promise.resolve(prepared)
        : this.uploader.prepare(key, slot, entry).then((x) => {
            key.fill(0);
            prepared = x;
            return x;
          });
      p.then((x) => this.uploader.send(x)).then(
        () => {
          this.pending--;
          this.log.info({ event: 'exchange_uploaded', servers: this.uploader.k }, 'drop-box entry split over the exchange servers');
          done();
        },
        (e: Error) => {
          const permanent = e instanceof ExchangeError && PERMANENT.includes(e.reason);
          if (this.closed || permanent || this.now() + wait >= expiresAt) {
            this.pending--;
            key.fill(0);
            this.log.warn({ event: 'exchange_upload_failed', err: e.message }, 'entry not split; it stays in the local drop box');
            return;
          }
          this.log.warn({ event: 'exchange_upload_retry', err: e.message, inMs: wait }, 'exchange upload failed; retrying');
          const t = setTimeout(() => {
            this.timers.delete(t);
            step();
          }, wait);
          t.unref();
          this.timers.add(t);
          wait = Math.min(wait * 2, MAX_RETRY_MS);
        },
      );
    };
    step();
  }

  /**
   * A pickup round with this MSS as the entry server (ACS §3.2, docs/exchange.md §3): every server is
   * asked for every slot of the box in every bucket — the same k × |BUCKETS| requests whatever is
   * stored, so a server learns nothing from the round's shape. Records that combine are entries
   * (random filler of a miss does not; the caller's AEAD check is the last word). Nothing is deleted
   * until `release`, and a round in which any server fails throws before anything is released.
   */
  async collect(boxKey: Uint8Array): Promise<{ entries: Uint8Array[]; release(): Promise<void> }> {
    return this.round(boxKey, this.rounds);
  }

  /**
   * Cover pickup rounds on a Poisson clock of mean `meanSec` (ACS §3.2: rounds without a real pickup behind
   * them). Each is a whole round — every server, every bucket, the 8 pseudonyms of a random box key, then
   * their release — so a server sees rounds whether or not anyone picks up, and a real pickup of an empty or
   * full box is one more round among them. Random pseudonyms name no stored share: a cover round takes
   * nothing. The gaps are drawn from the CSPRNG (an observer must not predict them). 0: off.
   */
  startCover(meanSec: number): void {
    if (!(meanSec > 0) || this.coverTimer || this.closed) return;
    const next = (): void => {
      if (this.closed) return;
      // U in (0, 1] from 48 random bits: -ln U is Exp(1).
      const u = (randomBytes(6).readUIntBE(0, 6) + 1) / 2 ** 48;
      this.coverTimer = setTimeout(() => {
        void this.coverRound().finally(next);
      }, -Math.log(u) * meanSec * 1000);
      this.coverTimer.unref();
    };
    next();
  }

  /** One cover round now (startCover's clock runs these). */
  async coverRound(): Promise<void> {
    const key = new Uint8Array(randomBytes(32));
    try {
      const r = await this.round(key, null);
      await r.release();
      this.cover.rounds++;
      this.cover.requests += this.uploader.clients.length * BUCKETS.length;
    } catch (e) {
      this.cover.failed++;
      this.log.warn({ event: 'exchange_cover_round_failed', err: (e as Error).message }, 'cover pickup round failed');
    } finally {
      key.fill(0);
    }
  }

  private async round(boxKey: Uint8Array, stats: RoundStats | null): Promise<{ entries: Uint8Array[]; release(): Promise<void> }> {
    const key = exchangeKeyFromBoxKey(boxKey);
    let ps: Uint8Array[][];
    try {
      const ids = await this.uploader.serverIds();
      ps = ids.map((id) => pickupPseudonyms(key, id));
    } finally {
      key.fill(0);
    }
    const clients = this.uploader.clients;
    const answers = await Promise.all(clients.map((c, j) => Promise.all(BUCKETS.map((b) => c.pickup(b, ps[j])))));
    const entries: Uint8Array[] = [];
    for (let bi = 0; bi < BUCKETS.length; bi++) {
      let hit = false;
      for (let slot = 0; slot < MAX_SLOTS; slot++) {
        try {
          entries.push(combineShares(answers.map((a) => a[bi][slot])));
          hit = true;
        } catch {
          // a miss: k random records do not form a padded entry
        }
      }
      // A bucket with no entry: its k requests were cover, indistinguishable in shape from the others.
      if (!hit && stats) stats.coverRequests += clients.length;
    }
    if (stats) {
      stats.rounds++;
      stats.requests += clients.length * BUCKETS.length;
    }
    const release = async (): Promise<void> => {
      const rs = await Promise.allSettled(clients.map((c, j) => Promise.all(BUCKETS.map((b) => c.release(b, ps[j])))));
      const bad = rs.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (bad) throw bad.reason;
    };
    return { entries, release };
  }

  close(): void {
    this.closed = true;
    if (this.coverTimer) clearTimeout(this.coverTimer);
    this.coverTimer = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** `--exchange <url>=<token-file>` values, as `hood mss` takes them; k ≥ 2. */
export function exchangeEndpointsFromSpecs(specs: string[]): ExchangeEndpoint[] {
  if (specs.length < 2) throw new ExchangeError('config', '--exchange needs at least 2 exchange servers (one share per server; got ' + specs.length + ')');
  return specs.map((s) => {
    const i = s.lastIndexOf('=');
    if (i <= 0 || i === s.length - 1) throw new ExchangeError('config', '--exchange must be <url>=<token-file>');
    const file = s.slice(i + 1);
    let token: string;
    try {
      token = readPrivateFile(file, 'utf8').trim();
    } catch (e) {
      if (e instanceof FilePermissionError) throw e;
      throw new ExchangeError('config', '--exchange: cannot read the token file ' + file + ': ' + ((e as NodeJS.ErrnoException).code || (e as Error).message), { cause: e });
    }
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(token)) throw new ExchangeError('config', 'the token file ' + file + ' does not hold an exchange token');
    return { url: s.slice(0, i), token };
  });
}
