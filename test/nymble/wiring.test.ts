/**
 * Extended Nymble wired through real parts: `hood nymble serve` (PM + NM over HTTP on loopback, the
 * bank's SQLite ledger checking account tokens), MSS cores whose NymbleService gets linking tokens by
 * polling that service, a laptop fetching credentials with Bob's account token, `hood mss complain`
 * from the MSS's session record on disk, and a gateway started with `nymble` that ends a session
 * presenting no ticket with BYE 0x30.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MSG_DATA } from '../../shared/src/protocol/constants';
import { BYE_NYMBLE, CHANNEL_NYMBLE, CHANNEL_NYMBLE_ANSWER, NYMBLE_OK, NYMBLE_STATUS, decodeNymbleAnswer } from '../../shared/src/nymble/channel';
import { createAccount } from '../../host/bank/accounts';
import { SqliteLedgerStore } from '../../host/bank/ledger/sqlite';
import { LEDGER_FILE } from '../../host/bank/service';
import { silentLogger } from '../../host/common/log';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { startMss } from '../../host/mss/start';
import { complainAboutSession } from '../../host/nymble/complain';
import { complainAsRecipient } from '../../host/nymble/complaint-desk';
import { NYMBLE_HTTP_PREFIX } from '../../host/nymble/http-service';
import { setupNymbleAtMss, type NymbleAtMss } from '../../host/nymble/mss-setup';
import { NmClient } from '../../host/nymble/nm-client';
import { nymbleLoadCommand } from '../../host/nymble/pda-load';
import type { Credential } from '../../host/nymble/nymble-manager';
import { hex } from '../../host/nymble/primitives';
import { startNymble, type RunningNymble } from '../../host/nymble/serve';
import { epochAt } from '../../host/nymble/time';
import { BUNDLE } from '../helpers/gateway';
import { RefPda, makeCore, type CoreFixture } from '../helpers/mss-fixture';
import { removeTestDir, testDir } from '../helpers/temp-dir';

const TIME = { periodMs: 60_000, periodsPerWindow: 10 };
const clock = { t: 1_700_000_000_000 };
let dir: string;
let bank: SqliteLedgerStore;
let nym: RunningNymble;
let client: NmClient;
const stops: (() => unknown)[] = [];

beforeAll(async () => {
  dir = testDir('hood-nymble-wiring-');
  // The bank's ledger file as `hood bank` keeps it: the PM checks account tokens there.
  bank = new SqliteLedgerStore(join(dir, 'bank', LEDGER_FILE));
  nym = await startNymble({ dataDir: join(dir, 'nymble'), bankDataDir: join(dir, 'bank'), listen: { host: '127.0.0.1', port: 0 }, time: TIME, log: silentLogger(), now: () => clock.t });
  client = new NmClient(nym.url);
});
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  await nym.close();
  await bank.close();
  removeTestDir(dir);
});

function keyFile(sid: string): string {
  const f = join(dir, sid + '.nymble-key');
  writeFileSync(f, hex(nym.nm.registerMss(sid)) + '\n', { mode: 0o600 });
  return f;
}

interface Mss {
  f: CoreFixture;
  n: NymbleAtMss;
  dataDir: string;
}

async function mss(sid: string, desk = false): Promise<Mss> {
  const f = makeCore({ mssId: sid, idleTimeoutSec: 100000, maxSessionSec: 100000 });
  f.clock.t = clock.t;
  const dataDir = join(dir, 'mss-' + sid);
  const n = await setupNymbleAtMss({ nmUrl: nym.url, keyFile: keyFile(sid), dataDir, sid, log: silentLogger(), graceMs: 5000, now: () => f.clock.t, pollMs: 60_000, complaintsListen: desk ? { host: '127.0.0.1', port: 0 } : undefined });
  stops.push(() => n.stop());
  f.core.addService(n.service);
  return { f, n, dataDir };
}

function joinCore(f: CoreFixture): { p: RefPda; tmpId: string } {
  const p = new RefPda(f);
  const r = f.core.handleUp(p.joinCell());
  expect(r.ok).toBe(true);
  p.inbox();
  return { p, tmpId: (r as { tmpId: string }).tmpId };
}

function present(f: CoreFixture, p: RefPda, ticket: Uint8Array) {
  f.core.handleUp(p.cell({ type: MSG_DATA, channel: CHANNEL_NYMBLE, payload: ticket }));
  const answers = p.inbox().filter((m) => m.type === MSG_DATA && m.channel === CHANNEL_NYMBLE_ANSWER);
  expect(answers).toHaveLength(1);
  return decodeNymbleAnswer((answers[0] as { payload: Uint8Array }).payload);
}

const ticketFor = (c: Credential, t: number) => c.tickets[t - c.firstPeriod];

describe('Nymble as services: NM over HTTP, MSS polling, complaint by TmpId', () => {
  it('blocks a complained-about user at both MSSs while another user is unaffected', async () => {
    const doug = await mss('doug');
    const erin = await mss('erin');
    const now = epochAt(TIME, clock.t);
    const bobToken = (await createAccount(bank, 'bob', clock.t)).token;
    const carolToken = (await createAccount(bank, 'carol', clock.t)).token;

    // The laptop: pseudonym with the account token, then credentials (anonymous) per MSS.
    await expect(client.pseudonym('not-a-token')).rejects.toMatchObject({ reason: 'unknown_resource' });
    const bobP = await client.pseudonym(bobToken);
    expect(bobP.w).toBe(now.w);
    const bobDoug = await client.credential(bobP, 'doug');
    const carolDoug = await client.credential(await client.pseudonym(carolToken), 'doug');
    await expect(client.credential({ ...bobP, mac: new Uint8Array(32) }, 'doug')).rejects.toMatchObject({ reason: 'forged' });
    await expect(client.credential(bobP, 'nobody')).rejects.toMatchObject({ reason: 'unknown_mss' });
    expect(await client.rating(bobToken)).toBe(10);

    const s1 = joinCore(doug.f);
    expect(present(doug.f, s1.p, ticketFor(bobDoug, now.t)).status).toBe(NYMBLE_OK);

    // Linking tokens and complaints need the MSS's key.
    await expect(client.linkingTokens('doug', new Uint8Array(32), 0)).rejects.toMatchObject({ reason: 'forged' });
    await expect(client.complain('doug', new Uint8Array(32), ticketFor(bobDoug, now.t))).rejects.toMatchObject({ reason: 'forged' });

    // `hood mss complain --tmpid`: from the session record on disk, through the NM.
    const common = { dataDir: doug.dataDir, sid: 'doug', nmUrl: nym.url, keyFile: join(dir, 'doug.nymble-key'), now: clock.t };
    await expect(complainAboutSession({ ...common, tmpId: 'aaaa' })).rejects.toMatchObject({ reason: 'wrong_window' });
    await expect(complainAboutSession({ ...common, tmpId: 'NOT/A/TMPID' })).rejects.toMatchObject({ reason: 'malformed' });
    const r = await complainAboutSession({ ...common, tmpId: s1.tmpId });
    expect(r.linkedFrom).toEqual(now);
    expect(await client.rating(bobToken)).toBe(9);

    // Next period: both MSSs have polled; Bob is refused at Doug and at Erin, Carol is served.
    clock.t += TIME.periodMs;
    doug.f.clock.t = erin.f.clock.t = clock.t;
    await doug.n.poll();
    await erin.n.poll();
    const next = epochAt(TIME, clock.t);
    expect(present(doug.f, joinCore(doug.f).p, ticketFor(bobDoug, next.t)).status).toBe(NYMBLE_STATUS.linked);
    const bobErin = await client.credential(await client.pseudonym(bobToken), 'erin');
    expect(present(erin.f, joinCore(erin.f).p, ticketFor(bobErin, next.t)).status).toBe(NYMBLE_STATUS.linked);
    expect(present(doug.f, joinCore(doug.f).p, ticketFor(carolDoug, next.t)).status).toBe(NYMBLE_OK);
  });

  it('a recipient complains by the reply address at the MSS that delivered the mail', async () => {
    const fred = await mss('fred', true);
    const deskUrl = fred.n.desk!.url;
    const now = epochAt(TIME, clock.t);
    const daveToken = (await createAccount(bank, 'dave', clock.t)).token;
    const dave = await client.credential(await client.pseudonym(daveToken), 'fred');
    const s = joinCore(fred.f);
    expect(present(fred.f, s.p, ticketFor(dave, now.t)).status).toBe(NYMBLE_OK);
    await expect(complainAsRecipient(deskUrl, 'not an address')).rejects.toThrow(/TmpId/);
    await expect(complainAsRecipient(deskUrl, 'zzzz@fred.example')).rejects.toThrow(/no session/);
    const r = await complainAsRecipient(deskUrl, s.tmpId + '@fred.example');
    expect(r).toEqual({ tmpId: s.tmpId, linkedFrom: now });
    expect(await client.rating(daveToken)).toBe(9);
    // Raw junk at the desk: 4xx, never a crash.
    for (const body of ['', '{', '{"tmpId":1}', '{"tmpId":"A"}', 'x'.repeat(5000)]) {
      const res = await fetch(deskUrl + '/complaint', { method: 'POST', body });
      expect(res.status).toBe(400);
    }
    await fred.n.poll();
    expect(fred.n.server.linkedEntries).toBeGreaterThan(0);
  });

  it('refuses to start without the bank ledger (a mistyped directory is not an empty bank)', async () => {
    await expect(startNymble({ dataDir: join(dir, 'nymble2'), bankDataDir: join(dir, 'no-bank'), listen: { host: '127.0.0.1', port: 0 }, time: TIME, log: silentLogger() })).rejects.toThrow(/no bank ledger/);
  });

  it('answers any malformed request with a 4xx and a reason, never a 5xx (random bodies, paths, tokens)', async () => {
    const key = nym.nm.registerMss('fuzz');
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/pseudonym', '/credential', '/complaint/fuzz', '/complaint/nobody', '/linking-tokens/fuzz', '/blacklist/%00', '/rating', '/x'),
        fc.oneof(fc.string({ maxLength: 200 }), fc.json().map((j) => j), fc.record({ nym: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), maxLength: 600 }), w: fc.integer(), mac: fc.string(), sid: fc.string(), ticket: fc.string({ unit: fc.constantFrom(...'0123456789abcdef'.split('')), maxLength: 600 }) }).map((o) => JSON.stringify(o))),
        fc.option(fc.string({ maxLength: 80 })),
        async (path, body, auth) => {
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (auth !== null && /^[\x21-\x7e ]*$/.test(auth)) headers.authorization = 'Bearer ' + auth;
          const res = await fetch(nym.url + NYMBLE_HTTP_PREFIX + path, { method: 'POST', headers, body });
          const j = (await res.json()) as { error?: string };
          expect(res.status).toBeGreaterThanOrEqual(400);
          expect(res.status).toBeLessThan(500);
          expect(typeof j.error).toBe('string');
        },
      ),
      { numRuns: 300 },
    );
    // Still serving afterwards, and nothing was linked at the fuzz MSS.
    expect(await new NmClient(nym.url).linkingTokens('fuzz', key, 0)).toEqual([]);
  });
});

describe('a gateway started with nymble and PDAs carrying credentials', () => {
  // The gateway runs on the wall clock, so this NM does too; an hour-long period keeps a test run
  // inside one period (it waits out the last minute of a period rather than straddle it).
  const RT = { periodMs: 3_600_000, periodsPerWindow: 24 };
  let rt: RunningNymble;
  let running: Awaited<ReturnType<typeof startMss>>;
  const pdas: EmuPda[] = [];

  beforeAll(async () => {
    const left = RT.periodMs - (Date.now() % RT.periodMs);
    if (left < 60_000) await new Promise((r) => setTimeout(r, left + 100));
    rt = await startNymble({ dataDir: join(dir, 'nymble-rt'), bankDataDir: join(dir, 'bank'), listen: { host: '127.0.0.1', port: 0 }, time: RT, log: silentLogger() });
    const kf = join(dir, 'gw.nymble-key');
    writeFileSync(kf, hex(rt.nm.registerMss('gw')) + '\n', { mode: 0o600 });
    running = await startMss({
      dataDir: join(dir, 'gw'),
      log: silentLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      tickMs: 200,
      payment: false,
      mail: false,
      config: { mssId: 'gw' },
      nymble: { nmUrl: rt.url, keyFile: kf, graceMs: 1500, pollMs: 60_000 },
    });
  }, 90_000);
  afterAll(async () => {
    for (const p of pdas) p.powerOff();
    await running?.stop();
    await rt?.close();
  });

  async function pdaWithCredential(name: string): Promise<EmuPda> {
    const pda = pdaFor(running.gw, BUNDLE);
    pdas.push(pda);
    const token = (await createAccount(bank, name, Date.now())).token;
    const since = pda.events.length;
    pda.cmd(await nymbleLoadCommand({ nmUrl: rt.url, accountToken: token, sid: 'gw' }) as unknown as Record<string, unknown>);
    expect((await pda.waitFor('nymble.loaded', 5000, since)).sid).toBe('gw');
    return pda;
  }

  /** Join, and wait for what the PDA decided about presenting and, if it presented, the MSS's answer. */
  async function session(pda: EmuPda) {
    const since = pda.events.length;
    await joinSession(pda);
    const decided = await pda.waitFor((e) => e.ev === 'nymble' && (e.step === 'presented' || e.step === 'not_presented'), 10_000, since);
    const answer = decided.step === 'presented' ? await pda.waitFor((e) => e.ev === 'nymble' && (e.step === 'accepted' || e.step === 'refused'), 10_000, since) : null;
    return { since, decided, answer };
  }

  it('admits a session whose PDA presents its ticket, and keeps it past the grace time', async () => {
    const pda = await pdaWithCredential('gw-bob');
    const s = await session(pda);
    expect(s.decided).toMatchObject({ step: 'presented', sid: 'gw' });
    expect(s.answer).toMatchObject({ step: 'accepted', status: NYMBLE_OK });
    await new Promise((r) => setTimeout(r, 2500));
    expect(pda.events.slice(s.since).some((e) => e.ev === 'bye')).toBe(false);
    await endSession(pda);
  });

  it('a PDA without a credential presents nothing, says so, and is ended with BYE 0x30', async () => {
    const pda = pdaFor(running.gw, BUNDLE);
    pdas.push(pda);
    const s = await session(pda);
    expect(s.decided).toMatchObject({ step: 'not_presented', reason: 'no_credential' });
    expect((await pda.waitFor('bye', 15_000, s.since)).reason).toBe(BYE_NYMBLE);
  });

  it('a complained-about PDA learns it is blacklisted before presenting and presents nothing; another PDA is unaffected; a replayed ticket is refused', async () => {
    const bob = await pdaWithCredential('gw-bob2');
    const carol = await pdaWithCredential('gw-carol');
    const s1 = await session(bob);
    expect(s1.answer).toMatchObject({ step: 'accepted' });
    const tmpId = (await bob.waitFor('joined', 1000, s1.since)).tmpId as string;
    await endSession(bob);
    await complainAboutSession({ dataDir: join(dir, 'gw'), sid: 'gw', nmUrl: rt.url, keyFile: join(dir, 'gw.nymble-key'), now: Date.now(), tmpId });
    await running.nymble!.poll();

    const s2 = await session(bob);
    expect(s2.decided).toMatchObject({ step: 'not_presented', reason: 'blacklisted' });
    expect(String(s2.decided.text)).toMatch(/blacklisted at gw/);
    // Notified before any ticket left the PDA: no ticket was presented in this session.
    expect(bob.events.slice(s2.since).some((e) => e.ev === 'nymble' && e.step === 'presented')).toBe(false);
    expect((await bob.waitFor('bye', 15_000, s2.since)).reason).toBe(BYE_NYMBLE);

    const c1 = await session(carol);
    expect(c1.answer).toMatchObject({ step: 'accepted' });
    await endSession(carol);
    // Same period, same MSS: the PDA presents the same ticket again and the MSS refuses the replay.
    const c2 = await session(carol);
    expect(c2.decided).toMatchObject({ step: 'presented' });
    expect(c2.answer).toMatchObject({ step: 'refused', status: NYMBLE_STATUS.replayed });
    expect((await carol.waitFor('bye', 15_000, c2.since)).reason).toBe(BYE_NYMBLE);
  }, 90_000);
});
