/**
 * The MSS's session table. A session holds only what the protocol agreed: TmpId, TmpMAC, the keys
 * derived from K_BD, counters and timestamps. Deliberately absent: MQTT client id, IP address, any MAC
 * other than the TmpMAC (paper §5) — the MSS cannot link a session to a device even if it wanted to.
 */
import { wipe } from '../../shared/src/bytes';
import { ReplayWindow } from '../../shared/src/protocol/replay-window';
import { type SessionKeys, wipeSessionKeys } from '../../shared/src/protocol/session-keys';
import { formatMac } from '../../shared/src/tmpmac';

/*
 * Index keys are kept flat. Strings built a character at a time (toHex, base32Encode, formatMac: the shared
 * code must run on Espruino) are V8 rope strings while they live, about 23 bytes per character against 1 for
 * a flat copy, and the table holds four keys per session for the session's whole life.
 */

/** Lowercase hex of b as one flat string (the key toHex(b) would give). */
export function hexKey(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex');
}

/** A flat copy of an ASCII key (TmpId, formatted TmpMAC). */
export function flatKey(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

/**
 * The key set as four views of one 96-byte buffer: a third less memory than four arrays of their own, for
 * as long as the session lives. wipeSessionKeys on it still erases every byte. The given set is wiped.
 */
export function packKeys(k: SessionKeys): SessionKeys {
  const b = new Uint8Array(96);
  b.set(k.upKey, 0);
  b.set(k.downKey, 32);
  b.set(k.upTag, 64);
  b.set(k.downTag, 80);
  wipeSessionKeys(k);
  return { upKey: b.subarray(0, 32), downKey: b.subarray(32, 64), upTag: b.subarray(64, 80), downTag: b.subarray(80, 96) };
}

export interface Session {
  tmpId: string;
  tmpMac: string;
  /** Hex of kbdFingerprint(K_BD): how "K_BD already in use" (paper step 2) is seen; not a key. */
  kbdId: string;
  keys: SessionKeys;
  /** Next downlink sequence number. */
  downSeq: number;
  upWindow: ReplayWindow;
  createdAt: number;
  lastSeenAt: number;
  idleTimeoutMs: number;
  expiresAt: number;
  cellsUp: number;
  cellsDown: number;
  /** Resumed from a ticket and no cell under the new keys yet (host/mss/handoff.ts: a lost ACCEPT may be retried). */
  resumedUnconfirmed?: boolean;
  /** Free-form per-session state for services (payment, mail); cleared with the session. */
  service: Record<string, unknown>;
}

export class SessionTable {
  private byUpTag = new Map<string, Session>();
  private byTmpId = new Map<string, Session>();
  private byTmpMac = new Map<string, Session>();
  private byKbdId = new Map<string, Session>();

  get size(): number {
    return this.byUpTag.size;
  }
  findByUpTag(tag: Uint8Array): Session | undefined {
    return this.byUpTag.get(hexKey(tag));
  }
  findByKbd(kbdId: string): Session | undefined {
    return this.byKbdId.get(kbdId);
  }
  findByTmpId(tmpId: string): Session | undefined {
    return this.byTmpId.get(tmpId);
  }
  tmpMacInUse(mac: Uint8Array): boolean {
    return this.byTmpMac.has(formatMac(mac));
  }
  tmpIdInUse(tmpId: string): boolean {
    return this.byTmpId.has(tmpId);
  }
  add(s: Session): void {
    this.byUpTag.set(hexKey(s.keys.upTag), s);
    this.byTmpId.set(s.tmpId, s);
    this.byTmpMac.set(s.tmpMac, s);
    this.byKbdId.set(s.kbdId, s);
  }
  /** Replace a session's keys (RENEW/REKEY): re-index under the new uplink tag. */
  rekey(s: Session, keys: SessionKeys, kbdId: string): void {
    this.byUpTag.delete(hexKey(s.keys.upTag));
    this.byKbdId.delete(s.kbdId);
    s.kbdId = kbdId;
    this.byKbdId.set(kbdId, s);
    wipeSessionKeys(s.keys);
    s.keys = keys;
    s.downSeq = 0;
    s.upWindow.reset();
    this.byUpTag.set(hexKey(keys.upTag), s);
  }
  /**
   * A PDA resumed this live session with a ticket (docs/handoff.md): same TmpId and service state, new key set
   * and TmpMAC, counters from zero. The old keys are erased.
   */
  rebind(s: Session, keys: SessionKeys, kbdId: string, tmpMac: string): void {
    this.byTmpMac.delete(s.tmpMac);
    s.tmpMac = tmpMac;
    this.byTmpMac.set(tmpMac, s);
    this.rekey(s, keys, kbdId);
  }
  /** Remove and erase a session (BYE, timeout). */
  remove(s: Session): void {
    this.byUpTag.delete(hexKey(s.keys.upTag));
    this.byTmpId.delete(s.tmpId);
    this.byTmpMac.delete(s.tmpMac);
    this.byKbdId.delete(s.kbdId);
    wipeSessionKeys(s.keys);
    for (const k of Object.keys(s.service)) {
      const v = s.service[k];
      if (v instanceof Uint8Array) wipe(v);
      delete s.service[k];
    }
  }
  all(): Session[] {
    return [...this.byUpTag.values()];
  }
}
