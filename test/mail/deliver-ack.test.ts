/**
 * DELIVER is acknowledged and resent until it is (docs/mail.md §4): with downlink cells dropped at
 * random between the MSS and the REAL firmware bundle on the emulated board, every reply Alice sends
 * reaches the PDA, and each is shown exactly once. A resend of a DELIVER already shown (its ACK
 * lost) is acknowledged again and not shown twice. The reassembler starts a message over at its
 * fragment 0, for any pattern of lost fragments.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { readMaildir } from '../../host/mail/maildir';
import { parseKeyFile } from '../../host/recipient/keys';
import { openMessage } from '../../host/recipient/open';
import { sendReply } from '../../host/recipient/reply';
import { CH_MAIL_DELIVER, KIND_ACK, MSG_ID_LEN } from '../../shared/src/mail/constants';
import { Reassembler, fragment } from '../../shared/src/mail/fragment';
import { decodeControl, encodeAck } from '../../shared/src/mail/payloads';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { DOMAIN, startMailGateway } from './helpers';
import { seeded } from '../firmware/scheduled-board';

let g: Awaited<ReturnType<typeof startMailGateway>>;
let work: string;
let keyFile: string;
let recipient: string;
/** Probability that the air loses a downlink cell (0: none). */
let lossRate = 0;
let dropped = 0;
let rand = seeded(1);

beforeAll(async () => {
  work = testDir('hood-deliver-ack-');
  keyFile = join(work, 'alice.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' });
  recipient = /# public key: (age1[a-z0-9]+)/.exec(readFileSync(keyFile, 'utf8'))![1];
  g = await startMailGateway({ mail: { mix: { meanDelaySec: 0, maxQueued: 100 } } });
  // The air between the MSS and the PDA: the gateway's own MQTT client, losing downlink cells (never
  // the retained beacon) with probability lossRate.
  const client = g.gw.client;
  const publish = client.publish.bind(client) as (...a: unknown[]) => unknown;
  (client as unknown as { publish: (...a: unknown[]) => unknown }).publish = (...a: unknown[]) => {
    const topic = String(a[0]);
    if (lossRate > 0 && !topic.includes('beacon') && rand() < lossRate) {
      dropped++;
      return client;
    }
    return publish(...a);
  };
}, 60_000);

afterAll(async () => {
  await g.stop();
  removeTestDir(work);
});

async function mailAlice(pda: EmuPda, tmpId: string) {
  const before = readMaildir(g.mail.localMaildir).length;
  const since = pda.events.length;
  pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient, subject: 'hi', body: 'Write back, the air here is bad.' });
  expect(await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000, since)).toMatchObject({ ev: 'mail.sent', ok: true });
  await expect.poll(() => readMaildir(g.mail.localMaildir).length, { timeout: 10_000 }).toBeGreaterThan(before);
  const all = readMaildir(g.mail.localMaildir);
  const opened = openMessage(all[all.length - 1].raw, parseKeyFile(readFileSync(keyFile, 'utf8')));
  expect(opened.replyTo).toBe(tmpId + '@' + DOMAIN);
  return opened;
}

/** From now on the air loses downlink cells at random (reproducibly, from `seed`). */
function lossy(seed: number): void {
  rand = seeded(seed);
  dropped = 0;
  lossRate = 0.3;
}

/** Wait for `n` replies shown since `since`, then restore a clean air; the replies shown. */
async function repliesUnderLoss(pda: EmuPda, since: number, n: number) {
  const shown = () => pda.events.slice(since).filter((e) => e.ev === 'mail.reply');
  await expect.poll(() => shown().length, { timeout: 60_000, interval: 100 }).toBe(n);
  lossRate = 0;
  expect(dropped).toBeGreaterThan(0);
  return shown();
}

describe('DELIVER under a lossy downlink', () => {
  it('every reply arrives, each shown once, with 30 % of downlink cells lost', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const joined = await joinSession(pda);
      const opened = await mailAlice(pda, joined.tmpId);
      const acked0 = g.mail.stats.acked;
      const since = pda.events.length;
      const bodies: string[] = [];
      lossy(0x5eed);
      for (let i = 0; i < 6; i++) {
        // Long enough to take several fragments: a lost middle fragment is the case to mend.
        const body = 'reply ' + i + ': ' + 'the meeting moved again. '.repeat(20 + 10 * i);
        bodies.push(body);
        const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'r' + i, body }, g.mail.inboundAddress!);
        expect(r.response).toMatch(/^250 .*delivered to the PDA/);
      }
      const got = await repliesUnderLoss(pda, since, 6);
      expect(got.map((e) => e.body).sort()).toEqual(bodies.slice().sort());
      await expect.poll(() => g.mail.stats.acked - acked0, { timeout: 10_000 }).toBe(6);
      expect(g.mail.stats.resent).toBeGreaterThan(0);
      // Nothing else came of it: no reply twice, no error event.
      await new Promise((r) => setTimeout(r, 1000));
      expect(pda.events.slice(since).filter((e) => e.ev === 'mail.reply')).toHaveLength(6);
      expect(pda.events.slice(since).filter((e) => e.ev === 'mail.error')).toEqual([]);
      await endSession(pda);
    } finally {
      lossRate = 0;
      pda.powerOff();
    }
  }, 120_000);

  it('a drop-box pickup of 4 replies under 30 % loss: all arrive, though STATUS overtakes DELIVERs still owed', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const first = await joinSession(pda);
      const opened = await mailAlice(pda, first.tmpId);
      await endSession(pda);
      await expect.poll(() => g.gw.core.sessions.findByTmpId(first.tmpId)).toBeUndefined();
      const bodies: string[] = [];
      for (let i = 0; i < 4; i++) {
        const body = 'while you were away ' + i + ': ' + 'news. '.repeat(60 * (i + 1));
        bodies.push(body);
        const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'away ' + i, body }, g.mail.inboundAddress!);
        expect(r.response).toMatch(/^250 .*drop box/);
      }
      await joinSession(pda);
      const since = pda.events.length;
      lossy(0xd0d0);
      // Two DELIVERs are out at a time; STATUS {count 4} goes right after the first two, so the PDA
      // learns the count before it has them all and keeps the reply key until the rest arrive.
      pda.cmd({ cmd: 'mail.pickup' });
      const got = await repliesUnderLoss(pda, since, 4);
      expect(got.map((e) => e.body).sort()).toEqual(bodies.slice().sort());
      expect(got.every((e) => e.source === 'dropbox')).toBe(true);
      expect(pda.events.slice(since).filter((e) => e.ev === 'mail.error')).toEqual([]);
      await endSession(pda);
    } finally {
      lossRate = 0;
      pda.powerOff();
    }
  }, 120_000);

  it('a DELIVER sent again after it was shown (its ACK lost) is acknowledged again, not shown twice', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    try {
      const joined = await joinSession(pda);
      const opened = await mailAlice(pda, joined.tmpId);
      const since = pda.events.length;
      // Capture the DELIVER fragments the MSS sends, then send them once more by hand.
      const sent: Uint8Array[] = [];
      const core = g.gw.core;
      const deliver = core.deliver.bind(core);
      core.deliver = (t: string, ch: number, p: Uint8Array) => {
        if (ch === CH_MAIL_DELIVER) sent.push(p.slice());
        return deliver(t, ch, p);
      };
      try {
        await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 'once', body: 'only once, please' }, g.mail.inboundAddress!);
        await pda.waitFor('mail.reply', 20_000, since);
        const acked = g.mail.stats.acked;
        for (const f of sent) deliver(joined.tmpId, CH_MAIL_DELIVER, f);
        await new Promise((r) => setTimeout(r, 1500));
      } finally {
        core.deliver = deliver;
      }
      expect(pda.events.slice(since).filter((e) => e.ev === 'mail.reply')).toHaveLength(1);
      expect(pda.events.slice(since).filter((e) => e.ev === 'mail.error')).toEqual([]);
      expect(g.mail.stats.rejected.bad_kind ?? 0).toBe(0);
      await endSession(pda);
    } finally {
      pda.powerOff();
    }
  }, 120_000);
});

describe('ACK and the reassembler', () => {
  it('ACK round-trips, and a wrong length is refused', () => {
    const id = new Uint8Array(MSG_ID_LEN).fill(7);
    expect(decodeControl(encodeAck(id))).toEqual({ kind: KIND_ACK, msgId: id });
    expect(() => encodeAck(new Uint8Array(7))).toThrow(/8 bytes/);
    expect(() => decodeControl(new Uint8Array([KIND_ACK, 1, 2, 3]))).toThrow();
    expect(() => decodeControl(new Uint8Array([KIND_ACK, ...id, 0]))).toThrow();
  });

  it('resumable: any pattern of lost fragments is mended by whole resends, each message completed exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2000 }), fc.array(fc.boolean(), { minLength: 1, maxLength: 200 }), fc.nat(), (len, losses, seed) => {
        const msg = new Uint8Array(len).map((_, i) => (i * 31 + seed) & 255);
        const frags = fragment(new Uint8Array(MSG_ID_LEN).fill(seed & 255), msg, 64);
        const rx = new Reassembler({ maxMessageBytes: 4096, resume: true });
        let done = 0;
        let k = 0;
        let sends = 0;
        // The sender resends the whole message until one send completes it; the air loses what
        // `losses` says, except from send 150 on (a link that eventually delivers).
        for (; sends < 200 && done === 0; sends++) {
          for (const f of frags) {
            if (losses[k++ % losses.length] && sends < 150) continue;
            const r = rx.add(f, 0); // resumable: never throws on a gap or a duplicate
            if (r.done) {
              expect(Array.from(r.message)).toEqual(Array.from(msg));
              done++;
            }
          }
        }
        expect(done).toBe(1);
        // A resend after completion is a replay, never a second message.
        expect(() => rx.add(frags[0], 0)).toThrow(/already completed/);
      }),
      { numRuns: 300 },
    );
  });

  it('not resumable (SEND): a gap still ends the message', () => {
    const frags = fragment(new Uint8Array(MSG_ID_LEN).fill(1), new Uint8Array(500).fill(9), 64);
    const rx = new Reassembler({ maxMessageBytes: 4096 });
    rx.add(frags[0], 0);
    expect(() => rx.add(frags[2], 0)).toThrow(/expected fragment 1/);
    expect(rx.pendingCount()).toBe(0);
  });
});
