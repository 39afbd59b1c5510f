/**
 * `hood audit timing` (host/audit/timing.ts): the traffic-analysis attack of paper §6.1 with Danezis's
 * likelihood. Synthetic worlds with a known truth: without a mix the attack finds every sender; behind an
 * exponential mix fed enough traffic it mostly fails and the anonymity approaches log2(e·λ·delay). The capture
 * path is run on a libpcap file tshark dissects; bad input ends in errors.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  auditTiming,
  bursts,
  entropyBits,
  readMaildirMails,
  senderDistribution,
  theoryBits,
  timingAttack,
  type OutgoingMail,
  type TruthEntry,
  type UplinkCell,
} from '../../host/audit/timing';
import { writePcap } from './pcap-writer';

const dir = mkdtempSync(join(tmpdir(), 'hood-timing-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32, for reproducible worlds. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const exp = (r: () => number, mean: number) => -Math.log(1 - r()) * mean;
const mac = (i: number) => '02:00:00:00:' + ((i >> 8) & 255).toString(16).padStart(2, '0') + ':' + (i & 255).toString(16).padStart(2, '0');
const tmpId = (i: number) => 'a' + i.toString(32).replace(/[0189]/g, (c) => 'bcde'['0189'.indexOf(c)]) + 'zz';

/**
 * A world: `n` mails, each from a fresh TmpMAC (a session) that sends a burst of `cells` cells; sessions start
 * as a Poisson stream of rate λ; the MSS releases each mail after its last cell plus an exponential delay.
 */
function world(seed: number, n: number, lambda: number, delaySec: number, cells = 3) {
  const r = prng(seed);
  const up: UplinkCell[] = [];
  const mails: OutgoingMail[] = [];
  const truth: TruthEntry[] = [];
  let t = 1.7e9;
  for (let i = 0; i < n; i++) {
    t += exp(r, 1 / lambda);
    // JOIN, then the mail's fragments right after the ACCEPT (one burst).
    up.push({ mac: mac(i), t: t - 0.3 });
    for (let k = 0; k < cells; k++) up.push({ mac: mac(i), t: t + k * 0.01 });
    const out = t + (cells - 1) * 0.01 + 0.02 + (delaySec > 0 ? exp(r, delaySec) : 0);
    mails.push({ id: 'm' + i, t: out, to: ['alice@example.org'], from: tmpId(i) + '@lab.hood.invalid' });
    truth.push({ tmpMac: mac(i), tmpId: tmpId(i) });
  }
  return { up, mails, truth };
}

describe('the timing attack on parsed input', () => {
  it('no mix: the last burst before each mail is its sender (rank-1 = 1, 0 bits)', () => {
    const w = world(1, 40, 0.5, 0);
    const r = timingAttack(w.up, w.mails, { meanDelaySec: 0, truth: w.truth });
    expect(r.mails).toBe(40);
    // It misses only where another session's burst ended between a mail's last fragment and its release.
    expect(r.rank1Rate!).toBeGreaterThanOrEqual(0.8);
    expect(r.meanEntropyBits).toBe(0);
  });

  it('behind an exponential mix with λ·delay = 8 the attack mostly fails; anonymity near log2(e·λ·delay)', () => {
    const lambda = 1;
    const delay = 8;
    const w = world(2, 400, lambda, delay);
    const r = timingAttack(w.up, w.mails, { meanDelaySec: delay, truth: w.truth, lambdaPerSec: lambda });
    expect(r.rank1Rate!).toBeLessThan(0.35);
    expect(r.meanEntropyBits).toBeGreaterThan(2.5);
    expect(r.theoryBits).toBeCloseTo(Math.log2(Math.E * 8), 6);
    // Danezis's figure is the entropy of exactly this distribution in a steady Poisson stream.
    expect(Math.abs(r.meanEntropyBits - r.theoryBits!)).toBeLessThan(0.6);
    // The same world attacked as if there were no mix: the attacker's wrong model does worse still.
    expect(timingAttack(w.up, w.mails, { meanDelaySec: 0, truth: w.truth }).rank1Rate!).toBeLessThan(0.3);
  });

  it('for any inputs the distribution sums to 1, entropy ≤ log2(candidates), and no mix picks the latest burst', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ m: fc.nat(7), t: fc.double({ min: 0, max: 100, noNaN: true }) }), { minLength: 1, maxLength: 60 }),
        fc.double({ min: 0, max: 120, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        (cells, at, delay) => {
          const bs = bursts(cells.map((c) => ({ mac: mac(c.m), t: c.t })), 0.5);
          const p = senderDistribution(bs, at, delay);
          const ks = Object.keys(p);
          if (bs.every((b) => b.t > at)) {
            expect(ks).toHaveLength(0);
            return;
          }
          expect(Math.abs(ks.reduce((s, k) => s + p[k], 0) - 1)).toBeLessThan(1e-9);
          expect(entropyBits(p)).toBeLessThanOrEqual(Math.log2(ks.length) + 1e-9);
          const last = Math.max(...bs.filter((b) => b.t <= at).map((b) => b.t));
          const atLast = (k: string) => bs.some((b) => b.mac === k && b.t === last);
          // No mix: only the latest burst's senders are candidates.
          if (delay === 0) for (const k of ks) expect(atLast(k)).toBe(true);
          // A certain sender (p rounds to exactly 1; the others may keep weights below 1e-16) is a
          // sender of the latest burst: the weight falls with the burst's age.
          for (const k of ks) if (p[k] === 1) expect(atLast(k)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('bursts split on the gap and are dated by their last cell', () => {
    const b = bursts([{ mac: 'a', t: 0 }, { mac: 'a', t: 0.4 }, { mac: 'a', t: 0.8 }, { mac: 'a', t: 3 }, { mac: 'b', t: 1 }], 0.5);
    expect(b).toEqual([
      { mac: 'a', t: 0.8, cells: 3 },
      { mac: 'b', t: 1, cells: 1 },
      { mac: 'a', t: 3, cells: 1 },
    ]);
  });

  it('a sender with no cell before its mail has no rank; ties share rank 1', () => {
    const r = timingAttack(
      [{ mac: mac(1), t: 10 }, { mac: mac(2), t: 10 }],
      [
        { id: 'x', t: 11, to: ['alice@example.org'], from: tmpId(1) + '@d' },
        { id: 'y', t: 11, to: ['alice@example.org'], from: tmpId(3) + '@d' },
      ],
      { meanDelaySec: 0, truth: [{ tmpMac: mac(1), tmpId: tmpId(1) }, { tmpMac: mac(3), tmpId: tmpId(3) }] },
    );
    expect(r.perMail[0]).toMatchObject({ candidates: 2, rank: 1.5, entropyBits: 1 });
    expect(r.perMail[1].rank).toBeNull();
    expect(r.rank1Rate).toBe(0.25);
  });

  it('minCells leaves out lone cells (a JOIN or BYE of another session just before the mail)', () => {
    const cells = [
      { mac: mac(1), t: 10 },
      { mac: mac(1), t: 10.01 },
      { mac: mac(2), t: 10.2 }, // someone's BYE, after Bob's fragments, before his mail left
    ];
    const mail = [{ id: 'x', t: 10.5, to: ['alice@example.org'], from: tmpId(1) + '@d' }];
    const truth = [{ tmpMac: mac(1), tmpId: tmpId(1) }];
    expect(timingAttack(cells, mail, { meanDelaySec: 0, truth }).rank1Rate).toBe(0);
    expect(timingAttack(cells, mail, { meanDelaySec: 0, truth, minCells: 2 }).rank1Rate).toBe(1);
  });

  it('theoryBits is log2(e·λ·delay), never negative', () => {
    expect(theoryBits(1, 1)).toBeCloseTo(Math.log2(Math.E), 9);
    expect(theoryBits(0.01, 1)).toBe(0);
    expect(theoryBits(1, 0)).toBe(0);
  });

  it('refuses bad options and a bad truth', () => {
    for (const d of [-1, NaN, Infinity]) expect(() => timingAttack([], [], { meanDelaySec: d })).toThrow(/mean delay/);
    expect(() => timingAttack([], [], { meanDelaySec: 1, burstGapSec: 0 })).toThrow(/burst gap/);
    expect(() => timingAttack([], [], { meanDelaySec: 1, lambdaPerSec: -2 })).toThrow(/lambda/);
    for (const n of [0, 1.5, -1, 1e6]) expect(() => timingAttack([], [], { meanDelaySec: 1, minCells: n })).toThrow(/min cells/);
    expect(() => timingAttack([], [], { meanDelaySec: 1, truth: [{ tmpMac: 'nope', tmpId: 'abc' }] })).toThrow(/truth/);
    expect(() => timingAttack([], [], { meanDelaySec: 1, truth: [{ tmpMac: mac(1), tmpId: 'NOT VALID!' }] })).toThrow(/truth/);
  });
});

function maildir(name: string, mails: OutgoingMail[]): string {
  const d = join(dir, name);
  for (const s of ['new', 'cur', 'tmp']) mkdirSync(join(d, s), { recursive: true });
  for (const m of mails)
    writeFileSync(join(d, 'new', Math.round(m.t * 1000) + '.' + m.id + '.hood'), `From: <${m.from}>\r\nTo: ${m.to.join(', ')}\r\nSubject: x\r\n\r\nbody\r\n`);
  return d;
}

describe('the attack on a capture and a maildir', () => {
  it('reads uplink PUBLISHes per TmpMAC from a pcap (tshark) and mails from a maildir', async () => {
    const w = world(3, 12, 0.5, 0);
    const pcap = join(dir, 'nomix.pcap');
    writePcap(
      pcap,
      w.up.map((c) => ({ t: c.t, srcMac: c.mac, srcIp: '10.77.0.' + (10 + Number.parseInt(c.mac.slice(-2), 16)), topic: 'hood/v1/lab/up', payloadLen: 512 })).concat([
        // Noise an observer also sees: a beacon subscription-less publish on another topic is not an uplink cell.
        { t: w.up[0].t + 0.001, srcMac: mac(99), srcIp: '10.77.0.99', topic: 'other/topic', payloadLen: 20 },
      ]),
    );
    const md = maildir('md-nomix', w.mails.concat([{ id: 'bob', t: w.mails[3].t + 0.001, to: ['carol@example.org'], from: 'x@d' }]));
    const mails = readMaildirMails(md);
    expect(mails).toHaveLength(13);
    const r = await auditTiming(pcap, md, { meanDelaySec: 0, truth: w.truth, recipients: ['alice@example.org'] });
    expect(r.mails).toBe(12);
    expect(r.senders).toBe(12);
    const direct = timingAttack(w.up, w.mails, { meanDelaySec: 0, truth: w.truth });
    expect(r.rank1Rate).toBe(direct.rank1Rate);
    expect(r.rank1Rate!).toBeGreaterThanOrEqual(0.8);
  });

  it('bad input: not a capture, no maildir', async () => {
    const junk = join(dir, 'junk.pcap');
    writeFileSync(junk, 'this is not a capture');
    const md = maildir('md-empty', []);
    await expect(auditTiming(junk, md, { meanDelaySec: 0 })).rejects.toThrow(/tshark cannot read/);
    await expect(auditTiming(junk, join(dir, 'nothing-here'), { meanDelaySec: 0 })).rejects.toThrow(/not a maildir/);
    await expect(auditTiming(junk, md, { meanDelaySec: -3 })).rejects.toThrow(/mean delay/);
  });

  it('hood audit timing --json prints the report; bad arguments exit non-zero', async () => {
    const w = world(4, 6, 0.5, 0);
    const pcap = join(dir, 'cli.pcap');
    writePcap(pcap, w.up.map((c) => ({ t: c.t, srcMac: c.mac, srcIp: '10.77.0.20', topic: 'hood/v1/lab/up', payloadLen: 512 })));
    const md = maildir('md-cli', w.mails);
    const truth = join(dir, 'truth.json');
    writeFileSync(truth, JSON.stringify(w.truth));
    const run = (args: string[]) =>
      new Promise<{ code: number; out: string; err: string }>((res) =>
        execFile('node', ['bin/hood.js', 'audit', 'timing', ...args], { timeout: 60_000 }, (e, out, err) => res({ code: e ? ((e as any).code ?? 1) : 0, out, err })),
      );
    const ok = await run([pcap, '--maildir', md, '--truth', truth, '--mean-delay', '0', '--json']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out)).toMatchObject({ mails: 6, meanEntropyBits: 0, rank1Rate: timingAttack(w.up, w.mails, { meanDelaySec: 0, truth: w.truth }).rank1Rate });
    expect((await run([pcap, '--maildir', md, '--mean-delay', '-1'])).code).not.toBe(0);
    const badTruth = join(dir, 'bad-truth.json');
    writeFileSync(badTruth, '{"not":"an array"}');
    const bt = await run([pcap, '--maildir', md, '--truth', badTruth]);
    expect(bt.code).toBe(2);
    expect(bt.err).toMatch(/truth/);
  });
});
