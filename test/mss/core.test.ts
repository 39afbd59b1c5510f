import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import {
  BYE_ACK,
  BYE_IDLE_TIMEOUT,
  BYE_NORMAL,
  BYE_SESSION_LIMIT,
  MSG_ACCEPT,
  MSG_BYE,
  MSG_DATA,
  MSG_REFUSE,
  MSG_REKEY,
  MSG_REKEYED,
  MSG_RENEW,
  REFUSE_BAD_REQUEST,
  REFUSE_CAPACITY,
  REFUSE_STALE_BEACON,
  REFUSE_TMPMAC_IN_USE,
} from '../../shared/src/protocol/constants';
import { kbdFingerprint } from '../../shared/src/protocol/session-keys';
import { RefPda, makeCore, rnd } from '../helpers/mss-fixture';

function joined(f: ReturnType<typeof makeCore>, p = new RefPda(f)) {
  const r = f.core.handleUp(p.joinCell());
  expect(r).toMatchObject({ ok: true, what: 'join' });
  const [m] = p.inbox();
  expect(m.type).toBe(MSG_ACCEPT);
  return { p, tmpId: (m as { tmpId: string }).tmpId };
}

describe('MSS admission (paper steps 2-3)', () => {
  it('answers a JOIN with ACCEPT{TmpId, limits} on the session topic only', () => {
    const f = makeCore({ idleTimeoutSec: 77, maxSessionSec: 999 });
    const p = new RefPda(f);
    f.core.handleUp(p.joinCell());
    expect(f.out).toHaveLength(1);
    expect(f.out[0].topic).toBe(p.topic);
    expect(f.out[0].payload.length).toBe(f.core.config.cellSize);
    const [m] = p.inbox();
    expect(m).toMatchObject({ type: MSG_ACCEPT, idleTimeoutSec: 77, maxSessionSec: 999 });
    expect((m as any).tmpId).toMatch(/^[a-z2-7]{16}$/);
    expect(f.core.sessions.size).toBe(1);
  });

  it('gives every session a different TmpId', () => {
    const f = makeCore();
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) ids.add(joined(f).tmpId);
    expect(ids.size).toBe(200);
  });

  it('refuses a TmpMAC already in use, and admits the same PDA with another', () => {
    const f = makeCore();
    const a = joined(f).p;
    const b = new RefPda(f);
    expect(f.core.handleUp(b.joinCell({ tmpMac: a.tmpMac }))).toEqual({ ok: false, reason: 'refused_tmpmac_in_use' });
    expect(b.inbox()).toEqual([expect.objectContaining({ type: MSG_REFUSE, reason: REFUSE_TMPMAC_IN_USE })]);
    expect(f.core.sessions.size).toBe(1);
    b.rekey(rnd(32));
    expect(f.core.handleUp(b.joinCell())).toMatchObject({ ok: true });
  });

  it('refuses a TmpMAC that is multicast, globally administered, all-zero or broadcast', () => {
    const f = makeCore();
    for (const mac of ['03:00:00:00:00:01', '00:11:22:33:44:55', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '07:11:22:33:44:55']) {
      const p = new RefPda(f);
      const bytes = Uint8Array.from(mac.split(':').map((h) => parseInt(h, 16)));
      expect(f.core.handleUp(p.joinCell({ tmpMac: bytes }))).toEqual({ ok: false, reason: 'refused_bad_request' });
      expect(p.inbox()[0]).toMatchObject({ type: MSG_REFUSE, reason: REFUSE_BAD_REQUEST });
    }
    expect(f.core.sessions.size).toBe(0);
  });

  it('K_BD already in use: no reply to the newcomer, RENEW to the holder, who rekeys', () => {
    const f = makeCore();
    const { p: holder, tmpId } = joined(f);
    const collided = holder.kbd.slice();
    const newcomer = new RefPda(f);
    const r = f.core.handleUp(newcomer.joinCell({ kbd: collided }));
    expect(r).toEqual({ ok: false, reason: 'kbd_collision' });
    const toHolder = holder.inbox();
    expect(toHolder.map((m) => m.type)).toEqual([MSG_RENEW]);
    expect(f.out).toHaveLength(0); // nothing anywhere else, in particular nothing for the newcomer
    // The holder picks a new K_BD: REKEY under the old keys, REKEYED under the new ones.
    const fresh = rnd(32);
    const cell = holder.cell({ type: MSG_REKEY, kbd: fresh });
    holder.rekey(fresh);
    expect(f.core.handleUp(cell)).toMatchObject({ ok: true, what: 'rekey', tmpId });
    expect(holder.inbox().map((m) => m.type)).toEqual([MSG_REKEYED]);
    // The holder's session goes on under the new key, with its TmpId.
    f.core.handleUp(holder.cell({ type: MSG_DATA, channel: 0, payload: rnd(3) }));
    expect(holder.inbox().map((m) => m.type)).toEqual([MSG_DATA]);
    expect(f.core.sessions.findByTmpId(tmpId)).toBeDefined();
    // The old K_BD is free: a newcomer retrying with it is admitted.
    const again = new RefPda(f);
    again.rekey(collided);
    expect(f.core.handleUp(again.joinCell())).toMatchObject({ ok: true });
    expect(again.inbox()[0].type).toBe(MSG_ACCEPT);
  });

  it('ignores a replayed JOIN (counted, no reply, no RENEW to the session it created)', () => {
    const f = makeCore();
    const p = new RefPda(f);
    const cell = p.joinCell();
    f.core.handleUp(cell);
    p.inbox();
    expect(f.core.handleUp(cell)).toEqual({ ok: false, reason: 'join_replay' });
    expect(f.out).toHaveLength(0);
    expect(f.core.stats.rejected.join_replay).toBe(1);
    // Still ignored after the session ended, while its beacon epoch is valid.
    f.core.handleUp(p.cell({ type: MSG_BYE, reason: BYE_NORMAL }));
    f.out.length = 0;
    expect(f.core.handleUp(cell)).toEqual({ ok: false, reason: 'join_replay' });
    expect(f.out).toHaveLength(0);
    expect(f.core.sessions.size).toBe(0);
  });

  it('accepts the previous beacon nonce, refuses an older one (STALE_BEACON)', () => {
    const f = makeCore();
    const old = f.beacon.beaconNonce;
    f.rotate();
    const p = new RefPda(f);
    expect(f.core.handleUp(p.joinCell({ beaconNonce: old }))).toMatchObject({ ok: true });
    f.rotate();
    f.rotate();
    const q = new RefPda(f);
    expect(f.core.handleUp(q.joinCell({ beaconNonce: old }))).toEqual({ ok: false, reason: 'refused_stale_beacon' });
    expect(q.inbox()[0]).toMatchObject({ type: MSG_REFUSE, reason: REFUSE_STALE_BEACON });
  });

  it('refuses JOINs beyond max sessions', () => {
    const f = makeCore({ maxSessions: 2 });
    joined(f);
    joined(f);
    const p = new RefPda(f);
    expect(f.core.handleUp(p.joinCell())).toEqual({ ok: false, reason: 'refused_capacity' });
    expect(p.inbox()[0]).toMatchObject({ type: MSG_REFUSE, reason: REFUSE_CAPACITY });
  });
});

describe('MSS session cells', () => {
  it('echoes DATA on channel 0 and counts cells', () => {
    const f = makeCore();
    const { p } = joined(f);
    const payload = rnd(100);
    expect(f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0, payload }))).toMatchObject({ ok: true, what: 'data' });
    const [m] = p.inbox();
    expect(m).toMatchObject({ type: MSG_DATA, channel: 0 });
    expect(toHex((m as any).payload)).toBe(toHex(payload));
  });

  it('rejects a replayed cell and one older than the window, accepts reordering inside it', () => {
    const f = makeCore();
    const { p } = joined(f);
    const d = () => ({ type: MSG_DATA as 0x08, channel: 0, payload: rnd(4) });
    const c5 = p.cell(d(), 5);
    const c3 = p.cell(d(), 3);
    expect(f.core.handleUp(c5)).toMatchObject({ ok: true });
    expect(f.core.handleUp(c3)).toMatchObject({ ok: true }); // reordered, inside the window
    expect(f.core.handleUp(c5)).toEqual({ ok: false, reason: 'replay' });
    expect(f.core.handleUp(c3)).toEqual({ ok: false, reason: 'replay' });
    expect(f.core.handleUp(p.cell(d(), 100))).toMatchObject({ ok: true });
    expect(f.core.handleUp(p.cell(d(), 60))).toEqual({ ok: false, reason: 'too_old' });
    expect(f.core.stats.rejected).toMatchObject({ replay: 2, too_old: 1 });
  });

  it('rejects a cell under another session key or for an unknown session', () => {
    const f = makeCore();
    const { p } = joined(f);
    const stranger = new RefPda(f);
    expect(f.core.handleUp(stranger.cell({ type: MSG_DATA, channel: 0, payload: rnd(1) }))).toEqual({ ok: false, reason: 'unknown_session' });
    // Right tag, wrong key: forged.
    const forged = stranger.cell({ type: MSG_DATA, channel: 0, payload: rnd(1) });
    forged.set(p.keys.upTag, 2);
    expect(f.core.handleUp(forged)).toEqual({ ok: false, reason: 'bad_seal' });
  });

  it('BYE frees everything and is acknowledged', () => {
    const f = makeCore();
    const { p, tmpId } = joined(f);
    expect(f.core.handleUp(p.cell({ type: MSG_BYE, reason: BYE_NORMAL }))).toMatchObject({ ok: true, what: 'bye' });
    expect(p.inbox()).toEqual([{ type: MSG_BYE, reason: BYE_ACK }]);
    expect(f.core.sessions.size).toBe(0);
    expect(f.core.sessions.findByTmpId(tmpId)).toBeUndefined();
    // The TmpMAC is free again and the session's cells are dead.
    expect(f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0, payload: rnd(1) }))).toEqual({ ok: false, reason: 'unknown_session' });
  });

  it('times sessions out when idle and at the absolute limit', () => {
    const f = makeCore({ idleTimeoutSec: 10, maxSessionSec: 60 });
    const { p: idle } = joined(f);
    const { p: busy } = joined(f);
    for (let t = 0; t < 7; t++) {
      f.clock.t += 9_000;
      f.core.handleUp(busy.cell({ type: MSG_DATA, channel: 0, payload: rnd(1) }));
      f.core.tick();
    }
    expect(idle.inbox()).toEqual([{ type: MSG_BYE, reason: BYE_IDLE_TIMEOUT }]);
    const busyIn = busy.inbox();
    expect(busyIn[busyIn.length - 1]).toEqual({ type: MSG_BYE, reason: BYE_SESSION_LIMIT });
    expect(f.core.sessions.size).toBe(0);
    expect(f.core.stats.ended).toMatchObject({ idle_timeout: 1, session_limit: 1 });
  });

  it('keeps no identity of the PDA in session state, and no key in its logs', () => {
    const f = makeCore();
    const { p } = joined(f);
    f.core.handleUp(p.cell({ type: MSG_DATA, channel: 0, payload: rnd(8) }));
    const s = f.core.sessions.all()[0];
    expect(Object.keys(s).sort()).toEqual(
      ['cellsDown', 'cellsUp', 'createdAt', 'downSeq', 'expiresAt', 'idleTimeoutMs', 'kbdId', 'keys', 'lastSeenAt', 'service', 'tmpId', 'tmpMac', 'upWindow'].sort(),
    );
    // kbdId is a one-way fingerprint of K_BD (collision detection), never K_BD itself.
    expect(s.kbdId).toBe(toHex(kbdFingerprint(p.kbd)));
    expect(s.kbdId).not.toContain(toHex(p.kbd).slice(0, 32));
    const log = f.logText();
    expect(log).toContain('session_admitted');
    for (const secret of [p.kbd, p.keys.upKey, p.keys.downKey, f.core['keys'].boxSecret, kbdFingerprint(p.kbd)]) {
      expect(log).not.toContain(toHex(secret));
      expect(log).not.toContain(Buffer.from(secret).toString('base64'));
    }
    expect(log).not.toContain(toHex(p.keys.downTag)); // the downlink topic is a session secret too
  });
});
