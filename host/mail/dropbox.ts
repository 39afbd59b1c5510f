/**
 * The MSS drop box (paper §6.2; docs/mail.md §5). A reply to a TmpId whose session has ended is kept,
 * sealed, for a configurable time, and handed to whoever presents the pickup secret in a later
 * session.
 *
 * - Registration (BOX, in the sending session): TmpId -> {boxId, boxKey} in RAM; on disk TmpId -> {boxId,
 *   the box's seal public key, expiry} (host/mail/box-registry.ts), so after a restart replies still find
 *   the box and are sealed to that public key (host/mail/box-seal.ts) until a PICKUP brings boxKey back.
 * - Storage: <dir>/<hex boxId>/<expiresAtMs>-<random>.box = nonce[12] | ChaCha20-Poly1305(boxKey,
 *   nonce, age file, aad = boxId). boxKey is never written to disk, so the files alone reveal only
 *   sizes and times; the age file inside is in any case encrypted to Bob's reply key.
 * - Pickup (PICKUP, in a later session): the PDA reveals the secret; the MSS derives boxId/boxKey,
 *   opens and hands over the entries, and deletes them once the PDA acknowledged them. Only that
 *   pickup links the two sessions.
 * Bounded: registrations, entries per box, bytes per entry; expired entries and registrations are swept.
 * Optional backend (docs/exchange.md): with `useBackend`, each stored entry is also handed to it (the
 * exchange servers, ACS §3.3) under a per-box slot number, and the local file is deleted once the
 * backend holds it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes, toHex, wipe } from '../../shared/src/bytes';
import { open, seal } from '../../shared/src/crypto/index';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { MAX_SLOTS } from '../../shared/src/exchange/pseudonym';
import { bucketFor } from '../../shared/src/exchange/shares';
import { writeFileAtomic } from '../common/atomic-file';
import { boxSealPublic, openFromBox, sealToBox } from './box-seal';
import { BoxRegistry } from './box-registry';
import type { Logger } from '../common/log';

export interface DropBoxLimits {
  retentionSec: number;
  maxEntriesPerBox: number;
  maxRegistrations: number;
  maxEntryBytes: number;
}

interface Registration {
  boxId: Uint8Array;
  /** null for a registration restored from disk after a restart: its entries are sealed to sealPublic. */
  boxKey: Uint8Array | null;
  sealPublic: Uint8Array;
  /** Infinity while the session lives; retention after it ended. */
  expiresAt: number;
  /** Next slot handed to the backend (shared/src/exchange/pseudonym.ts). */
  nextSlot: number;
}

/** Where entries go instead of the local box (host/exchange/dropbox-backend.ts). */
export interface DropBoxBackend {
  /** Take the sealed entry; call `done` once it is held elsewhere, so the local copy can go. */
  submit(boxKey: Uint8Array, slot: number, entry: Uint8Array, expiresAt: number, done: () => void): void;
  /**
   * A pickup round for the box of `boxKey`: the sealed entries held elsewhere, and `release`, which
   * deletes them there — to be called only once they were handed on. Throws if the round failed (then
   * nothing was deleted anywhere).
   */
  collect(boxKey: Uint8Array): Promise<{ entries: Uint8Array[]; release(): Promise<void> }>;
  /** Pickup rounds run, requests sent, and those that carried no share. */
  readonly rounds: { rounds: number; requests: number; coverRequests: number };
  close(): void;
}

export type StoreResult = 'stored' | 'no_box' | 'box_full' | 'too_large';

export class DropBox {
  private regs = new Map<string, Registration>();
  private backend: DropBoxBackend | null = null;
  private readonly registry: BoxRegistry | null;

  /** With `registryFile`, registrations survive a restart (host/mail/box-registry.ts); without, RAM only. */
  constructor(
    private readonly dir: string,
    private readonly limits: DropBoxLimits,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    registryFile?: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.registry = registryFile ? new BoxRegistry(registryFile) : null;
    if (this.registry) this.restore(this.registry);
  }

  /**
   * Registrations from before a restart, without their boxKey. One whose session was live then counts as
   * ended now (its PDA may resume, and its end sets the expiry again).
   */
  private restore(reg: BoxRegistry): void {
    const now = this.now();
    for (const r of reg.all()) {
      if (r.expiresAt <= now) {
        reg.remove(r.tmpId);
        continue;
      }
      const expiresAt = Number.isFinite(r.expiresAt) ? r.expiresAt : now + this.limits.retentionSec * 1000;
      if (!Number.isFinite(r.expiresAt)) reg.ended(r.tmpId, expiresAt);
      this.regs.set(r.tmpId, { boxId: r.boxId, boxKey: null, sealPublic: r.sealPublic, expiresAt, nextSlot: r.nextSlot });
    }
    if (this.regs.size) this.log.info({ event: 'dropbox_restored', boxes: this.regs.size }, 'drop-box registrations restored');
  }

  /** Split entries over exchange servers from now on (ACS §3.3) instead of keeping them here. */
  useBackend(b: DropBoxBackend): void {
    this.backend = b;
  }

  get hasBackend(): boolean {
    return this.backend !== null;
  }

  /** The exchange backend's pickup-round counters, if there is one (docs/exchange.md §6). */
  roundStats(): { rounds: number; requests: number; coverRequests: number } | null {
    return this.backend ? { ...this.backend.rounds } : null;
  }

  get registrations(): number {
    return this.regs.size;
  }

  /** BOX from a live session. False if the MSS holds too many boxes. */
  register(tmpId: string, boxId: Uint8Array, boxKey: Uint8Array): boolean {
    const old = this.regs.get(tmpId);
    if (!old && this.regs.size >= this.limits.maxRegistrations) {
      this.sweep();
      if (this.regs.size >= this.limits.maxRegistrations) return false;
    }
    // The same box again keeps its slot count, so no slot is handed out twice.
    const nextSlot = old && equalBytes(old.boxId, boxId) ? old.nextSlot : 0;
    if (old) this.forget(tmpId);
    const r: Registration = { boxId: boxId.slice(), boxKey: boxKey.slice(), sealPublic: boxSealPublic(boxKey), expiresAt: Infinity, nextSlot };
    // On disk before the BOX is answered: a restart keeps the box (without its key).
    this.registry?.put({ tmpId, boxId: r.boxId, sealPublic: r.sealPublic, expiresAt: Infinity, nextSlot });
    this.regs.set(tmpId, r);
    return true;
  }

  /** The session of `tmpId` ended: its box keeps accepting replies for the retention time. */
  sessionEnded(tmpId: string): void {
    const r = this.regs.get(tmpId);
    if (!r) return;
    r.expiresAt = this.now() + this.limits.retentionSec * 1000;
    this.registry?.ended(tmpId, r.expiresAt);
  }

  /** Does a reply to `tmpId` have somewhere to go after its session ended? */
  accepts(tmpId: string): boolean {
    const r = this.regs.get(tmpId);
    return !!r && r.expiresAt > this.now();
  }

  private forget(tmpId: string): void {
    this.registry?.remove(tmpId);
    this.drop(tmpId);
  }

  /** Out of RAM (keys wiped); the registration on disk stays. */
  private drop(tmpId: string): void {
    const r = this.regs.get(tmpId);
    if (!r) return;
    wipe(r.boxKey);
    wipe(r.boxId);
    this.regs.delete(tmpId);
  }

  private boxDir(boxId: Uint8Array): string {
    return join(this.dir, toHex(boxId));
  }

  private entries(boxId: Uint8Array): string[] {
    try {
      return readdirSync(this.boxDir(boxId)).filter((n) => /^\d+-[0-9a-f]{16}\.p?box$/.test(n)).sort();
    } catch {
      return [];
    }
  }

  store(tmpId: string, age: Uint8Array): StoreResult {
    const r = this.regs.get(tmpId);
    if (!r || r.expiresAt <= this.now()) return 'no_box';
    if (age.length > this.limits.maxEntryBytes) return 'too_large';
    const live = this.entries(r.boxId).filter((n) => Number(n.split('-')[0]) > this.now());
    if (live.length >= this.limits.maxEntriesPerBox) return 'box_full';
    const expiresAt = this.now() + this.limits.retentionSec * 1000;
    if (!r.boxKey) {
      // Restored after a restart: sealed to the box's public key, kept here (the exchange pseudonyms need
      // boxKey) until the PDA's PICKUP brings the secret back.
      writeFileAtomic(join(this.boxDir(r.boxId), `${expiresAt}-${randomBytes(8).toString('hex')}.pbox`), sealToBox(r.sealPublic, r.boxId, age));
      this.log.info({ event: 'dropbox_stored', bytes: age.length, sealedTo: 'box_public_key' }, 'reply kept in a drop box');
      return 'stored';
    }
    // With a backend every entry needs its own slot, and a share must fit a bucket.
    if (this.backend && r.nextSlot >= Math.min(MAX_SLOTS, this.limits.maxEntriesPerBox)) return 'box_full';
    if (this.backend && bucketFor(12 + age.length + 16) < 0) return 'too_large';
    const nonce = new Uint8Array(randomBytes(12));
    const sealed = seal(r.boxKey, nonce, age, r.boxId);
    const file = new Uint8Array(12 + sealed.length);
    file.set(nonce, 0);
    file.set(sealed, 12);
    const path = join(this.boxDir(r.boxId), `${expiresAt}-${randomBytes(8).toString('hex')}.box`);
    writeFileAtomic(path, file);
    if (this.backend) {
      this.backend.submit(r.boxKey, r.nextSlot++, file, expiresAt, () => rmSync(path, { force: true }));
      this.registry?.slot(tmpId, r.nextSlot);
    }
    this.log.info({ event: 'dropbox_stored', bytes: age.length }, 'reply kept in a drop box');
    return 'stored';
  }

  /** Collect (and delete) every live entry of the local box the secret opens. Wrong secret: nothing. */
  pickup(secret: Uint8Array): Uint8Array[] {
    const got = this.collectLocal(secret);
    got.commit();
    return got.ages;
  }

  /** `collect` of the local box alone, at once (no exchange servers). */
  collectLocal(secret: Uint8Array): { ages: Uint8Array[]; complete: boolean; commit(): void } {
    const { boxId, boxKey } = deriveBox(secret);
    try {
      return { ...this.readLocal(boxId, boxKey), complete: true };
    } finally {
      wipe(boxKey);
    }
  }

  /**
   * PICKUP (docs/mail.md §5): the entries of the box the secret opens — with a backend, a round over the
   * exchange servers first (docs/exchange.md §6), then the local box (entries not yet uploaded). Nothing
   * is deleted here: `commit` deletes the local files and releases the servers' shares, and the caller
   * calls it only once the PDA acknowledged every entry (docs/mail.md §4), so a DELIVER lost with its
   * session, or with the MSS itself, leaves the entries for the next PICKUP. If the session is gone
   * when the round returns (`stillThere`), nothing comes back. `complete` is false when the round failed
   * (a server did not answer): then only local entries come back, and the PDA should keep its pickup
   * ticket and ask again later.
   */
  async collect(secret: Uint8Array, stillThere: () => boolean): Promise<{ ages: Uint8Array[]; complete: boolean; commit(): void } | null> {
    if (!this.backend) return stillThere() ? this.collectLocal(secret) : null;
    const { boxId, boxKey } = deriveBox(secret);
    try {
      let remote: { entries: Uint8Array[]; release(): Promise<void> } | null = null;
      try {
        remote = await this.backend.collect(boxKey);
      } catch (e) {
        this.log.warn({ event: 'exchange_pickup_failed', err: (e as Error).message }, 'pickup round failed; nothing released, only local entries delivered');
      }
      if (!stillThere()) return null;
      const local = this.readLocal(boxId, boxKey);
      const out = local.ages;
      if (remote) {
        for (const e of remote.entries) {
          const age = this.openEntry(e, boxId, boxKey);
          if (age) out.push(age);
          else this.log.warn({ event: 'dropbox_entry_unreadable' }, 'exchange entry does not authenticate; discarded');
        }
      }
      const release = remote ? remote.release : null;
      return {
        ages: out,
        complete: remote !== null,
        commit: () => {
          local.commit();
          release?.().catch((e: Error) => this.log.warn({ event: 'exchange_release_failed', err: e.message }, 'exchange servers did not release a pickup; the shares expire'));
        },
      };
    } finally {
      wipe(boxKey);
    }
  }

  /** nonce[12] | ChaCha20-Poly1305(boxKey, nonce, age, aad = boxId) → age, or null. */
  private openEntry(f: Uint8Array, boxId: Uint8Array, boxKey: Uint8Array): Uint8Array | null {
    return f.length > 12 ? open(boxKey, f.subarray(0, 12), f.subarray(12), boxId) : null;
  }

  /** The live entries of a local box, and `commit`, which deletes what was read (and anything expired or unreadable). */
  private readLocal(boxId: Uint8Array, boxKey: Uint8Array): { ages: Uint8Array[]; commit(): void } {
    const out: Uint8Array[] = [];
    const dir = this.boxDir(boxId);
    const names = this.entries(boxId);
    for (const name of names) {
      const expired = Number(name.split('-')[0]) <= this.now();
      if (expired) continue;
      const f = new Uint8Array(readFileSync(join(dir, name)));
      const age = name.endsWith('.pbox') ? openFromBox(boxKey, boxId, f) : this.openEntry(f, boxId, boxKey);
      if (age) out.push(age);
      else this.log.warn({ event: 'dropbox_entry_unreadable' }, 'drop-box entry does not authenticate; discarded');
    }
    return {
      ages: out,
      commit: () => {
        for (const name of names) rmSync(join(dir, name), { force: true });
        try {
          rmdirSync(dir);
        } catch {
          /* not there or not empty */
        }
      },
    };
  }

  /** Drop expired registrations and expired files. */
  sweep(): void {
    const now = this.now();
    for (const [tmpId, r] of this.regs) if (r.expiresAt <= now) this.forget(tmpId);
    let dirs: string[] = [];
    try {
      dirs = readdirSync(this.dir).filter((d) => /^[0-9a-f]{64}$/.test(d));
    } catch {
      return;
    }
    for (const d of dirs) {
      const dir = join(this.dir, d);
      let names: string[] = [];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const n of names) if (Number(n.split('-')[0]) <= now) rmSync(join(dir, n), { force: true });
      try {
        rmdirSync(dir);
      } catch {
        /* not empty */
      }
    }
  }

  close(): void {
    if (this.backend) this.backend.close();
    for (const tmpId of [...this.regs.keys()]) this.drop(tmpId);
    this.registry?.close();
  }
}
