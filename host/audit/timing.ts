/**
 * `hood audit timing`: the traffic-analysis attack of paper §6.1, measured. Whoever watches the air near the
 * MSS (cells per TmpMAC over time) and the mail leaving it (time and recipient of each message) matches Bob's
 * burst of cells to the mail that leaves a moment later. The attacker's belief over the senders of a mail
 * that left at time t is Danezis's ("The Traffic Analysis of Continuous-Time Mixes"): every input i that
 * arrived at t_i < t is its origin with probability ∝ f(t − t_i), f the mix's delay density μe^{−μx}
 * (1/μ the mean delay); a sender's probability is the sum over its inputs, and the sender anonymity of the
 * mail is the entropy of that distribution, in bits. Without a mix (mean delay 0) the mail leaves as soon as
 * its last cell arrives, so the last burst before it wins.
 *
 * An input is a burst: the cells of one TmpMAC with gaps below `burstGapSec`, dated by its last cell before
 * the mail (the MSS can send a mail only once its last fragment is in; what the session sends after the mail
 * left, such as its BYE, says nothing about it). The expected anonymity of an exponential mix fed a
 * Poisson stream of λ inputs/s is log2(e·λ/μ) bits (Danezis, eq. 3 and the anonymity of the sg-mix);
 * `theoryBits` reports it when λ is known.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { normMac } from './identifiers';
import { readCapture, type Row } from './tshark';

export interface UplinkCell {
  /** The TmpMAC (source address on the air), normalised. */
  mac: string;
  /** Seconds since 1970. */
  t: number;
}

export interface OutgoingMail {
  /** Maildir file name or log id. */
  id: string;
  /** Seconds since 1970 when the mail left the MSS. */
  t: number;
  to: string[];
  /** The envelope sender as the recipient sees it (`<TmpId>@domain`). */
  from: string;
}

/** Ground truth the lab knows: which TmpMAC held which TmpId (the local part of a mail's From). */
export interface TruthEntry {
  tmpMac: string;
  tmpId: string;
}

export interface TimingOptions {
  /** Mean delay of the MSS's exponential mix in seconds; 0 = no mix. */
  meanDelaySec: number;
  /** Cells of one TmpMAC closer than this belong to one burst (default 1 s). */
  burstGapSec?: number;
  /**
   * Bursts of fewer cells are not inputs (default 1: every burst). Cells are all the same size, but how many
   * arrive together is visible: a mail is at least its drop-box registration and one fragment (docs/mail.md),
   * a JOIN or a BYE alone is one cell.
   */
  minCells?: number;
  /** Only mails to these recipients (default: all). */
  recipients?: string[];
  /** Rate of inputs into the mix (mails/s), for `theoryBits`. */
  lambdaPerSec?: number;
  truth?: TruthEntry[];
}

export interface MailVerdict {
  id: string;
  t: number;
  candidates: number;
  entropyBits: number;
  /** The TmpMAC the attacker ranks first. */
  top: string;
  trueSender?: string;
  /**
   * Rank of the true sender among the candidates, ordered by probability and then by how recent their last
   * burst is (1 = first; ties counted half); null if it had no burst before the mail.
   */
  rank?: number | null;
}

export interface TimingReport {
  mails: number;
  /** Share of mails (with a known sender) whose true sender the attacker ranks first (ties split evenly). */
  rank1Rate: number | null;
  meanEntropyBits: number;
  theoryBits?: number;
  meanDelaySec: number;
  inputs: number;
  senders: number;
  perMail: MailVerdict[];
}

export interface Burst {
  mac: string;
  t: number;
  cells: number;
}

/** Group the cells of each TmpMAC into bursts, dated by their last cell. */
export function bursts(cells: UplinkCell[], gapSec: number): Burst[] {
  const byMac: { [mac: string]: number[] } = {};
  for (const c of cells) (byMac[c.mac] ||= []).push(c.t);
  const out: Burst[] = [];
  for (const mac of Object.keys(byMac)) {
    const ts = byMac[mac].sort((a, b) => a - b);
    let cur: Burst = { mac, t: ts[0], cells: 1 };
    for (let i = 1; i < ts.length; i++) {
      if (ts[i] - cur.t < gapSec) {
        cur.t = ts[i];
        cur.cells++;
      } else {
        out.push(cur);
        cur = { mac, t: ts[i], cells: 1 };
      }
    }
    out.push(cur);
  }
  return out.sort((a, b) => a.t - b.t);
}

function checkOptions(o: TimingOptions): void {
  if (!(typeof o.meanDelaySec === 'number' && o.meanDelaySec >= 0 && Number.isFinite(o.meanDelaySec))) throw new Error('mean delay must be a number of seconds >= 0');
  if (o.burstGapSec !== undefined && !(o.burstGapSec > 0 && Number.isFinite(o.burstGapSec))) throw new Error('burst gap must be > 0 seconds');
  if (o.lambdaPerSec !== undefined && !(o.lambdaPerSec > 0 && Number.isFinite(o.lambdaPerSec))) throw new Error('lambda must be > 0 per second');
  if (o.minCells !== undefined && !(Number.isInteger(o.minCells) && o.minCells >= 1 && o.minCells <= 1000)) throw new Error('min cells must be an integer 1..1000');
}

/** The attacker's distribution over senders of a mail that left at `t` (Danezis: p_i ∝ f(t − t_i)). */
export function senderDistribution(inputs: Burst[], t: number, meanDelaySec: number): { [mac: string]: number } {
  const before = inputs.filter((b) => b.t <= t);
  const p: { [mac: string]: number } = {};
  if (before.length === 0) return p;
  const logs = before.map((b) => -(t - b.t) / meanDelaySec);
  const top = logs.reduce((x, y) => Math.max(x, y), -Infinity);
  // A delay so short every weight underflows is no mix at all.
  if (meanDelaySec === 0 || !Number.isFinite(top)) {
    // No mix: the mail leaves right after its last cell; the latest burst before it (ties share).
    const last = before.reduce((x, b) => Math.max(x, b.t), -Infinity);
    const macs = [...new Set(before.filter((b) => b.t === last).map((b) => b.mac))];
    for (const m of macs) p[m] = 1 / macs.length;
    return p;
  }
  // log f(t − t_i) = log μ − μ(t − t_i) with μ = 1/meanDelay (`logs` above, divided rather than multiplied by
  // μ, which overflows for tiny delays); normalised against the largest to stay clear of underflow.
  let sum = 0;
  for (let i = 0; i < before.length; i++) {
    const w = Math.exp(logs[i] - top);
    p[before[i].mac] = (p[before[i].mac] || 0) + w;
    sum += w;
  }
  for (const m of Object.keys(p)) {
    p[m] /= sum;
    // A weight that underflowed is no candidate.
    if (!(p[m] > 0)) delete p[m];
  }
  return p;
}

export function entropyBits(p: { [k: string]: number }): number {
  let h = 0;
  for (const k of Object.keys(p)) if (p[k] > 0) h -= p[k] * Math.log2(p[k]);
  return Math.max(0, h);
}

/** Danezis: expected sender anonymity of an exponential mix, log2(e·λ/μ) bits, never below 0. */
export function theoryBits(lambdaPerSec: number, meanDelaySec: number): number {
  if (!(lambdaPerSec > 0) || !(meanDelaySec > 0)) return 0;
  return Math.max(0, Math.log2(Math.E * lambdaPerSec * meanDelaySec));
}

const tmpIdOf = (from: string) => (/^<?([a-z2-7]+)@/i.exec(from.trim())?.[1] || '').toLowerCase();

/** Run the attack on parsed inputs. */
export function timingAttack(cells: UplinkCell[], mailsIn: OutgoingMail[], o: TimingOptions): TimingReport {
  checkOptions(o);
  const rcpt = o.recipients?.map((r) => r.toLowerCase());
  const mails = mailsIn.filter((m) => !rcpt || m.to.some((x) => rcpt.includes(x.toLowerCase()))).sort((a, b) => a.t - b.t);
  const gap = o.burstGapSec ?? 1;
  const inputs = bursts(cells, gap).filter((b) => b.cells >= (o.minCells ?? 1));
  const sorted = cells.slice().sort((a, b) => a.t - b.t);
  const truth: { [tmpId: string]: string } = {};
  for (const e of o.truth || []) {
    const mac = normMac(e.tmpMac);
    if (!mac || typeof e.tmpId !== 'string' || !/^[a-z2-7]{1,32}$/.test(e.tmpId)) throw new Error('truth entry needs tmpMac (a MAC) and tmpId (a TmpId): ' + JSON.stringify(e));
    truth[e.tmpId] = mac;
  }
  const perMail: MailVerdict[] = [];
  let rank1 = 0;
  let known = 0;
  let hSum = 0;
  for (const m of mails) {
    let n = 0;
    while (n < sorted.length && sorted[n].t <= m.t) n++;
    const bs = bursts(sorted.slice(0, n), gap).filter((b) => b.cells >= (o.minCells ?? 1));
    const p = senderDistribution(bs, m.t, o.meanDelaySec);
    const lastT: { [mac: string]: number } = {};
    for (const b of bs) lastT[b.mac] = Math.max(lastT[b.mac] ?? -Infinity, b.t);
    const score = (x: string) => [p[x] || 0, lastT[x]];
    const better = (x: string, y: string) => score(x)[0] > score(y)[0] || (score(x)[0] === score(y)[0] && score(x)[1] > score(y)[1]);
    const same = (x: string, y: string) => score(x)[0] === score(y)[0] && score(x)[1] === score(y)[1];
    const macs = Object.keys(lastT).sort((a, b) => (better(a, b) ? -1 : better(b, a) ? 1 : 0));
    const v: MailVerdict = { id: m.id, t: m.t, candidates: macs.length, entropyBits: entropyBits(p), top: macs[0] || '' };
    hSum += v.entropyBits;
    const sender = truth[tmpIdOf(m.from)];
    if (sender) {
      known++;
      v.trueSender = sender;
      if (lastT[sender] === undefined) v.rank = null;
      else {
        const greater = macs.filter((x) => better(x, sender)).length;
        const equal = macs.filter((x) => x !== sender && same(x, sender)).length;
        v.rank = 1 + greater + equal / 2;
        // A random tie-break puts the true sender first with probability 1/(ties + 1).
        if (greater === 0) rank1 += 1 / (equal + 1);
      }
    }
    perMail.push(v);
  }
  const r: TimingReport = {
    mails: mails.length,
    rank1Rate: known ? rank1 / known : null,
    meanEntropyBits: mails.length ? hSum / mails.length : 0,
    meanDelaySec: o.meanDelaySec,
    inputs: inputs.length,
    senders: new Set(inputs.map((b) => b.mac)).size,
    perMail,
  };
  if (o.lambdaPerSec !== undefined && o.meanDelaySec > 0) r.theoryBits = theoryBits(o.lambdaPerSec, o.meanDelaySec);
  return r;
}

/** Uplink cells from tshark rows: MQTT PUBLISHes on a `hood/v1/<mss>/up` topic, by source MAC. */
export function uplinkCells(rows: Row[]): UplinkCell[] {
  const out: UplinkCell[] = [];
  for (const r of rows) {
    const topics = (r['mqtt.topic'] || '').split(',');
    const types = (r['mqtt.msgtype'] || '').split(',');
    const mac = normMac(r['eth.src']);
    const t = Number(r['frame.time_epoch']);
    if (!mac || !Number.isFinite(t)) continue;
    // PUBLISH (type 3) carries the topic; other packets in the frame have none.
    const n = topics.filter((x) => /^hood\/v1\/[a-z0-9-]{1,32}\/up$/.test(x)).length;
    if (n > 0 && types.includes('3')) for (let i = 0; i < n; i++) out.push({ mac, t });
  }
  return out;
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const m = new RegExp('^' + name + ':[ \\t]*(.*)$', 'im').exec(head);
  return m ? m[1].trim() : '';
}

const addresses = (v: string) => (v.match(/[^\s<>,"]+@[^\s<>,"]+/g) || []).map((a) => a.toLowerCase());

/**
 * Mails from a Maildir (host/mail/maildir.ts names each file `<ms since 1970>.<random>.hood` when it is
 * delivered, so the name dates it; other names fall back to the file's modification time).
 */
export function readMaildirMails(dir: string): OutgoingMail[] {
  const out: OutgoingMail[] = [];
  let found = false;
  for (const sub of ['new', 'cur']) {
    let names: string[];
    try {
      names = readdirSync(join(dir, sub));
      found = true;
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, sub, name);
      const m = /^(\d{10,16})\./.exec(name);
      const t = m ? Number(m[1]) / 1000 : statSync(file).mtimeMs / 1000;
      const raw = readFileSync(file, 'latin1').slice(0, 65536);
      out.push({ id: name, t, to: addresses(header(raw, 'To')), from: (addresses(header(raw, 'From'))[0] || '') });
    }
  }
  if (!found) throw new Error('not a maildir (no new/ or cur/): ' + dir);
  return out.sort((a, b) => a.t - b.t);
}

/** The truth file: a JSON array of {tmpMac, tmpId}. */
export function readTruth(file: string): TruthEntry[] {
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error('truth file ' + file + ': ' + (e as Error).message);
  }
  if (!Array.isArray(j)) throw new Error('truth file must hold a JSON array of {tmpMac, tmpId}');
  return j as TruthEntry[];
}

export interface TimingAuditOptions extends TimingOptions {
  mqttPorts?: number[];
}

/** The attack on a capture file and a maildir. */
export async function auditTiming(pcap: string, maildir: string, o: TimingAuditOptions): Promise<TimingReport> {
  checkOptions(o);
  const mails = readMaildirMails(maildir);
  const rows = await readCapture(pcap, { mqttPorts: o.mqttPorts });
  return timingAttack(uplinkCells(rows), mails, o);
}
