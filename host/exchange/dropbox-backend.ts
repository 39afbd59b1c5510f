/**
 * The drop box's exchange backend (docs/exchange.md §2): every entry the MSS would keep is split over
 * the k exchange servers instead. The inbound SMTP path answers 250 synchronously, so DropBox first
 * writes the sealed entry to its local box (durable, as without a backend) and hands it here; once all
 * k servers acknowledged their shares the local copy is deleted, and from then on the MSS holds
 * nothing of it. A server that does not answer is asked again with growing pauses until the entry
 * expires; until then the local copy stays, collectable as before.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { Logger } from '../common/log';
import { FilePermissionError, readPrivateFile } from '../common/private-file';
import type { DropBoxBackend } from '../mail/dropbox';
import { ExchangeError } from './errors';
import { ShareUploader, type ExchangeEndpoint, type PreparedUpload, type Relay } from './client';
import { BUCKETS, combineShares } from '../../shared/src/exchange/shares';
import { MAX_SLOTS, exchangeKeyFromBoxKey, pickupPseudonyms } from '../../shared/src/exchange/pseudonym';

export const MAX_PENDING_UPLOADS = 1000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 5 * 60_000;
/** Refusals that asking again cannot change. */
const PERMANENT: string[] = ['config', 'conflict', 'malformed', 'too_large'];

/**
 * The entry servers of a federation (ACS §3.2: "each message share is delivered by a randomly chosen
 * entry server"): every member, this MSS among them, and a way to hand a sealed request to one of them.
 */
export interface EntryServers {
  members: string[];
  self: string;
  relay(member: string, serverId: string, sealed: Uint8Array): Promise<Uint8Array>;
}

/** Cover boxes kept at most; the oldest is let go (its shares expire at the servers like any box's). */
const MAX_COVER_BOXES = 16;
/** Sizes of the last real entries, which cover deposits copy. */
const SIZE_MEMORY = 32;
/** A cover deposit's size when no real entry was seen yet: a short reply. */
const DEFAULT_COVER_SIZE = 700;

/** Pickup rounds run, requests sent, and those that carried no share (cover, ACS §3.2). */
export interface RoundStats {
  rounds: number;
  requests: number;
  coverRequests: number;
}

export class ExchangeBackend implements DropBoxBackend {
  readonly rounds: RoundStats = { rounds: 0, requests: 0, coverRequests: 0 };
  /** Cover rounds (startCover): run, their requests, and those that failed (a server away). */
  readonly cover = { rounds: 0, requests: 0, failed: 0, deposits: 0, depositsFailed: 0, boxesCollected: 0 };
  /** Sealed requests this MSS relayed for other members as their entry server (host/exchange/entry-relay.ts). */
  readonly relay = { relayed: 0, failed: 0 };
  private pending = 0;
  private entries: EntryServers | null = null;
  private readonly coverBoxes: { key: Uint8Array; next: number }[] = [];
  private readonly sizes: number[] = [];
  private depositTimer: NodeJS.Timeout | null = null;
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
    this.sizes.push(entry.length);
    if (this.sizes.length > SIZE_MEMORY) this.sizes.shift();
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
   * Pickup rounds through entry servers chosen at random among the federation's members (ACS §3.2). Each
   * exchange server then sees the round come from a member drawn uniformly, whichever MSS the PDA is at.
   */
  useEntries(e: EntryServers): void {
    if (!e.members.includes(e.self)) throw new ExchangeError('config', 'the entry servers must include this MSS');
    this.entries = e;
  }

  /**
   * Cover traffic on two Poisson clocks of mean `meanSec` each (ACS §3.2: traffic without a real message
   * behind it), gaps drawn from the CSPRNG so an observer cannot predict them; 0: off.
   *  - Cover deposits: a random entry, sized like recent real ones, uploaded into a cover box (a random
   *    box key only this MSS holds) exactly as a real entry is, so a server cannot tell a real reply's
   *    upload from cover.
   *  - Cover rounds: a whole pickup round — every server, every bucket, 8 pseudonyms, then their release,
   *    through random entry servers — of either a random key (misses) or a cover box (hits). So rounds
   *    come whether or not anyone picks up, and a round that hits stored shares is not thereby a real one.
   */
  startCover(meanSec: number): void {
    if (!(meanSec > 0) || this.coverTimer || this.closed) return;
    const gap = (): number => {
      // U in (0, 1] from 48 random bits: -ln U is Exp(1).
      const u = (randomBytes(6).readUIntBE(0, 6) + 1) / 2 ** 48;
      return -Math.log(u) * meanSec * 1000;
    };
    const nextRound = (): void => {
      if (this.closed) return;
      this.coverTimer = setTimeout(() => void this.coverRound().finally(nextRound), gap());
      this.coverTimer.unref();
    };
    const nextDeposit = (): void => {
      if (this.closed) return;
      this.depositTimer = setTimeout(() => void this.coverDeposit().finally(nextDeposit), gap());
      this.depositTimer.unref();
    };
    nextRound();
    nextDeposit();
  }

  /** One cover deposit now (startCover's clock runs these). */
  async coverDeposit(): Promise<void> {
    let box = this.coverBoxes.length && randomInt(2) ? this.coverBoxes[randomInt(this.coverBoxes.length)] : null;
    if (!box || box.next >= MAX_SLOTS) {
      box = { key: new Uint8Array(randomBytes(32)), next: 0 };
      this.coverBoxes.push(box);
      if (this.coverBoxes.length > MAX_COVER_BOXES) this.coverBoxes.shift()!.key.fill(0);
    }
    const size = this.sizes.length ? this.sizes[randomInt(this.sizes.length)] : DEFAULT_COVER_SIZE;
    try {
      await this.uploader.upload(box.key, box.next, new Uint8Array(randomBytes(size)));
      box.next++;
      this.cover.deposits++;
    } catch (e) {
      this.cover.depositsFailed++;
      this.log.warn({ event: 'exchange_cover_deposit_failed', err: (e as Error).message }, 'cover deposit failed');
    }
  }

  /** One cover round now (startCover's clock runs these): half of them collect a cover box, if there is one. */
  async coverRound(): Promise<void> {
    const filled = this.coverBoxes.filter((b) => b.next > 0);
    const box = filled.length && randomInt(2) ? filled[randomInt(filled.length)] : null;
    const key = box ? box.key : new Uint8Array(randomBytes(32));
    try {
      const r = await this.round(key, null);
      await r.release();
      this.cover.rounds++;
      this.cover.requests += this.uploader.clients.length * BUCKETS.length;
      if (box) {
        this.coverBoxes.splice(this.coverBoxes.indexOf(box), 1);
        this.cover.boxesCollected++;
        key.fill(0);
      }
    } catch (e) {
      this.cover.failed++;
      this.log.warn({ event: 'exchange_cover_round_failed', err: (e as Error).message }, 'cover pickup round failed');
    } finally {
      if (!box) key.fill(0);
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
    // One entry server per exchange server and round, drawn uniformly (this MSS is one of the choices); an
    // entry that fails or alters an answer is left for the rest of the round and another one drawn.
    const failed = new Set<string>();
    const via = clients.map(() => this.entryRelay(failed));
    const answers = await Promise.all(clients.map((c, j) => Promise.all(BUCKETS.map((b) => c.pickup(b, ps[j], via[j])))));
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
      const rs = await Promise.allSettled(clients.map((c, j) => Promise.all(BUCKETS.map((b) => c.release(b, ps[j], via[j])))));
      const bad = rs.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
      if (bad) throw bad.reason;
    };
    return { entries, release };
  }

  /**
   * The way to one exchange server in a round: undefined (straight) without a federation; else through a
   * member drawn uniformly among those that did not fail in this round — this MSS itself being one, reached
   * straight. A member that fails is left out and the next request redrawn; a failure straight to the
   * server is the server's own and fails the round.
   */
  private entryRelay(failed: Set<string>): Relay | undefined {
    const e = this.entries;
    if (!e) return undefined;
    const draw = (): string => {
      const open = e.members.filter((m) => !failed.has(m));
      return open[randomInt(open.length)];
    };
    let m = draw();
    const relay: Relay = async (serverId, sealed) => {
      if (m === e.self) return this.straight(serverId, sealed);
      const through = m;
      try {
        return await e.relay(through, serverId, sealed);
      } catch (err) {
        failed.add(through);
        if (m === through) m = draw();
        this.log.warn({ event: 'exchange_entry_failed', err: (err as Error).message }, 'entry server failed; another one is drawn');
        throw new ExchangeError('entry_failed', 'entry server ' + through + ' failed: ' + (err as Error).message, { cause: err });
      }
    };
    relay.distrust = () => {
      if (m === e.self) return;
      failed.add(m);
      m = draw();
    };
    return relay;
  }

  /** A sealed request sent by this MSS itself, to the server with that id. */
  private async straight(serverId: string, sealed: Uint8Array): Promise<Uint8Array> {
    const j = (await this.uploader.serverIds()).indexOf(serverId);
    if (j < 0) throw new ExchangeError('config', 'no exchange server with id ' + serverId);
    return this.uploader.clients[j].sendSealed(sealed);
  }

  close(): void {
    this.closed = true;
    if (this.coverTimer) clearTimeout(this.coverTimer);
    if (this.depositTimer) clearTimeout(this.depositTimer);
    this.coverTimer = this.depositTimer = null;
    for (const b of this.coverBoxes) b.key.fill(0);
    this.coverBoxes.length = 0;
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
