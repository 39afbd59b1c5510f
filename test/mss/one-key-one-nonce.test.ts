/**
 * "One key, one nonce, once" (docs/protocol.md §3.4): no ChaCha20-Poly1305 key ever seals two different
 * plaintexts (or the same plaintext with different associated data) under one nonce, on either side, in any
 * sequence of inputs. A reused (key, nonce) is a two-time pad: XOR of the two cells and one known plaintext
 * give the other (an ACCEPT with its TmpId), and the shared Poly1305 key lets an attacker forge.
 *
 * Every AEAD seal made by shared/ (JOIN, SESSION, REFUSE cells of the MSS core and of the protocol-level PDAs
 * here) goes through a ledger that remembers (key, nonce) → (plaintext, aad). Long random adversarial
 * sequences then drive the MSS core and several PDAs: joins, JOINs replayed long after their epoch (once the
 * session ended, after REKEY, after an MSS restart), K_BD and TmpMAC collisions, bad TmpMACs, capacity,
 * RENEW/REKEY, BYE, replayed session cells, beacon rotation, clock jumps, junk.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';

const ledger = vi.hoisted(() => {
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const seen = new Map<string, string>();
  const state = { seals: 0, violations: [] as string[] };
  return {
    state,
    reset() {
      seen.clear();
      state.seals = 0;
      state.violations = [];
    },
    record(key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad?: Uint8Array) {
      state.seals++;
      const k = hex(key) + '/' + hex(nonce);
      const v = hex(plain) + '/' + (aad ? hex(aad) : '');
      const before = seen.get(k);
      if (before === undefined) seen.set(k, v);
      else if (before !== v) state.violations.push(k.slice(0, 16) + '… nonce ' + hex(nonce));
    },
  };
});

vi.mock('../../shared/src/crypto/index', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../../shared/src/crypto/index')>();
  return {
    ...orig,
    seal: (key: Uint8Array, nonce: Uint8Array, plain: Uint8Array, aad?: Uint8Array) => {
      ledger.record(key, nonce, plain, aad);
      return orig.seal(key, nonce, plain, aad);
    },
  };
});

import { equalBytes } from '../../shared/src/bytes';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import {
  BYE_NORMAL,
  MSG_ACCEPT,
  MSG_BYE,
  MSG_COVER,
  MSG_DATA,
  MSG_JOIN,
  MSG_REKEY,
  MSG_REKEYED,
  MSG_RENEW,
} from '../../shared/src/protocol/constants';
import type { Message } from '../../shared/src/protocol/messages';
import { isRefuseReason, openRefuse } from '../../shared/src/protocol/refuse';
import { deriveSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { downTopic } from '../../shared/src/protocol/topics';
import { newTmpMac } from '../../shared/src/tmpmac';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { createLogger } from '../../host/common/log';
import { DEFAULT_MSS_CONFIG, MssCore, type Outbound } from '../../host/mss/core';
import { loadOrCreateMssKeys, type MssKeys } from '../../host/mss/keys';
import { echoService } from '../../host/mss/services/echo';
import { testDir } from '../helpers/temp-dir';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, cb) => cb() }) });

/** The MSS as the test runs it: restartable with the same long-term keys (as after a crash). */
class Mss {
  core!: MssCore;
  out: Outbound[] = [];
  clock = { t: 1_700_000_000_000 };
  beacons: ReturnType<typeof decodeBeacon>[] = [];
  private keys: MssKeys;
  constructor(maxSessions: number) {
    this.keys = loadOrCreateMssKeys(testDir('hood-okon-'));
    this.maxSessions = maxSessions;
    this.restart();
  }
  private maxSessions: number;
  restart(): void {
    const cfg = { ...DEFAULT_MSS_CONFIG, maxSessions: this.maxSessions, idleTimeoutSec: 30, maxSessionSec: 120 };
    this.core = new MssCore(this.keys, cfg, quiet, (o) => this.out.push(o), () => this.clock.t);
    this.core.addService(echoService);
    this.rotate();
  }
  rotate(): void {
    this.beacons.push(decodeBeacon(this.core.beacon()));
  }
  get beacon() {
    return this.beacons[this.beacons.length - 1];
  }
}

type PdaState = 'idle' | 'joining' | 'in_session' | 'closing';

/** A PDA at the protocol level, built from shared/: the decisions of firmware/src/session.ts, no radio. */
class Pda {
  state: PdaState = 'idle';
  cur: { kbd: Uint8Array; keys: SessionKeys; refuseKey: Uint8Array | null } | null = null;
  pending: { kbd: Uint8Array; keys: SessionKeys } | null = null;
  tmpMac = newTmpMac(rnd);
  upSeq = 0;
  joins = 0;
  accepted = 0;
  refused = 0;
  constructor(readonly mss: Mss) {}

  topics(): string[] {
    const t: string[] = [];
    const id = this.mss.core.config.mssId;
    if (this.cur) t.push(downTopic(id, this.cur.keys.downTag));
    if (this.pending) t.push(downTopic(id, this.pending.keys.downTag));
    return t;
  }

  join(kbd: Uint8Array, tmpMac: Uint8Array, beaconNonce: Uint8Array): Uint8Array {
    const b = this.mss.beacon;
    const esk = rnd(32);
    const epk = x25519Base(esk);
    this.cur = { kbd, keys: deriveSessionKeys(kbd, epk), refuseKey: null };
    this.pending = null;
    this.tmpMac = tmpMac;
    this.upSeq = 0;
    this.state = 'joining';
    this.joins++;
    const sealed = sealJoin(b.boxKey, { type: MSG_JOIN, kbd, tmpMac, joinNonce: rnd(16), beaconNonce }, b.cellSize, esk, epk);
    this.cur.refuseKey = sealed.refuseKey;
    return sealed.cell;
  }

  cell(m: Message): Uint8Array {
    return sealSession(this.cur!.keys.upKey, this.cur!.keys.upTag, this.upSeq++, DIR_UP, m, this.mss.core.config.cellSize);
  }

  /** Take this PDA's downlink cells and act on them as the firmware does; returns cells to send up. */
  receive(cells: Outbound[]): Uint8Array[] {
    const up: Uint8Array[] = [];
    for (const o of cells) {
      const h = decodeCellHeader(o.payload, this.mss.core.config.cellSize);
      if (h.kind !== 2) continue;
      const id = this.mss.core.config.mssId;
      if (this.pending && o.topic === downTopic(id, this.pending.keys.downTag)) {
        let m: Message;
        try {
          m = openSession(this.pending.keys.downKey, o.payload, h.seq, DIR_DOWN);
        } catch {
          continue; // counted and ignored, as the firmware does
        }
        if (m.type === MSG_REKEYED) {
          this.cur = { kbd: this.pending.kbd, keys: this.pending.keys, refuseKey: null };
          this.pending = null;
          this.upSeq = 0;
        }
        continue;
      }
      if (!this.cur || o.topic !== downTopic(id, this.cur.keys.downTag)) continue;
      if (this.state === 'joining' && h.seq !== 0 && this.cur.refuseKey && isRefuseReason(h.seq)) {
        try {
          openRefuse(this.cur.refuseKey, o.payload, h.seq);
        } catch {
          continue; // not our REFUSE (e.g. the holder's traffic on a colliding K_BD's topic): ignored, as the firmware does
        }
        this.refused++;
        this.reset();
        continue;
      }
      let m: Message;
      try {
        m = openSession(this.cur.keys.downKey, o.payload, h.seq, DIR_DOWN);
      } catch {
        continue; // a cell of an earlier holder of this topic; the firmware counts and ignores it
      }
      if (this.state === 'joining' && m.type === MSG_ACCEPT) {
        this.state = 'in_session';
        this.accepted++;
        this.cur.refuseKey = null;
      } else if (this.state === 'in_session' && m.type === MSG_RENEW && !this.pending) {
        const kbd = rnd(32);
        this.pending = { kbd, keys: deriveSessionKeys(kbd, this.cur.keys.upTag) };
        up.push(this.cell({ type: MSG_REKEY, kbd }));
      } else if (m.type === MSG_BYE) {
        this.reset();
      }
    }
    return up;
  }

  reset(): void {
    this.state = 'idle';
    this.cur = null;
    this.pending = null;
    this.upSeq = 0;
  }
}

type Step =
  | { t: 'join'; pda: number; kbd: 'fresh' | 'collide'; mac: 'fresh' | 'collide' | 'invalid'; nonce: 'current' | 'previous' | 'stale' }
  | { t: 'data'; pda: number }
  | { t: 'cover'; pda: number; answer: 0 | 1 }
  | { t: 'bye'; pda: number }
  | { t: 'rekey'; pda: number; collide: boolean }
  | { t: 'replay'; pick: number }
  | { t: 'deliver' }
  | { t: 'rotate' }
  | { t: 'clock'; sec: number }
  | { t: 'restart' }
  | { t: 'junk'; n: number };

const PDAS = 6;
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('join' as const), pda: fc.nat(PDAS - 1), kbd: fc.constantFrom('fresh' as const, 'fresh' as const, 'collide' as const), mac: fc.constantFrom('fresh' as const, 'fresh' as const, 'collide' as const, 'invalid' as const), nonce: fc.constantFrom('current' as const, 'current' as const, 'previous' as const, 'stale' as const) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('data' as const), pda: fc.nat(PDAS - 1) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('bye' as const), pda: fc.nat(PDAS - 1) }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('cover' as const), pda: fc.nat(PDAS - 1), answer: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rekey' as const), pda: fc.nat(PDAS - 1), collide: fc.boolean() }) },
  { weight: 6, arbitrary: fc.record({ t: fc.constant('replay' as const), pick: fc.nat() }) },
  { weight: 6, arbitrary: fc.constant({ t: 'deliver' as const }) },
  { weight: 2, arbitrary: fc.constant({ t: 'rotate' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('clock' as const), sec: fc.integer({ min: 1, max: 200 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'restart' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('junk' as const), n: fc.nat(255) }) },
);

interface RunStats {
  seals: number;
  joins: number;
  accepted: number;
  refused: number;
  replays: number;
  replayedAdmittedJoins: number;
}

/** Run one adversarial sequence; returns figures so the test can show it exercised what it claims. */
function run(steps: Step[], maxSessions: number): RunStats {
  const mss = new Mss(maxSessions);
  const pdas: Pda[] = [];
  for (let i = 0; i < PDAS; i++) pdas.push(new Pda(mss));
  const air: Uint8Array[] = []; // every uplink cell ever sent: what an air observer recorded
  const admittedJoins = new Set<number>(); // indexes into `air` of JOINs that were admitted
  const stats: RunStats = { seals: 0, joins: 0, accepted: 0, refused: 0, replays: 0, replayedAdmittedJoins: 0 };
  const up = (cell: Uint8Array): ReturnType<MssCore['handleUp']> => {
    air.push(cell);
    if (air.length > 4000) air.splice(0, 1000);
    return mss.core.handleUp(cell);
  };
  const deliver = () => {
    for (let round = 0; round < 4 && mss.out.length; round++) {
      const cells = mss.out.splice(0);
      for (const p of pdas) {
        const mine = p.topics();
        for (const c of p.receive(cells.filter((o) => mine.includes(o.topic)))) up(c);
      }
    }
  };
  for (const s of steps) {
    switch (s.t) {
      case 'join': {
        const p = pdas[s.pda];
        if (p.state !== 'idle') break;
        const live = pdas.filter((q) => q !== p && q.cur && q.state === 'in_session');
        const other = live.length ? live[s.pda % live.length] : null;
        const kbd = s.kbd === 'collide' && other ? other.cur!.kbd.slice() : rnd(32);
        const mac = s.mac === 'collide' && other ? other.tmpMac.slice() : s.mac === 'invalid' ? new Uint8Array([1, 2, 3, 4, 5, 6]) : newTmpMac(rnd);
        const bs = mss.beacons;
        const nonce = s.nonce === 'current' ? bs[bs.length - 1].beaconNonce : s.nonce === 'previous' && bs.length > 1 ? bs[bs.length - 2].beaconNonce : rnd(8);
        const r = up(p.join(kbd, mac, nonce));
        if (r.ok) admittedJoins.add(air.length - 1);
        break;
      }
      case 'data': {
        const p = pdas[s.pda];
        if (p.state === 'in_session') up(p.cell({ type: MSG_DATA, channel: 0, payload: rnd(s.pda * 7) }));
        break;
      }
      case 'cover': {
        // Cover cells (§3.5) take the next seq like any cell, and an answered one makes the MSS seal one more.
        const p = pdas[s.pda];
        if (p.state === 'in_session') up(p.cell({ type: MSG_COVER, answer: s.answer }));
        break;
      }
      case 'bye': {
        const p = pdas[s.pda];
        if (p.state === 'in_session') {
          up(p.cell({ type: MSG_BYE, reason: BYE_NORMAL }));
          p.state = 'closing';
        }
        break;
      }
      case 'rekey': {
        const p = pdas[s.pda];
        if (p.state !== 'in_session' || p.pending) break;
        const other = pdas.find((q) => q !== p && q.state === 'in_session' && q.cur);
        const kbd = s.collide && other ? other.cur!.kbd.slice() : rnd(32);
        p.pending = { kbd, keys: deriveSessionKeys(kbd, p.cur!.keys.upTag) };
        up(p.cell({ type: MSG_REKEY, kbd }));
        break;
      }
      case 'replay': {
        if (!air.length) break;
        const i = s.pick % air.length;
        stats.replays++;
        if (admittedJoins.has(i)) stats.replayedAdmittedJoins++;
        mss.core.handleUp(air[i]);
        break;
      }
      case 'deliver':
        deliver();
        break;
      case 'rotate':
        mss.rotate();
        break;
      case 'clock':
        mss.clock.t += s.sec * 1000;
        mss.core.tick();
        break;
      case 'restart':
        mss.out.length = 0; // cells in flight are lost with the process
        mss.restart();
        for (const p of pdas) if (p.state !== 'idle') p.reset();
        break;
      case 'junk': {
        const c = rnd(mss.core.config.cellSize);
        c[0] = 1;
        c[1] = 1 + (s.n % 2);
        mss.core.handleUp(c);
        break;
      }
    }
  }
  deliver();
  for (const p of pdas) {
    stats.joins += p.joins;
    stats.accepted += p.accepted;
    stats.refused += p.refused;
  }
  return stats;
}

describe('one key, one nonce, once (docs/protocol.md §3.4)', () => {
  it('the ledger catches a reused (key, nonce): the check has teeth', () => {
    ledger.reset();
    const keys = deriveSessionKeys(rnd(32), rnd(32));
    sealSession(keys.downKey, keys.downTag, 0, DIR_DOWN, { type: MSG_RENEW }, 512);
    sealSession(keys.downKey, keys.downTag, 0, DIR_DOWN, { type: MSG_RENEW }, 512); // same plaintext: fine
    expect(ledger.state.violations).toEqual([]);
    sealSession(keys.downKey, keys.downTag, 0, DIR_DOWN, { type: MSG_REKEYED }, 512);
    expect(ledger.state.violations).toHaveLength(1);
  });

  it('a JOIN replayed after its epoch, once its session ended, gets a REFUSE under a key of its own', () => {
    ledger.reset();
    const mss = new Mss(100);
    const p = new Pda(mss);
    const joinCell = p.join(rnd(32), newTmpMac(rnd), mss.beacon.beaconNonce);
    expect(mss.core.handleUp(joinCell)).toMatchObject({ ok: true, what: 'join' });
    const accept = mss.out.splice(0);
    p.receive(accept);
    const accepted = p.cur!.keys;
    expect(p.state).toBe('in_session');
    mss.core.handleUp(p.cell({ type: MSG_BYE, reason: BYE_NORMAL }));
    mss.out.length = 0;
    mss.rotate();
    mss.rotate(); // the JOIN's beacon nonce is no longer accepted
    expect(mss.core.handleUp(joinCell)).toEqual({ ok: false, reason: 'refused_stale_beacon' });
    const [refuse] = mss.out.splice(0);
    // Same topic as the ACCEPT (the PDA finds it), but another nonce and another key: no two-time pad.
    expect(refuse.topic).toBe(accept[0].topic);
    const h = decodeCellHeader(refuse.payload, 512) as { kind: 2; seq: number };
    expect(h.seq).toBe(3);
    expect(() => openSession(accepted.downKey, refuse.payload, 3, DIR_DOWN)).toThrow();
    expect(ledger.state.violations).toEqual([]);
    // Replayed again and again: the same cell every time (same key, nonce and plaintext).
    mss.core.handleUp(joinCell);
    const [again] = mss.out.splice(0);
    expect(equalBytes(again.payload, refuse.payload)).toBe(true);
  });

  it('no (key, nonce) pair ever seals two different messages, over long random adversarial sequences', () => {
    const totals: RunStats = { seals: 0, joins: 0, accepted: 0, refused: 0, replays: 0, replayedAdmittedJoins: 0 };
    const result = fc.check(
      fc.property(fc.array(stepArb, { minLength: 1500, maxLength: 2500 }), fc.constantFrom(3, 100), (steps, maxSessions) => {
        ledger.reset();
        const st = run(steps, maxSessions);
        st.seals = ledger.state.seals;
        for (const k of Object.keys(totals) as (keyof RunStats)[]) totals[k] += st[k];
        if (ledger.state.violations.length) throw new Error('(key, nonce) reused: ' + ledger.state.violations.slice(0, 3).join(', '));
      }),
      // Shrinking thousands of steps takes minutes; the seed and path replay a failure instead.
      { numRuns: 6, endOnFailure: true },
    );
    // Report a failure by its seed and cause, not by printing thousands of steps.
    expect(result.failed ? 'seed ' + result.seed + ' path ' + result.counterexamplePath + ': ' + String(result.errorInstance) : 'ok').toBe('ok');
    console.log('one key, one nonce:', JSON.stringify(totals));
    // The sequences did what the property is about: many seals, admitted JOINs replayed, refusals seen.
    expect(totals.seals).toBeGreaterThan(2500);
    expect(totals.accepted).toBeGreaterThan(100);
    expect(totals.refused).toBeGreaterThan(20);
    expect(totals.replayedAdmittedJoins).toBeGreaterThan(50);
  }, 300_000);
});
