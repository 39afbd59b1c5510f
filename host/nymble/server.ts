/**
 * The server role at an MSS (Nymble [Tsang et al. 2011] §5.4–5.6; Extended Nymble §2.7): check the
 * ticket a PDA presents, refuse it with a distinct reason when it is malformed, made for another MSS,
 * outside its period, forged, already used this period, or linked to a complained-about user; and keep
 * the ticket of each session for the rest of the window, so the MSS can complain later.
 *
 * Linking in O(1): each linking token (seed at period t_c) is expanded once into the user's remaining
 * nymbles g(f^k(seed)) for t_c..L, kept in one hash set; a ticket check is one HMAC and two set
 * lookups. 100,000 entries ≈ 350 blocked users for a full window of 288 periods.
 */
import { join } from 'node:path';
import { DecodeError } from '../../shared/src/bytes';
import { decodeTicket, ticketMacNSInput, type NymbleTicket } from '../../shared/src/nymble/ticket';
import type { NymbleRefusal } from './errors';
import type { LinkingToken } from './nymble-manager';
import { ctEqual, evolveSeed, hex, mac, nymbleOf, unhex } from './primitives';
import { loadJson, saveJson } from './state-file';
import type { Epoch, NymbleTime } from './time';

export type TicketCheck = { ok: true; ticket: NymbleTicket } | { ok: false; reason: NymbleRefusal; message: string };

interface ServerState {
  window: number;
  lastSeq: number;
  tokens: { w: number; t: number; seed: string }[];
  sessions: Record<string, string>;
}

export const SERVER_STATE_FILE = 'nymble-server.json';

export class NymbleServer {
  private window = 0;
  private lastSeq = 0;
  private tokens: { w: number; t: number; seed: string }[] = [];
  private readonly linked = new Set<string>();
  private seenPeriod = 0;
  private readonly seen = new Set<string>();
  private sessions: Record<string, string> = {};
  private readonly path: string | null;
  private dirty = false;

  constructor(
    readonly sid: string,
    private readonly macKeyNS: Uint8Array,
    readonly time: NymbleTime,
    dataDir?: string,
  ) {
    this.path = dataDir ? join(dataDir, SERVER_STATE_FILE) : null;
    if (this.path) {
      const s = loadJson<ServerState>(this.path, () => ({ window: 0, lastSeq: 0, tokens: [], sessions: {} }));
      this.window = s.window;
      this.lastSeq = s.lastSeq;
      this.sessions = s.sessions;
      for (const k of s.tokens) this.expand(k);
    }
  }

  /** Write session records and tokens to disk if anything changed since the last write. */
  flush(): void {
    if (this.dirty) this.persist();
  }

  private persist(): void {
    this.dirty = false;
    if (this.path) saveJson(this.path, { window: this.window, lastSeq: this.lastSeq, tokens: this.tokens, sessions: this.sessions });
  }

  /** Start of a new linkability window: every link, token and session record of the old one goes. */
  private roll(now: Epoch): void {
    if (now.w !== this.window) {
      this.window = now.w;
      this.tokens = [];
      this.linked.clear();
      this.sessions = {};
      this.persist();
    }
    if (now.t !== this.seenPeriod) {
      this.seenPeriod = now.t;
      this.seen.clear();
    }
  }

  private expand(k: { w: number; t: number; seed: string }): void {
    this.tokens.push(k);
    let seed = unhex(k.seed, 32);
    for (let t = k.t; t <= this.time.periodsPerWindow; t++) {
      this.linked.add(keyOf(nymbleOf(seed)));
      seed = evolveSeed(seed);
    }
  }

  /** Apply linking tokens from the NM (tokens of other windows are ignored). */
  applyTokens(tokens: LinkingToken[], now: Epoch): void {
    this.roll(now);
    for (const k of tokens) {
      if (k.seq > this.lastSeq) this.lastSeq = k.seq;
      if (k.w === now.w && k.seed.length === 32 && k.t >= 1) this.expand({ w: k.w, t: k.t, seed: hex(k.seed) });
    }
    if (tokens.length || this.dirty) this.persist();
  }

  /** The seq of the newest token applied (what to ask the NM for next). */
  get tokenSeq(): number {
    return this.lastSeq;
  }

  get linkedEntries(): number {
    return this.linked.size;
  }

  /** Whether a nymble is linked (blacklisted) now: O(1). */
  isLinked(nymble: Uint8Array): boolean {
    return this.linked.has(keyOf(nymble));
  }

  /**
   * Check a presented ticket. `sessionId` (the TmpId) records the ticket for a later complaint when
   * the ticket is accepted. Public fields are checked before the MAC so the refusal names the real
   * problem; a ticket is only marked used once it passed every check.
   */
  check(ticketBytes: Uint8Array, now: Epoch, sessionId?: string): TicketCheck {
    this.roll(now);
    let tk: NymbleTicket;
    try {
      tk = decodeTicket(ticketBytes);
    } catch (e) {
      const why = e instanceof DecodeError ? e.reason : 'bad_ticket';
      return { ok: false, reason: 'malformed', message: 'nymble ticket malformed (' + why + ')' };
    }
    if (tk.sid !== this.sid) return { ok: false, reason: 'wrong_mss', message: 'nymble ticket is for another MSS' };
    if (tk.w < now.w || (tk.w === now.w && tk.t < now.t)) return { ok: false, reason: 'expired', message: 'nymble ticket is for an earlier time period' };
    if (tk.w > now.w || tk.t > now.t) return { ok: false, reason: 'not_yet_valid', message: 'nymble ticket is for a later time period' };
    if (!ctEqual(mac(this.macKeyNS, 'hood-nymble-macNS', ticketMacNSInput(tk)), tk.macNS)) {
      return { ok: false, reason: 'forged', message: 'nymble ticket MAC does not verify' };
    }
    const key = keyOf(tk.nymble);
    if (this.linked.has(key)) return { ok: false, reason: 'linked', message: 'this user is blacklisted at this MSS for the rest of the linkability window' };
    if (this.seen.has(key)) return { ok: false, reason: 'replayed', message: 'nymble ticket already used in this time period' };
    this.seen.add(key);
    if (sessionId !== undefined) {
      // Kept in memory and written with the next flush() (the MSS calls it on a timer and at
      // shutdown), so a check never waits for a disk sync.
      this.sessions[sessionId] = hex(ticketBytes);
      this.dirty = true;
    }
    return { ok: true, ticket: tk };
  }

  /** The ticket a session presented (for `complain`), while the window lasts. */
  ticketOf(sessionId: string, now: Epoch): Uint8Array | null {
    this.roll(now);
    const h = Object.hasOwn(this.sessions, sessionId) ? this.sessions[sessionId] : undefined;
    return h ? new Uint8Array(Buffer.from(h, 'hex')) : null;
  }
}

/** Set key of a nymble: its bytes as a latin1 string (a view, no copy; 32 chars). */
function keyOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
}

/**
 * The ticket a session presented, read from an MSS's state directory without writing it (for
 * `hood mss complain` beside a running gateway, which flushes each accepted ticket at once).
 * Null when the session is unknown or its window is over.
 */
export function storedSessionTicket(dataDir: string, sessionId: string, now: Epoch): Uint8Array | null {
  const s = loadJson<ServerState | null>(join(dataDir, SERVER_STATE_FILE), () => null);
  if (!s || s.window !== now.w || !s.sessions || !Object.hasOwn(s.sessions, sessionId)) return null;
  const h = s.sessions[sessionId];
  return typeof h === 'string' && /^(?:[0-9a-f]{2})+$/.test(h) ? new Uint8Array(Buffer.from(h, 'hex')) : null;
}
