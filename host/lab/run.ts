/**
 * `hood lab run`: bring the testbed up, run S sessions on each of N PDAs (all PDAs at once, each PDA's
 * sessions one after another), capture the bridge, tear everything down. Each anonymous session is
 * start -> joined -> one echo DATA round trip -> end -> wiped; with `homeFirst` each PDA first spends a
 * session in home mode (paper §2.4) and then switches to anonymous mode.
 *
 * With `mail` each anonymous session sends Alice one mail instead of the echo (start -> joined -> mail.send ->
 * mail.sent -> end -> wiped), the MSS delivers to a maildir, through its exponential mix when `mix` is on, and
 * the run ends with the timing attack of paper §6.1 on its own capture (host/audit/timing.ts).
 *
 * With `mss: 2` and `handoff` there are two MSSs of one federation, each on its own air, and every session
 * starts at the first and is handed off to the second (paper §6.3, host/lab/handoff.ts); the run ends by
 * auditing both airs' captures together.
 */
import { join } from 'node:path';
import { CHANNEL_ECHO } from '../../shared/src/protocol/constants';
import type { LeakKind } from '../../boards/netns/leaks';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { readCapture } from '../audit/tshark';
import { readMaildirMails, timingAttack, uplinkCells, type OutgoingMail } from '../audit/timing';
import { generateKey } from '../recipient/keys';
import { Testbed, type LabPda, type SetupStep } from './testbed';
import { sitePcap } from './federation';
import { auditBothAirs, handoffSession, summarizeHandoffs, type HandoffRecord, type HandoffSummary, type TwoAirAudit } from './handoff';

export interface LabRunOptions {
  pdas: number;
  sessions: number;
  pcap?: string;
  leaks?: { [pda: number]: LeakKind[] };
  homeFirst?: boolean;
  bundlePath?: string;
  failAfter?: SetupStep;
  log?: (s: string) => void;
  onPrefix?: (prefix: string) => void;
  sessionTimeoutMs?: number;
  /**
   * Each anonymous session mails Alice; `mix` on puts the MSS's exponential mix in the way. Sessions start as
   * a Poisson stream, one every `gapSec` on average over all PDAs (default LAB_MAIL_GAP_SEC).
   */
  mail?: { mix: boolean; mixMeanDelaySec?: number; gapSec?: number };
  /** 1 (default) or 2 MSSs; two only with `handoff`. */
  mss?: number;
  /** Every session starts at the first MSS and is handed off to the second (needs `mss: 2`). */
  handoff?: boolean;
}

/** What the lab measured about its mail, and the timing attack on its own capture. */
export interface LabMailResult {
  sent: number;
  released: number;
  mixMeanDelaySec: number;
  /** Mails handed to the MSS per second while the PDAs were sending (the mix's input rate λ). */
  lambdaPerSec: number;
  waitedMs: number;
}

export interface LabAttack {
  mails: number;
  rank1Rate: number | null;
  meanEntropyBits: number;
  theoryBits?: number;
}

export const ALICE = 'alice@example.org';
/**
 * Mean seconds between two mails of the whole lab. Sessions start as a Poisson stream (each PDA waits an
 * exponential time before each session), the input Danezis's analysis assumes; 4 s is well above the MSS's
 * relay latency measured here (0.2–0.8 s from the last fragment to the maildir on a loaded 2-core machine).
 */
export const LAB_MAIL_GAP_SEC = 4;
/** `--mix on` sets the mean delay so that about this many mails enter the mix per mean delay (λ·delay). */
export const MIX_LOAD = 4;
/** A mail is at least two cells on the air (drop-box registration, one fragment); the attacker knows it. */
export const MAIL_MIN_CELLS = 2;
/** Fragments go out back to back; the BYE, a JOIN or a payment comes later and alone. */
export const MAIL_BURST_GAP_SEC = 0.25;

/** The mean delay `--mix on` uses, from the lab's own send rate: λ·delay = MIX_LOAD. */
export function labMixMeanDelay(gapSec: number): number {
  return Math.min(600, Math.max(2, Math.round(MIX_LOAD * gapSec)));
}

/** An exponential wait (a Poisson stream's gap); lab scheduling only, so Math.random is enough. */
function expWait(meanSec: number): Promise<void> {
  return new Promise((r) => setTimeout(r, -Math.log(1 - Math.random()) * meanSec * 1000));
}

export interface SessionRecord {
  pda: number;
  n: number;
  mode: 'anonymous' | 'home';
  /** From the firmware's own events (ground truth to compare the capture with). */
  mac: string;
  clientId: string;
  tmpId?: string;
  joinMs?: number;
  ms: number;
}

export interface LabRunResult {
  prefix: string;
  pdas: { index: number; burnedIn: string; leaks: LeakKind[] }[];
  homeIds: string[];
  sessions: SessionRecord[];
  pcap?: string;
  ms: number;
  /** Namespaces of this run still present after teardown (must be empty). */
  leftover: string[];
  mail?: LabMailResult;
  attack?: LabAttack;
  /** With `handoff`: each hand-off, and the audit of both airs' captures together. */
  handoff?: HandoffSummary;
  audit?: TwoAirAudit;
  /** With `handoff` and `pcap`: the capture of each air (the first MSS's first). */
  pcaps?: string[];
}

/** The option combinations runLab accepts; a message naming the problem otherwise. */
export function checkLabOptions(o: Pick<LabRunOptions, 'mss' | 'handoff' | 'mail' | 'homeFirst'>): string | null {
  const mss = o.mss ?? 1;
  if (mss !== 1 && mss !== 2) return 'mss must be 1 or 2';
  if (o.handoff && mss !== 2) return 'hand-off needs two MSSs (--mss 2)';
  if (mss === 2 && !o.handoff) return 'two MSSs are used for hand-off only: add --handoff';
  if (o.handoff && o.mail) return 'hand-off does not combine with mail';
  if (o.handoff && o.homeFirst) return 'hand-off does not combine with home-first';
  return null;
}

async function anonymousSession(p: LabPda, n: number, timeoutMs: number): Promise<SessionRecord> {
  const t0 = Date.now();
  let since = p.events.length;
  p.cmd({ cmd: 'start' });
  const j = await p.waitFor((e) => e.ev === 'joined' || e.ev === 'wiped' || e.ev === 'error', timeoutMs, since);
  if (j.ev !== 'joined') throw new Error('pda' + p.index + ' session ' + n + ' did not join: ' + JSON.stringify(j));
  const conn = p.events.slice(since).find((e) => e.ev === 'connected')!;
  since = p.events.length;
  p.cmd({ cmd: 'send', channel: CHANNEL_ECHO, payload: '68656c6c6f' });
  await p.waitFor((e) => e.ev === 'data' && e.payload === '68656c6c6f', timeoutMs, since);
  since = p.events.length;
  p.cmd({ cmd: 'end' });
  const w = await p.waitFor((e) => e.ev === 'wiped', timeoutMs, since);
  if (!w.ok) throw new Error('pda' + p.index + ' session ' + n + ' not wiped cleanly');
  return { pda: p.index, n, mode: 'anonymous', mac: j.tmpMac, clientId: conn.clientId, tmpId: j.tmpId, joinMs: j.joinMs, ms: Date.now() - t0 };
}

async function mailSession(p: LabPda, n: number, timeoutMs: number, recipient: string, sentAt: number[]): Promise<SessionRecord> {
  const t0 = Date.now();
  let since = p.events.length;
  p.cmd({ cmd: 'start' });
  const j = await p.waitFor((e) => e.ev === 'joined' || e.ev === 'wiped' || e.ev === 'error', timeoutMs, since);
  if (j.ev !== 'joined') throw new Error('pda' + p.index + ' session ' + n + ' did not join: ' + JSON.stringify(j));
  const conn = p.events.slice(since).find((e) => e.ev === 'connected')!;
  since = p.events.length;
  p.cmd({ cmd: 'mail.send', to: ALICE, recipient, subject: 'lab', body: 'A message from a lab PDA.' });
  const s = await p.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error' || e.ev === 'error', timeoutMs, since);
  if (s.ev !== 'mail.sent' || !s.ok) throw new Error('pda' + p.index + ' session ' + n + ' mail not accepted: ' + JSON.stringify(s));
  sentAt.push(Date.now() / 1000);
  since = p.events.length;
  p.cmd({ cmd: 'end' });
  const w = await p.waitFor((e) => e.ev === 'wiped', timeoutMs, since);
  if (!w.ok) throw new Error('pda' + p.index + ' session ' + n + ' not wiped cleanly');
  return { pda: p.index, n, mode: 'anonymous', mac: j.tmpMac, clientId: conn.clientId, tmpId: j.tmpId, joinMs: j.joinMs, ms: Date.now() - t0 };
}

/** Wait until the maildir holds `count` mails to Alice (the mix released them all), at most `maxMs`. */
async function waitReleased(maildir: string, count: number, maxMs: number): Promise<OutgoingMail[]> {
  const until = Date.now() + maxMs;
  for (;;) {
    const mails = readMaildirMails(maildir).filter((m) => m.to.includes(ALICE));
    if (mails.length >= count || Date.now() > until) return mails;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function setMode(p: LabPda, mode: 'home' | 'anonymous', timeoutMs: number): Promise<void> {
  const since = p.events.length;
  p.cmd({ cmd: 'mode', mode });
  const e = await p.waitFor((x) => (x.ev === 'mode' && x.mode === mode) || x.ev === 'error', timeoutMs, since);
  if (e.ev !== 'mode') throw new Error('pda' + p.index + ': mode ' + mode + ' refused: ' + JSON.stringify(e));
}

async function homeSession(p: LabPda, n: number, timeoutMs: number): Promise<SessionRecord> {
  const t0 = Date.now();
  await setMode(p, 'home', timeoutMs);
  let since = p.events.length;
  p.cmd({ cmd: 'start' });
  const h = await p.waitFor((e) => (e.ev === 'home' && e.state === 'connected') || e.ev === 'error', timeoutMs, since);
  if (h.ev !== 'home') throw new Error('pda' + p.index + ' home link failed: ' + JSON.stringify(h));
  since = p.events.length;
  p.cmd({ cmd: 'end' });
  await p.waitFor((e) => e.ev === 'home' && e.state === 'off', timeoutMs, since);
  await setMode(p, 'anonymous', timeoutMs);
  return { pda: p.index, n, mode: 'home', mac: h.mac, clientId: h.clientId, ms: Date.now() - t0 };
}

export async function runLab(o: LabRunOptions): Promise<LabRunResult> {
  if (!(o.sessions >= 1 && o.sessions <= 100 && o.sessions % 1 === 0)) throw new Error('sessions must be 1..100');
  const bad = checkLabOptions(o);
  if (bad) throw new Error(bad);
  const t0 = Date.now();
  const timeoutMs = o.sessionTimeoutMs ?? 30_000;
  const gapSec = o.mail?.gapSec ?? LAB_MAIL_GAP_SEC;
  if (!(gapSec > 0 && gapSec <= 3600)) throw new Error('mail gap must be 0..3600 s');
  const mixDelay = o.mail ? (o.mail.mix ? (o.mail.mixMeanDelaySec ?? labMixMeanDelay(gapSec)) : 0) : 0;
  // The attack and the two-air audit need the captures: private ones when the caller asked for none.
  const attackDir = (o.mail || o.handoff) && !o.pcap ? makeTempDir(o.handoff ? 'hood-labair-' : 'hood-labattack-') : null;
  const pcap = attackDir ? join(attackDir, 'air.pcap') : o.pcap;
  let tb: Testbed;
  try {
    tb = await Testbed.up({
      pdas: o.pdas, pcap, leaks: o.leaks, bundlePath: o.bundlePath, failAfter: o.failAfter, log: o.log, onPrefix: o.onPrefix,
      mail: o.mail ? { mixMeanDelaySec: mixDelay } : undefined,
      mss: o.mss,
    });
  } catch (e) {
    if (attackDir) removeTempDir(attackDir);
    throw e;
  }
  const sessions: SessionRecord[] = [];
  const homeIds: string[] = [];
  let leftover: string[] = [];
  const recipient = o.mail ? generateKey().recipient : '';
  const sentAt: number[] = [];
  let mails: OutgoingMail[] = [];
  let mail: LabMailResult | undefined;
  let attack: LabAttack | undefined;
  const moves: HandoffRecord[] = [];
  let audit: TwoAirAudit | undefined;
  try {
    await Promise.all(
      tb.pdas.map(async (p) => {
        let n = 0;
        if (o.homeFirst) {
          const h = await homeSession(p, n++, timeoutMs);
          sessions.push(h);
          const hello = p.events.find((e) => e.ev === 'home' && e.state === 'connected')!;
          homeIds.push(hello.hostname, hello.clientId);
        }
        for (let i = 0; i < o.sessions; i++) {
          if (o.handoff) {
            const h = await handoffSession(tb, p, n++, timeoutMs);
            moves.push(h);
            sessions.push({ pda: p.index, n: h.n, mode: 'anonymous', mac: h.macFrom, clientId: h.clientIdFrom, tmpId: h.tmpId, ms: h.ms });
            continue;
          }
          if (o.mail) await expWait(gapSec * tb.pdas.length);
          const r = o.mail ? await mailSession(p, n++, timeoutMs, recipient, sentAt) : await anonymousSession(p, n++, timeoutMs);
          o.log?.('pda' + p.index + ' session ' + r.n + ': ' + r.mac + ' ' + r.tmpId + ' (' + r.ms + ' ms)');
          sessions.push(r);
        }
      }),
    );
    if (o.mail) {
      // Every mail must have left the mix before the attack runs (bounded: a mean delay times ten, plus slack).
      const w0 = Date.now();
      mails = await waitReleased(tb.maildir, sentAt.length, 10 * mixDelay * 1000 + 30_000);
      const span = sentAt.length > 1 ? Math.max(...sentAt) - Math.min(...sentAt) : 0;
      mail = {
        sent: sentAt.length,
        released: mails.length,
        mixMeanDelaySec: mixDelay,
        lambdaPerSec: span > 0 ? (sentAt.length - 1) / span : 0,
        waitedMs: Date.now() - w0,
      };
      o.log?.(`mail: ${mail.sent} sent, ${mail.released} released by the MSS (mix mean delay ${mixDelay} s) after ${mail.waitedMs} ms more`);
    }
    // Let the last frames (FIN/ACK, IPv6 leaving the link) reach the capture before it stops.
    await new Promise((r) => setTimeout(r, 300));
    await tb.stopCapture();
    if (o.handoff) audit = await auditBothAirs(tb.pcaps, tb.pdas.map((p) => p.burnedIn));
    if (o.mail && pcap) {
      const truth = sessions.filter((s) => s.tmpId).map((s) => ({ tmpMac: s.mac, tmpId: s.tmpId! }));
      const r = timingAttack(uplinkCells(await readCapture(pcap)), mails, {
        meanDelaySec: mixDelay,
        minCells: MAIL_MIN_CELLS,
        burstGapSec: MAIL_BURST_GAP_SEC,
        recipients: [ALICE],
        truth,
        lambdaPerSec: mail && mail.lambdaPerSec > 0 ? mail.lambdaPerSec : undefined,
      });
      attack = { mails: r.mails, rank1Rate: r.rank1Rate, meanEntropyBits: r.meanEntropyBits };
      if (r.theoryBits !== undefined) attack.theoryBits = r.theoryBits;
    }
  } finally {
    leftover = await tb.down();
    if (attackDir) removeTempDir(attackDir);
    if (leftover.length) o.log?.('WARNING: namespaces left behind: ' + leftover.join(' '));
  }
  return {
    prefix: tb.prefix,
    pdas: tb.pdas.map((p) => ({ index: p.index, burnedIn: p.burnedIn, leaks: p.leaks })),
    homeIds,
    sessions: sessions.sort((a, b) => a.pda - b.pda || a.n - b.n),
    pcap: o.pcap,
    ms: Date.now() - t0,
    leftover,
    ...(mail ? { mail } : {}),
    ...(attack ? { attack } : {}),
    ...(o.handoff ? { handoff: summarizeHandoffs(moves.sort((a, b) => a.pda - b.pda || a.n - b.n)), audit, pcaps: o.pcap ? [0, 1].map((i) => sitePcap(o.pcap!, i)) : undefined } : {}),
  };
}
