/**
 * The Pseudonym Manager with its Pseudo Tracker (Extended Nymble §2.3, §3 Algorithms 1 and 2).
 *
 * Scarce resource: Bob's bank account. The bank issues one account per identified customer, so one
 * account yields one pseudonym per linkability window, and a blocked user cannot mint new identities
 * faster than he can open bank accounts. The PM checks control of the account by its bearer token
 * (the bank's own constant-time check) and learns the account id, and nothing about which MSS the
 * user will visit. It runs beside the bank but with its own keys and data directory.
 *
 * Nym = MA.Mac(uid ‖ w, nymKey_P); Mac = MA.Mac(Nym ‖ w, macKey_NP) (Algorithm 1 steps 5–6); macKey_NP
 * is shared with the NM, which checks it. The tracker keeps uid → rating, offences and the last
 * window of a multi-window block; the PM also remembers which uid each pseudonym it issued belongs
 * to (for Algorithm 2 step 3) for the current and previous window only.
 */
import { join } from 'node:path';
import type { LedgerStore } from '../bank/ledger/store';
import { authenticate } from '../bank/accounts';
import { NymbleError } from './errors';
import { INITIAL_RATING, nextRating } from './rating';
import { ctEqual, hex, mac, newKey, unhex } from './primitives';
import { loadJson, saveJson } from './state-file';

export interface Pseudonym {
  nym: Uint8Array;
  w: number;
  mac: Uint8Array;
}

/** Checks control of the scarce resource and returns its stable identifier (uid). */
export type ResourceVerifier = (proof: string) => Promise<string>;

/** The bank account as the resource: the proof is Bob's account token, the uid its public account id. */
export function bankAccountResource(store: LedgerStore): ResourceVerifier {
  return async (token: string) => {
    try {
      const account = await authenticate(store, 'Bearer ' + token);
      return account.id;
    } catch (e) {
      throw new NymbleError('unknown_resource', 'the bank did not accept that account token', { cause: e });
    }
  };
}

interface TrackerRow {
  rating: number;
  offences: number;
  lastOffenceWindow: number;
  blockedThroughWindow: number;
}

interface PmState {
  nymKey: string;
  macKeyNP: string;
  tracker: Record<string, TrackerRow>;
  issued: Record<string, { uid: string; w: number }>;
}

export function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return new Uint8Array(b);
}

export const PM_STATE_FILE = 'pm-state.json';
/** A resource id (bank account id) as the tracker keys it: plain, bounded, never an Object.prototype name. */
const UID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class PseudonymManager {
  private readonly path: string;
  private readonly state: PmState;
  private readonly nymKey: Uint8Array;
  private readonly macKeyNP: Uint8Array;

  private constructor(dataDir: string, private readonly verify: ResourceVerifier) {
    this.path = join(dataDir, PM_STATE_FILE);
    this.state = loadJson<PmState>(this.path, () => ({ nymKey: hex(newKey()), macKeyNP: hex(newKey()), tracker: {}, issued: {} }));
    this.nymKey = unhex(this.state.nymKey, 32);
    this.macKeyNP = unhex(this.state.macKeyNP, 32);
    saveJson(this.path, this.state);
  }

  static open(dataDir: string, verify: ResourceVerifier): PseudonymManager {
    return new PseudonymManager(dataDir, verify);
  }

  /** macKey_NP, to be installed at the NM (the only key the PM and NM share). */
  sharedMacKey(): Uint8Array {
    return new Uint8Array(this.macKeyNP);
  }

  private nymFor(uid: string, w: number): Uint8Array {
    return mac(this.nymKey, 'hood-nymble-nym', Buffer.from(uid, 'utf8'), u32(w));
  }

  /** Algorithm 1: enrol in the tracker if new (rating 10), then the deterministic pseudonym for window w. */
  async pseudonym(proof: string, w: number): Promise<Pseudonym> {
    const uid = await this.verify(proof);
    const nym = this.nymFor(uid, w);
    const key = hex(nym);
    // Persist only what changed: a new user, or a pseudonym not yet recorded.
    if (!UID_RE.test(uid)) throw new NymbleError('unknown_resource', 'the resource verifier gave an unusable id');
    const known = Object.hasOwn(this.state.tracker, uid);
    if (!known || !Object.hasOwn(this.state.issued, key)) {
      if (!known) this.state.tracker[uid] = { rating: INITIAL_RATING, offences: 0, lastOffenceWindow: 0, blockedThroughWindow: 0 };
      this.state.issued[key] = { uid, w };
      for (const k of Object.keys(this.state.issued)) if (this.state.issued[k].w < w - 1) delete this.state.issued[k];
      saveJson(this.path, this.state);
    }
    return { nym, w, mac: pseudonymMac(this.macKeyNP, nym, w) };
  }

  private rowOf(nym: Uint8Array, w: number): TrackerRow {
    const key = hex(nym);
    const e = Object.hasOwn(this.state.issued, key) ? this.state.issued[key] : undefined;
    if (!e || e.w !== w) throw new NymbleError('wrong_window', 'no pseudonym of window ' + w + ' matches');
    return this.state.tracker[e.uid];
  }

  /**
   * Algorithm 2: the NM reports a pseudonym (never the server, never the reason). At most one offence
   * counts per linkability window, so several complaints about one incident do not compound.
   */
  reportOffence(nym: Uint8Array, w: number): { rating: number } {
    const row = this.rowOf(nym, w);
    if (row.lastOffenceWindow !== w) {
      row.offences += 1;
      row.rating = nextRating(row.rating, row.offences);
      row.lastOffenceWindow = w;
      saveJson(this.path, this.state);
    }
    return { rating: row.rating };
  }

  /** Algorithm 3's decision, recorded: the user stays blocked through window `through`. */
  blockThrough(nym: Uint8Array, w: number, through: number): void {
    const row = this.rowOf(nym, w);
    if (through > row.blockedThroughWindow) {
      row.blockedThroughWindow = through;
      saveJson(this.path, this.state);
    }
  }

  /**
   * Pseudonyms, for window w, of users whose block carries into w from an earlier window: the NM links
   * them from period 1 at every MSS. The NM learns they are blocked users, not who they are.
   */
  carriedBlocks(w: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const uid of Object.keys(this.state.tracker).sort()) {
      const row = this.state.tracker[uid];
      if (row.blockedThroughWindow >= w && row.lastOffenceWindow < w) out.push(this.nymFor(uid, w));
    }
    return out;
  }

  /** The tracker's rating for a resource (what the user may ask about herself). */
  async ratingOf(proof: string): Promise<number> {
    const uid = await this.verify(proof);
    return Object.hasOwn(this.state.tracker, uid) ? this.state.tracker[uid].rating : INITIAL_RATING;
  }
}

/** Mac = MA.Mac(Nym ‖ w, macKey_NP) (Algorithm 1 step 6). */
export function pseudonymMac(macKeyNP: Uint8Array, nym: Uint8Array, w: number): Uint8Array {
  return mac(macKeyNP, 'hood-nymble-pnym', nym, u32(w));
}

export function pseudonymValid(macKeyNP: Uint8Array, p: Pseudonym): boolean {
  return p.nym.length === 32 && p.mac.length === 32 && ctEqual(pseudonymMac(macKeyNP, p.nym, p.w), p.mac);
}
