/**
 * The anonymous session end to end: the REAL firmware bundle (firmware/dist/hood.js) in the
 * Espruino-profile VM on the emulated board, the real MSS gateway, the real embedded aedes broker.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { formatMac, isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { BUNDLE, startGateway } from '../helpers/gateway';

let g: Awaited<ReturnType<typeof startGateway>>;
const pdas: EmuPda[] = [];
const make = (o: Parameters<typeof pdaFor>[2] = {}) => {
  const p = pdaFor(g.gw, BUNDLE, o);
  pdas.push(p);
  return p;
};

beforeAll(async () => {
  g = await startGateway();
});
afterEach(() => {
  for (const p of pdas.splice(0)) p.powerOff();
});
afterAll(async () => {
  await g.stop();
});

describe('anonymous session on the emulated board', () => {
  it('beacon -> JOIN -> TmpId -> DATA -> BYE -> wipe, never showing the burned-in MAC', async () => {
    const pda = make();
    const joined = await joinSession(pda);
    const tmpMac = parseMac(joined.tmpMac);
    expect(isUnicast(tmpMac) && isLocallyAdministered(tmpMac)).toBe(true);
    expect(joined.tmpId).toMatch(/^[a-z2-7]{16}$/);
    expect(g.gw.core.sessions.findByTmpId(joined.tmpId)?.tmpMac).toBe(joined.tmpMac);

    // The address register held the TmpMAC before the radio did anything: the first record on the air has it.
    expect(pda.ap.records[0]).toMatchObject({ what: 'associate', mac: joined.tmpMac });
    expect(pda.ap.sourceMacs()).toEqual([joined.tmpMac]);
    expect(pda.burnedInMacSeen()).toBe(false);

    const since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: 'cafe' });
    expect((await pda.waitFor('data', 10_000, since)).payload).toBe('cafe');

    const secrets: Uint8Array[] = pda.firmware.session.secrets.slice();
    expect(secrets.length).toBeGreaterThanOrEqual(6);
    expect(secrets.some((b) => b.some((x) => x !== 0))).toBe(true);
    const wiped = await endSession(pda);
    expect(wiped.ok).toBe(true);
    for (const b of secrets) expect(Array.from(b).every((x) => x === 0)).toBe(true);
    expect(pda.firmware.session.state).toBe('wiped');
    await expect.poll(() => g.gw.core.sessions.findByTmpId(joined.tmpId)).toBeUndefined();

    // Nothing of the session reached flash: only configuration and pins were ever written.
    expect(new Set(pda.storage.writes.map((w) => w.key))).toEqual(new Set(['hood.cfg']));
    const flash = pda.storage.writes.map((w) => w.value).join('\n');
    expect(flash).not.toContain(joined.tmpId);
    expect(flash).not.toContain(joined.tmpMac);
    expect(pda.burnedInMacSeen()).toBe(false);
    expect(pda.nic.associated).toBe(false);
  });

  it('two sessions of one PDA share no identifier', async () => {
    const pda = make();
    const seen: { tmpMac: string; tmpId: string; clientId: string; hostname?: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const since = pda.events.length;
      const j = await joinSession(pda);
      const c = pda.events.slice(since).find((e) => e.ev === 'connected')!;
      seen.push({ tmpMac: j.tmpMac, tmpId: j.tmpId, clientId: c.clientId });
      await endSession(pda);
    }
    const assoc = pda.ap.records.filter((r) => r.what === 'associate');
    expect(assoc).toHaveLength(2);
    expect(seen[0].tmpMac).not.toBe(seen[1].tmpMac);
    expect(seen[0].tmpId).not.toBe(seen[1].tmpId);
    expect(seen[0].clientId).not.toBe(seen[1].clientId);
    expect(assoc[0].hostname).not.toBe(assoc[1].hostname);
    expect(pda.burnedInMacSeen()).toBe(false);
  });

  it('fails closed on a board that cannot write its MAC register: nothing goes on the air', async () => {
    const pda = make({ canSetMac: false });
    pda.cmd({ cmd: 'start' });
    const e = await pda.waitFor('error');
    expect(e.code).toBe('no_mac_write');
    expect(e.msg).toMatch(/anonymous mode refused/);
    await new Promise((r) => setTimeout(r, 300));
    expect(pda.ap.records).toEqual([]);
    expect(pda.nic.associated).toBe(false);
    expect(pda.firmware.session.state).toBe('off');
  });

  it('refuses a beacon whose identity key differs from the pinned one', async () => {
    const pda = make({ pin: false });
    pda.cmd({ cmd: 'pin', mssId: g.gw.mssId, key: randomBytes(32).toString('hex') });
    const joinsBefore = g.gw.core.stats.accepted;
    pda.cmd({ cmd: 'start', joinTimeoutMs: 1000 });
    const e = await pda.waitFor((x) => x.ev === 'error' && x.code === 'pin_mismatch');
    expect(e.msg).toMatch(/pinned/);
    await new Promise((r) => setTimeout(r, 300));
    expect(pda.events.some((x) => x.ev === 'state' && x.state === 'joining')).toBe(false);
    expect(g.gw.core.stats.accepted).toBe(joinsBefore);
    pda.cmd({ cmd: 'end' });
    await pda.waitFor('wiped');
  });

  it('retries with a new TmpMAC when the MSS says the TmpMAC is in use', async () => {
    const a = make();
    const ja = await joinSession(a);
    let forced = false;
    const b = make({
      random: (n) => {
        if (n === 6 && !forced) {
          forced = true;
          return parseMac(ja.tmpMac); // B's first TmpMAC draw collides with A's
        }
        return new Uint8Array(randomBytes(n));
      },
    });
    const jb = await joinSession(b);
    expect(b.events.some((e) => e.ev === 'refused' && e.reason === 1)).toBe(true);
    expect(jb.attempts).toBe(2);
    expect(jb.tmpMac).not.toBe(ja.tmpMac);
    // B's first association used the colliding address, its session the new one; neither is burned-in.
    expect(b.ap.records.filter((r) => r.what === 'associate').map((r) => r.mac)).toEqual([ja.tmpMac, jb.tmpMac]);
    expect(b.burnedInMacSeen()).toBe(false);
    await endSession(a);
    await endSession(b);
  });

  it('K_BD collision: the newcomer gets no answer and retries, the holder is told to RENEW and rekeys', async () => {
    const a = make();
    const ja = await joinSession(a);
    const aKbd = Uint8Array.from(a.firmware.session.cur.kbd as Uint8Array);
    let forced = false;
    let armed = false;
    let draws32 = 0;
    const b = make({
      random: (n) => {
        if (n === 32) draws32++;
        if (n === 32 && armed && !forced) {
          forced = true;
          return aKbd.slice(); // B's first K_BD equals A's
        }
        return new Uint8Array(randomBytes(n));
      },
    });
    // B draws its first JOIN key pair while idle after boot (firmware/src/precompute.ts); once that
    // draw is done, the next 32-byte draw is the K_BD of its first JOIN.
    await expect.poll(() => draws32, { timeout: 10_000 }).toBe(1);
    armed = true;
    const since = b.events.length;
    b.cmd({ cmd: 'start', joinTimeoutMs: 1500 });
    const jb = await b.waitFor('joined', 20_000, since);
    expect(b.events.some((e) => e.ev === 'join_timeout')).toBe(true);
    expect(b.events.some((e) => e.ev === 'refused')).toBe(false);
    await a.waitFor('rekeyed');
    expect(toHex(a.firmware.session.cur.kbd)).not.toBe(toHex(aKbd));
    // Both sessions work, and A kept its TmpId.
    for (const [p, j] of [[a, ja], [b, jb]] as const) {
      const s = p.events.length;
      p.cmd({ cmd: 'send', channel: 0, payload: '0102' });
      expect((await p.waitFor('data', 10_000, s)).payload).toBe('0102');
      expect(g.gw.core.sessions.findByTmpId(j.tmpId)).toBeDefined();
    }
    await endSession(a);
    await endSession(b);
  });

  it('ignores hostile downlink cells: garbage, replays, cells for another session', async () => {
    const pda = make();
    await joinSession(pda);
    const topic: string = pda.firmware.session.cur.topic;
    const captured: Buffer[] = [];
    g.gw.client.on('message', (t, p) => {
      if (t === topic) captured.push(Buffer.from(p));
    });
    await g.gw.client.subscribeAsync(topic);
    let s = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: 'aa' });
    await pda.waitFor('data', 10_000, s);
    await expect.poll(() => captured.length).toBeGreaterThan(0);
    const cellSize = g.gw.core.config.cellSize;
    const hostile = [captured[0], randomBytes(cellSize), randomBytes(10), Buffer.concat([captured[0], Buffer.from([1])]), Buffer.alloc(cellSize)];
    s = pda.events.length;
    for (const h of hostile) await g.gw.client.publishAsync(topic, h);
    await expect.poll(() => pda.events.slice(s).filter((e) => e.ev === 'rejected').length).toBe(hostile.length);
    const reasons = pda.events.slice(s).filter((e) => e.ev === 'rejected').map((e) => e.reason);
    expect(reasons).toContain('replay');
    expect(pda.firmware.session.state).toBe('in_session');
    s = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: 'bb' });
    expect((await pda.waitFor('data', 10_000, s)).payload).toBe('bb');
    await g.gw.client.unsubscribeAsync(topic);
    await endSession(pda);
  });

  it('rejects bad console commands with an error event and keeps running', async () => {
    const pda = make();
    pda.firmware.cmd('not json');
    pda.cmd({ cmd: 'config', brokerPort: 70000 });
    pda.cmd({ cmd: 'pin', mssId: 'doug', key: 'zz' });
    pda.cmd({ cmd: 'send', channel: 0, payload: 'aa' });
    pda.cmd({ cmd: 'fly' });
    const errs = pda.events.filter((e) => e.ev === 'error').map((e) => e.code);
    expect(errs).toEqual(['bad_command', 'command_failed', 'command_failed', 'command_failed', 'command_failed']);
    pda.cmd({ cmd: 'status' });
    const st = pda.events.find((e) => e.ev === 'status')!;
    expect(st.state).toBe('off');
    expect(st.mac).toBe(formatMac(pda.nic.burnedIn).replace(/:/g, '')); // untouched before a session
  });
});

describe('the MSS ends sessions', () => {
  it('absolute session limit: the PDA gets BYE and wipes itself', async () => {
    const short = await startGateway({ config: { maxSessionSec: 1 } });
    const pda = pdaFor(short.gw, BUNDLE);
    try {
      await joinSession(pda);
      const bye = await pda.waitFor('bye', 10_000);
      expect(bye.reason).toBe(2);
      expect((await pda.waitFor('wiped', 10_000)).ok).toBe(true);
      expect(short.gw.core.sessions.size).toBe(0);
    } finally {
      pda.powerOff();
      await short.stop();
    }
  });

  it('MSS shutdown: every PDA is told and wipes itself', async () => {
    const own = await startGateway();
    const ps = [pdaFor(own.gw, BUNDLE), pdaFor(own.gw, BUNDLE)];
    try {
      for (const p of ps) await joinSession(p);
      await own.stop();
      for (const p of ps) {
        expect((await p.waitFor('bye', 10_000)).reason).toBe(4);
        expect((await p.waitFor('wiped', 10_000)).ok).toBe(true);
      }
    } finally {
      for (const p of ps) p.powerOff();
    }
  });
});
