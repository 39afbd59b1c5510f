/**
 * `hood lab run`: bring the testbed up, run S sessions on each of N PDAs (all PDAs at once, each PDA's
 * sessions one after another), capture the bridge, tear everything down. Each anonymous session is
 * start -> joined -> one echo DATA round trip -> end -> wiped; with `homeFirst` each PDA first spends a
 * session in home mode (paper §2.4) and then switches to anonymous mode.
 */
import { CHANNEL_ECHO } from '../../shared/src/protocol/constants';
import type { LeakKind } from '../../boards/netns/leaks';
import { Testbed, type LabPda, type SetupStep } from './testbed';

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
  const t0 = Date.now();
  const timeoutMs = o.sessionTimeoutMs ?? 30_000;
  const tb = await Testbed.up({ pdas: o.pdas, pcap: o.pcap, leaks: o.leaks, bundlePath: o.bundlePath, failAfter: o.failAfter, log: o.log, onPrefix: o.onPrefix });
  const sessions: SessionRecord[] = [];
  const homeIds: string[] = [];
  let leftover: string[] = [];
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
          const r = await anonymousSession(p, n++, timeoutMs);
          o.log?.('pda' + p.index + ' session ' + r.n + ': ' + r.mac + ' ' + r.tmpId + ' (' + r.ms + ' ms)');
          sessions.push(r);
        }
      }),
    );
    // Let the last frames (FIN/ACK, IPv6 leaving the link) reach the capture before it stops.
    await new Promise((r) => setTimeout(r, 300));
    await tb.stopCapture();
  } finally {
    leftover = await tb.down();
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
  };
}
