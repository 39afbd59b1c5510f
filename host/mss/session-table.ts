/**
 * The MSS's session table. A session holds only what the protocol agreed: TmpId, TmpMAC, the keys
 * derived from K_BD, counters and timestamps. Deliberately absent: MQTT client id, IP address, any MAC
 * other than the TmpMAC (paper §5) — the MSS cannot link a session to a device even if it wanted to.
 */
import { toHex, wipe } from '../../shared/src/bytes';
import { ReplayWindow } from '../../shared/src/protocol/replay-window';
import { type SessionKeys, wipeSessionKeys } from '../../shared/src/protocol/session-keys';
import { formatMac } from '../../shared/src/tmpmac';

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
    return this.byUpTag.get(toHex(tag));
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
    this.byUpTag.set(toHex(s.keys.upTag), s);
    this.byTmpId.set(s.tmpId, s);
    this.byTmpMac.set(s.tmpMac, s);
    this.byKbdId.set(s.kbdId, s);
  }
  /** Replace a session's keys (RENEW/REKEY): re-index under the new uplink tag. */
  rekey(s: Session, keys: SessionKeys, kbdId: string): void {
    this.byUpTag.delete(toHex(s.keys.upTag));
    this.byKbdId.delete(s.kbdId);
    s.kbdId = kbdId;
    this.byKbdId.set(kbdId, s);
    wipeSessionKeys(s.keys);
    s.keys = keys;
    s.downSeq = 0;
    s.upWindow.reset();
    this.byUpTag.set(toHex(keys.upTag), s);
  }
  /** Remove and erase a session (BYE, timeout). */
  remove(s: Session): void {
    this.byUpTag.delete(toHex(s.keys.upTag));
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
