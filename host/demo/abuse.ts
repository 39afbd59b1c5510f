/**
 * `hood demo --abuse`: Extended Nymble end to end, in-process. Two MSSs (doug, erin) ask every session
 * for a ticket; Bob's and Carol's emulated PDAs carry credentials their laptops fetched with their
 * bank account tokens. Bob visits both (his tickets there share nothing: unlinkable), Doug complains
 * about Bob's session by its TmpId, and then Bob's PDA, told by the signed blacklist before it shows a
 * ticket, presents nothing at either MSS (Extended Nymble §2.7, §5), while Carol is served at both.
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { decodeTicket } from '../../shared/src/nymble/ticket';
import { createAccount } from '../bank/accounts';
import { SqliteLedgerStore } from '../bank/ledger/sqlite';
import { LEDGER_FILE } from '../bank/service';
import { ensureFirmware } from '../build/firmware';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { startMss } from '../mss/start';
import { complainAboutSession } from '../nymble/complain';
import { NmClient } from '../nymble/nm-client';
import { nymbleLoadCommand } from '../nymble/pda-load';
import { hex } from '../nymble/primitives';
import { startNymble } from '../nymble/serve';
import { endSession, joinSession, pdaFor } from './emu-session';

export interface AbuseResult {
  ok: boolean;
  nymble: {
    blockedSameMss: boolean;
    blockedOtherMss: boolean;
    othersUnaffected: boolean;
    notifiedBeforeJoin: boolean;
    ratingBefore: number;
    ratingAfter: number;
    unlinkableBeforeComplaint: boolean;
  };
}

/** One hour per period: the demo's sessions fall in one period, as the replay rule needs (§2.6). */
const TIME = { periodMs: 3_600_000, periodsPerWindow: 24 };

interface Visit {
  decided: string;
  reason: string;
  answer: string;
  tmpId: string;
}

async function visit(pda: EmuPda): Promise<Visit> {
  const since = pda.events.length;
  const joined = await joinSession(pda);
  const d = await pda.waitFor((e) => e.ev === 'nymble' && (e.step === 'presented' || e.step === 'not_presented'), 10_000, since);
  let answer = '';
  if (d.step === 'presented') {
    answer = String((await pda.waitFor((e) => e.ev === 'nymble' && (e.step === 'accepted' || e.step === 'refused'), 10_000, since)).step);
    await endSession(pda);
  } else {
    // Nothing presented: the MSS ends the session after its grace time (BYE 0x30).
    await pda.waitFor('wiped', 20_000, since);
  }
  return { decided: String(d.step), reason: String(d.reason || ''), answer, tmpId: String(joined.tmpId) };
}

/**
 * The demo's sessions, complaint and blacklist refresh must fall in one period (the MSS refreshes its
 * list by polling, and a list of the previous period is stale to the PDA). A run takes seconds: when
 * fewer than PERIOD_MARGIN_MS of the current period are left, start in the next one instead.
 */
const PERIOD_MARGIN_MS = 45_000;

async function awaitRoomInPeriod(now: () => number = Date.now): Promise<void> {
  const left = TIME.periodMs - (now() % TIME.periodMs);
  if (left < PERIOD_MARGIN_MS) await new Promise((r) => setTimeout(r, left + 100));
}

export async function runAbuseDemo(): Promise<AbuseResult> {
  await awaitRoomInPeriod();
  const { outFile } = await ensureFirmware();
  const dir = makeTempDir('hood-abuse-');
  const stops: (() => Promise<unknown> | unknown)[] = [];
  try {
    const bank = new SqliteLedgerStore(join(dir, 'bank', LEDGER_FILE));
    stops.push(() => bank.close());
    const nym = await startNymble({ dataDir: join(dir, 'nymble'), bankDataDir: join(dir, 'bank'), listen: { host: '127.0.0.1', port: 0 }, time: TIME, log: silentLogger() });
    stops.push(() => nym.close());
    const gws: Record<string, Awaited<ReturnType<typeof startMss>>> = {};
    for (const sid of ['doug', 'erin']) {
      const keyFile = join(dir, sid + '.nymble-key');
      writeFileSync(keyFile, hex(nym.nm.registerMss(sid)) + '\n', { mode: 0o600 });
      const m = await startMss({ dataDir: join(dir, sid), log: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, tickMs: 200, payment: false, mail: false, config: { mssId: sid }, nymble: { nmUrl: nym.url, keyFile, graceMs: 1500, pollMs: 60_000 } });
      stops.push(() => m.stop());
      gws[sid] = m;
    }
    const client = new NmClient(nym.url);
    const now = Date.now();
    const bobToken = (await createAccount(bank, 'bob', now)).token;
    const carolToken = (await createAccount(bank, 'carol', now)).token;
    // One emulated PDA per (person, MSS): each is pointed at one gateway's broker; the credentials
    // loaded are those a laptop fetched for that MSS.
    const pdas: Record<string, EmuPda> = {};
    const tickets: Record<string, string> = {};
    for (const [who, token] of [['bob', bobToken], ['carol', carolToken]] as const) {
      for (const sid of ['doug', 'erin']) {
        const pda = pdaFor(gws[sid].gw, outFile);
        stops.push(() => pda.powerOff());
        const load = await nymbleLoadCommand({ nmUrl: nym.url, accountToken: token, sid });
        const since = pda.events.length;
        pda.cmd(load as unknown as Record<string, unknown>);
        await pda.waitFor('nymble.loaded', 5000, since);
        pdas[who + '@' + sid] = pda;
        tickets[who + '@' + sid] = load.credential.tickets[0];
      }
    }
    const ratingBefore = await client.rating(bobToken);
    const bobDoug = await visit(pdas['bob@doug']);
    const bobErin = await visit(pdas['bob@erin']);
    const nd = decodeTicket(Buffer.from(tickets['bob@doug'], 'hex'));
    const ne = decodeTicket(Buffer.from(tickets['bob@erin'], 'hex'));
    const unlinkable = bobDoug.answer === 'accepted' && bobErin.answer === 'accepted' && hex(nd.nymble) !== hex(ne.nymble) && hex(nd.ctxt) !== hex(ne.ctxt);

    await complainAboutSession({ dataDir: join(dir, 'doug'), sid: 'doug', nmUrl: nym.url, keyFile: join(dir, 'doug.nymble-key'), now: Date.now(), tmpId: bobDoug.tmpId });
    await gws.doug.nymble!.poll();
    await gws.erin.nymble!.poll();
    const ratingAfter = await client.rating(bobToken);

    const againDoug = await visit(pdas['bob@doug']);
    const againErin = await visit(pdas['bob@erin']);
    const carolDoug = await visit(pdas['carol@doug']);
    const carolErin = await visit(pdas['carol@erin']);
    const nymble = {
      blockedSameMss: againDoug.decided === 'not_presented' && againDoug.reason === 'blacklisted',
      blockedOtherMss: againErin.decided === 'not_presented' && againErin.reason === 'blacklisted',
      othersUnaffected: carolDoug.answer === 'accepted' && carolErin.answer === 'accepted',
      // The refusal came from the PDA's own check: it presented nothing in either session.
      notifiedBeforeJoin: againDoug.decided === 'not_presented' && againErin.decided === 'not_presented',
      ratingBefore,
      ratingAfter,
      unlinkableBeforeComplaint: unlinkable,
    };
    const ok = nymble.blockedSameMss && nymble.blockedOtherMss && nymble.othersUnaffected && nymble.notifiedBeforeJoin && ratingAfter < ratingBefore && unlinkable;
    return { ok, nymble };
  } finally {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch {
        /* keep closing the rest */
      }
    }
    removeTempDir(dir);
  }
}
