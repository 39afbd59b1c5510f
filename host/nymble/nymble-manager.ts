/**
 * The Nymble Manager (Extended Nymble §2.4, §2.7, Algorithm 3; construction of Nymble [Tsang et al.
 * 2011] §5): issues nymble tickets for (MSS, window, period) from a PM pseudonym, turns a complaint
 * into linking tokens for every MSS of the federation, and publishes a signed, versioned blacklist
 * per MSS.
 *
 * Per user, MSS and window:  seed_0 = MA.Mac(Nym ‖ sid ‖ w, seedKey_N);  nymble* = g(seed_0);
 * seed_t = f(seed_{t−1});  nymble_t = g(seed_t).  A ticket is (sid, w, t, nymble_t, ctxt, macN, macNS)
 * with ctxt = Enc(nymble* ‖ seed_t ‖ Nym, encKey_N), macN under the NM's own key and macNS under the
 * key it shares with that MSS. Seeds of different MSSs or windows come from independent MAC outputs,
 * and nymbles of one chain are hashes of secret seeds, so tickets are unlinkable until a complaint.
 *
 * A complaint hands the NM a ticket; from ctxt it recovers the pseudonym (Extended Nymble §2.2: the
 * NM reports only the pseudonym to the PM, never the server or why), gets the new rating and decides
 * the number of blocked windows. It then gives every MSS the seed of that user at the current period
 * t_c for that MSS (its linking token) and adds that user's nymble* to every MSS's blacklist, so no
 * MSS learns which MSS complained. Tickets before t_c stay unlinkable (backward unlinkability, §2.7).
 */
import { generateKeyPairSync, createPrivateKey, createPublicKey, sign, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { blacklistSignedBytes, encodeBlacklist } from '../../shared/src/nymble/blacklist';
import { decodeTicket, encodeTicket, ticketMacNInput, ticketMacNSInput, type NymbleTicket } from '../../shared/src/nymble/ticket';
import { NymbleError } from './errors';
import { ctEqual, decrypt, encrypt, evolveSeed, evolveSeedBy, hex, mac, newKey, nymbleOf, unhex } from './primitives';
import { pseudonymValid, u32, type Pseudonym, type PseudonymManager } from './pseudonym-manager';
import { blockWindows } from './rating';
import { loadJson, saveJson } from './state-file';
import type { Epoch, NymbleTime } from './time';

/** What an MSS receives: link this user's nymbles from period t of window w on. Nothing else. */
export interface LinkingToken {
  seq: number;
  w: number;
  t: number;
  seed: Uint8Array;
}

/** A user's credential for one MSS and window (Nymble §5.3): nymble* for checking the blacklist, and tickets. */
export interface Credential {
  sid: string;
  w: number;
  nymbleStar: Uint8Array;
  /** tickets[i] is for period firstPeriod + i. */
  firstPeriod: number;
  tickets: Uint8Array[];
}

interface NmState {
  seedKey: string;
  encKey: string;
  macKeyN: string;
  signKeyPkcs8: string;
  mss: Record<string, string>;
  window: number;
  /** Pseudonyms (hex) linked in `window`. */
  linked: string[];
  tokens: Record<string, { seq: number; w: number; t: number; seed: string }[]>;
  blacklist: Record<string, { version: number; entries: string[] }>;
  seq: number;
}

export const NM_STATE_FILE = 'nm-state.json';
/** MSS ids (the sid in tickets): the MSS's name, safe as a file name and as an object key. */
export const MSS_ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class NymbleManager {
  private readonly path: string;
  private readonly state: NmState;
  private readonly seedKey: Uint8Array;
  private readonly encKey: Uint8Array;
  private readonly macKeyN: Uint8Array;
  private readonly signKey: KeyObject;
  private readonly pub: Uint8Array;

  private constructor(
    dataDir: string,
    private readonly macKeyNP: Uint8Array,
    private readonly pm: PseudonymManager,
    readonly time: NymbleTime,
  ) {
    this.path = join(dataDir, NM_STATE_FILE);
    this.state = loadJson<NmState>(this.path, () => ({
      seedKey: hex(newKey()),
      encKey: hex(newKey()),
      macKeyN: hex(newKey()),
      signKeyPkcs8: generateKeyPairSync('ed25519').privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex'),
      mss: {},
      window: 0,
      linked: [],
      tokens: {},
      blacklist: {},
      seq: 0,
    }));
    this.seedKey = unhex(this.state.seedKey, 32);
    this.encKey = unhex(this.state.encKey, 32);
    this.macKeyN = unhex(this.state.macKeyN, 32);
    this.signKey = createPrivateKey({ key: Buffer.from(this.state.signKeyPkcs8, 'hex'), format: 'der', type: 'pkcs8' });
    const jwk = createPublicKey(this.signKey).export({ format: 'jwk' });
    this.pub = new Uint8Array(Buffer.from(jwk.x as string, 'base64url'));
    saveJson(this.path, this.state);
  }

  /** `macKeyNP` is the key the PM shares with the NM; `pm` answers Algorithm 2/3 queries by pseudonym only. */
  static open(dataDir: string, opts: { macKeyNP: Uint8Array; pm: PseudonymManager; time: NymbleTime }): NymbleManager {
    return new NymbleManager(dataDir, opts.macKeyNP, opts.pm, opts.time);
  }

  /** The NM's Ed25519 public key (RFC 8032, 32 bytes): what PDAs verify blacklists with. */
  publicKey(): Uint8Array {
    return new Uint8Array(this.pub);
  }

  /** Enrol an MSS: returns macKey_NS, the ticket MAC key this NM shares with it (created once). */
  registerMss(sid: string): Uint8Array {
    if (!MSS_ID_RE.test(sid)) throw new NymbleError('unknown_mss', 'an MSS id must match ' + MSS_ID_RE.source);
    if (!Object.hasOwn(this.state.mss, sid)) {
      this.state.mss[sid] = hex(newKey());
      this.state.blacklist[sid] = { version: 0, entries: [] };
      this.state.tokens[sid] = [];
      saveJson(this.path, this.state);
    }
    return unhex(this.state.mss[sid], 32);
  }

  /** macKey_NS of a registered MSS (throws `unknown_mss`), to authenticate its requests. */
  mssSharedKey(sid: string): Uint8Array {
    return this.mssKey(sid);
  }

  private mssKey(sid: string): Uint8Array {
    const k = Object.hasOwn(this.state.mss, sid) ? this.state.mss[sid] : undefined;
    if (!k) throw new NymbleError('unknown_mss', 'the NM has no MSS named ' + JSON.stringify(sid));
    return unhex(k, 32);
  }

  private seed0(nym: Uint8Array, sid: string, w: number): Uint8Array {
    return mac(this.seedKey, 'hood-nymble-seed', nym, Buffer.from(sid, 'utf8'), u32(w));
  }

  /**
   * Roll state into window `w`: drop last window's links and tokens, then link from period 1 every
   * user whose block carries into w (Extended Nymble §2.5, Algorithm 3).
   */
  private enterWindow(w: number): void {
    if (w < this.state.window) throw new NymbleError('wrong_window', 'window ' + w + ' is over (the NM is in window ' + this.state.window + ')');
    if (w === this.state.window) return;
    this.state.window = w;
    this.state.linked = [];
    for (const sid of Object.keys(this.state.mss)) {
      this.state.tokens[sid] = [];
      const bl = this.state.blacklist[sid];
      if (bl.entries.length) {
        bl.entries = [];
        bl.version += 1;
      }
    }
    for (const nym of this.pm.carriedBlocks(w)) this.link(nym, w, 1);
    saveJson(this.path, this.state);
  }

  private link(nym: Uint8Array, w: number, t: number): void {
    const key = hex(nym);
    if (this.state.linked.includes(key)) return;
    this.state.linked.push(key);
    for (const sid of Object.keys(this.state.mss)) {
      const s0 = this.seed0(nym, sid, w);
      this.state.seq += 1;
      this.state.tokens[sid].push({ seq: this.state.seq, w, t, seed: hex(evolveSeedBy(s0, t)) });
      const bl = this.state.blacklist[sid];
      bl.entries.push(hex(nymbleOf(s0)));
      bl.entries.sort();
      bl.version += 1;
    }
  }

  /** NymbleTktGen: tickets for periods from..L of window now.w at MSS sid. */
  credential(p: Pseudonym, sid: string, now: Epoch, from = now.t): Credential {
    this.enterWindow(now.w);
    if (!pseudonymValid(this.macKeyNP, p)) throw new NymbleError('forged', 'the pseudonym does not carry a valid PM MAC');
    if (p.w !== now.w) throw new NymbleError('wrong_window', 'the pseudonym is for window ' + p.w + ', now is ' + now.w);
    const keyNS = this.mssKey(sid);
    const L = this.time.periodsPerWindow;
    if (!Number.isInteger(from) || from < 1 || from > L) throw new Error('first period out of range');
    const s0 = this.seed0(p.nym, sid, now.w);
    const nymbleStar = nymbleOf(s0);
    const tickets: Uint8Array[] = [];
    let seed = evolveSeedBy(s0, from - 1);
    for (let t = from; t <= L; t++) {
      seed = evolveSeed(seed);
      const nymble = nymbleOf(seed);
      const ctxt = encrypt(this.encKey, Buffer.concat([nymbleStar, seed, p.nym]), ticketAad(sid, now.w, t));
      const body = { sid, w: now.w, t, nymble, ctxt };
      const macN = mac(this.macKeyN, 'hood-nymble-macN', ticketMacNInput(body));
      const macNS = mac(keyNS, 'hood-nymble-macNS', ticketMacNSInput({ ...body, macN }));
      tickets.push(encodeTicket({ ...body, macN, macNS }));
    }
    return { sid, w: now.w, nymbleStar, firstPeriod: from, tickets };
  }

  /**
   * A complaint by MSS `sid` about a ticket it was shown in this window (Nymble §5.4, Extended Nymble
   * §2.7): returns only the period from which the user is linked; rating and windows stay with the NM/PM.
   */
  complain(ticketBytes: Uint8Array, sid: string, now: Epoch): { linkedFrom: Epoch } {
    this.enterWindow(now.w);
    let tk: NymbleTicket;
    try {
      tk = decodeTicket(ticketBytes);
    } catch (e) {
      throw new NymbleError('malformed', 'the complaint does not carry a well-formed ticket', { cause: e });
    }
    if (tk.sid !== sid) throw new NymbleError('wrong_mss', 'an MSS can only complain about tickets made for it');
    this.mssKey(sid);
    if (!ctEqual(mac(this.macKeyN, 'hood-nymble-macN', ticketMacNInput(tk)), tk.macN)) {
      throw new NymbleError('forged', 'the ticket was not issued by this NM');
    }
    if (tk.w !== now.w) throw new NymbleError('wrong_window', 'complaints are accepted only within the ticket\'s linkability window');
    if (tk.t > now.t) throw new NymbleError('not_yet_valid', 'the ticket is for a later period');
    const plain = decrypt(this.encKey, tk.ctxt, ticketAad(tk.sid, tk.w, tk.t));
    if (!plain || plain.length !== 96) throw new NymbleError('forged', 'the ticket trapdoor does not open');
    const seedT = plain.subarray(32, 64);
    const nym = plain.slice(64, 96);
    // The trapdoor must agree with the ticket's own nymble (a ctxt cannot be moved between tickets).
    if (!ctEqual(nymbleOf(seedT), tk.nymble)) throw new NymbleError('forged', 'the ticket trapdoor does not match its nymble');
    const { rating } = this.pm.reportOffence(nym, tk.w);
    this.pm.blockThrough(nym, tk.w, tk.w + blockWindows(rating) - 1);
    this.link(nym, now.w, now.t);
    saveJson(this.path, this.state);
    return { linkedFrom: { w: now.w, t: now.t } };
  }

  /** Linking tokens for MSS sid in the current window with seq > since (what the MSS polls). */
  linkingTokens(sid: string, now: Epoch, since = 0): LinkingToken[] {
    this.enterWindow(now.w);
    this.mssKey(sid);
    return this.state.tokens[sid].filter((k) => k.seq > since).map((k) => ({ seq: k.seq, w: k.w, t: k.t, seed: unhex(k.seed, 32) }));
  }

  /** The signed blacklist of MSS sid, stamped with the current period (freshness, Extended Nymble §2.7). */
  blacklist(sid: string, now: Epoch): Uint8Array {
    this.enterWindow(now.w);
    this.mssKey(sid);
    const bl = this.state.blacklist[sid];
    const body = { sid, w: now.w, t: now.t, version: bl.version, entries: bl.entries.map((e) => unhex(e, 32)) };
    const sig = new Uint8Array(sign(null, blacklistSignedBytes(body), this.signKey));
    return encodeBlacklist({ ...body, sig });
  }
}

/** The AAD binding a trapdoor to its ticket's public fields (sid, w, t). */
function ticketAad(sid: string, w: number, t: number): Uint8Array {
  return Buffer.concat([Buffer.from(sid, 'utf8'), Buffer.from([0]), u32(w), u32(t)]);
}
