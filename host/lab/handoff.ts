/**
 * Hand-off in the lab (paper §6.3, docs/handoff.md): a PDA joins MSS `lab-a`, does one echo round trip,
 * is told to hand its session off to `lab-b`; when it reports `moving` the lab moves its station to
 * lab-b's bridge (the radio re-associating with another access point), the PDA leases an address on
 * lab-b's air under a fresh TmpMAC and resumes its session there with the ticket lab-a gave it; one echo
 * round trip at lab-b, then end and wipe. Afterwards both airs' captures are audited together
 * (host/audit/audit.ts auditCaptures): nothing the PDA sent at one MSS may be seen at the other.
 */
import { CHANNEL_ECHO } from '../../shared/src/protocol/constants';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import { auditCaptures, type Capture, type Leak } from '../audit/audit';
import { readCapture } from '../audit/tshark';
import { BROKER_PORT, type LabPda, type Testbed } from './testbed';

export interface HandoffRecord {
  pda: number;
  n: number;
  from: string;
  to: string;
  /** TmpId at the first MSS, and the one the second MSS resumed (must be equal). */
  tmpId: string;
  resumedTmpId: string;
  /** TmpMAC and MQTT client id at each MSS (must differ). */
  macFrom: string;
  macTo: string;
  clientIdFrom: string;
  clientIdTo: string;
  /** From the handoff command to `resumed`, and the attempts the PDA needed to get there. */
  moveMs: number;
  attempts: number;
  ms: number;
}

export interface HandoffSummary {
  sessions: number;
  resumed: number;
  tmpIdKept: number;
  macChanged: number;
  moves: HandoffRecord[];
}

export interface TwoAirAudit {
  ok: boolean;
  files: string[];
  sessionCount: number;
  /** Strong identifiers seen in sessions at both MSSs (or twice at one): what would link them. */
  linking: number;
  leaks: Pick<Leak, 'reason' | 'kind' | 'value' | 'detail'>[];
  /** Frames of either capture carrying a burned-in MAC anywhere tshark shows one (must be 0). */
  burnedInFrames: number;
}

function echo(p: LabPda, timeoutMs: number, where: string): Promise<PdaEvent> {
  const since = p.events.length;
  p.cmd({ cmd: 'send', channel: CHANNEL_ECHO, payload: '68656c6c6f' });
  return p.waitFor((e) => e.ev === 'data' && e.payload === '68656c6c6f', timeoutMs, since).catch((e: Error) => {
    throw new Error('pda' + p.index + ': no echo at ' + where + ': ' + e.message);
  });
}

/** One session of PDA `p` that starts at site 0 and is handed off to site 1. Leaves the station on site 0. */
export async function handoffSession(tb: Testbed, p: LabPda, n: number, timeoutMs: number): Promise<HandoffRecord> {
  const t0 = Date.now();
  const [a, b] = tb.sites;
  if (p.site !== 0) await tb.moveStation(p, 0);
  let since = p.events.length;
  p.cmd({ cmd: 'start' });
  const j = await p.waitFor((e) => e.ev === 'joined' || e.ev === 'wiped' || e.ev === 'error', timeoutMs, since);
  if (j.ev !== 'joined') throw new Error('pda' + p.index + ' session ' + n + ' did not join ' + a.mssId + ': ' + JSON.stringify(j));
  const conn = p.events.slice(since).find((e) => e.ev === 'connected')!;
  await echo(p, timeoutMs, a.mssId);

  since = p.events.length;
  const tMove = Date.now();
  p.cmd({ cmd: 'handoff', mssId: b.mssId, brokerHost: b.ip, brokerPort: BROKER_PORT });
  const m = await p.waitFor((e) => e.ev === 'moving' || e.ev === 'wiped' || (e.ev === 'error' && e.code === 'handoff_failed'), timeoutMs, since);
  if (m.ev !== 'moving') throw new Error('pda' + p.index + ' session ' + n + ' did not leave ' + a.mssId + ': ' + JSON.stringify(m));
  // Once the PDA has left lab-a's access point, its radio associates with lab-b's.
  await tb.waitStationLeft(p, j.tmpMac, timeoutMs);
  await tb.moveStation(p, 1);
  const r = await p.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', timeoutMs, since);
  if (r.ev !== 'resumed') {
    // What the PDA went through on the way (errors, refusals, retries), for whoever reads the failure.
    const path = p.events.slice(since).filter((e) => ['error', 'refused', 'resume_retry', 'join_timeout', 'moving', 'connected', 'beacon', 'rejected'].includes(String(e.ev)));
    throw new Error('pda' + p.index + ' session ' + n + ' did not resume at ' + b.mssId + ': ' + JSON.stringify(r) + '; on the way: ' + JSON.stringify(path.slice(-12)));
  }
  const moveMs = Date.now() - tMove;
  const conns = p.events.slice(since).filter((e) => e.ev === 'connected');
  const connB = conns[conns.length - 1];
  await echo(p, timeoutMs, b.mssId);

  since = p.events.length;
  p.cmd({ cmd: 'end' });
  const w = await p.waitFor((e) => e.ev === 'wiped', timeoutMs, since);
  if (!w.ok) throw new Error('pda' + p.index + ' session ' + n + ' not wiped cleanly');
  // Back to lab-a's access point for the next session, once nothing more of this one can leave the radio.
  await tb.waitStationLeft(p, r.tmpMac, timeoutMs);
  await tb.moveStation(p, 0);
  return {
    pda: p.index,
    n,
    from: a.mssId,
    to: String(r.mssId),
    tmpId: j.tmpId,
    resumedTmpId: r.tmpId,
    macFrom: j.tmpMac,
    macTo: r.tmpMac,
    clientIdFrom: conn ? conn.clientId : '',
    clientIdTo: connB ? connB.clientId : '',
    moveMs,
    attempts: Number(r.attempts) || 0,
    ms: Date.now() - t0,
  };
}

export function summarizeHandoffs(moves: HandoffRecord[]): HandoffSummary {
  return {
    sessions: moves.length,
    resumed: moves.filter((m) => m.resumedTmpId && m.to !== m.from).length,
    tmpIdKept: moves.filter((m) => m.resumedTmpId === m.tmpId).length,
    macChanged: moves.filter((m) => m.macTo !== m.macFrom && m.clientIdTo !== m.clientIdFrom).length,
    moves,
  };
}

const MAC_FIELDS = ['eth.src', 'eth.dst', 'arp.src.hw_mac', 'dhcp.hw.mac_addr'] as const;

/** Audit both airs' captures together, and count frames showing a burned-in MAC (independently of the audit). */
export async function auditBothAirs(files: string[], burnedIn: string[]): Promise<TwoAirAudit> {
  const captures: Capture[] = [];
  for (const f of files) captures.push({ file: f, rows: await readCapture(f) });
  const r = auditCaptures(captures, { burnedIn });
  const burned = burnedIn.map((m) => m.toLowerCase());
  let burnedInFrames = 0;
  for (const c of captures) {
    for (const row of c.rows) {
      const macs = MAC_FIELDS.flatMap((k) => (row[k] || '').toLowerCase().split(','));
      if (macs.some((m) => burned.indexOf(m) >= 0)) burnedInFrames++;
    }
  }
  return {
    ok: r.ok && burnedInFrames === 0,
    files: r.files,
    sessionCount: r.sessionCount,
    linking: r.leaks.filter((l) => l.reason === 'reused').length,
    leaks: r.leaks.map((l) => ({ reason: l.reason, kind: l.kind, value: l.value, detail: l.detail })),
    burnedInFrames,
  };
}
