/**
 * Hostile input to the mail path, each refused with a clear reason and bounded memory:
 * fragments (oversized, malformed, unknown message, out of order, replayed SEND), SEND bodies,
 * SMTP (unknown/expired TmpIds, other domains, huge, malformed, several recipients) and the PDA app.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import nodemailer from 'nodemailer';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import type { ServiceContext } from '../../host/mss/core';
import { ageEncrypt } from '../../shared/src/age/age';
import { armor } from '../../shared/src/age/armor';
import { toHex, utf8Encode } from '../../shared/src/bytes';
import {
  CH_MAIL_CTRL_DOWN,
  CH_MAIL_CTRL_UP,
  CH_MAIL_DELIVER,
  CH_MAIL_SEND,
  OP_FRAGMENT,
  OP_SEND,
  ST_BAD_REQUEST,
  ST_BUSY,
  ST_OK,
  ST_REPLAYED,
  ST_TOO_LARGE,
  SRC_LIVE,
} from '../../shared/src/mail/constants';
import { Reassembler, fragment } from '../../shared/src/mail/fragment';
import { decodeStatus, encodeBox, encodeDeliver, encodeSend } from '../../shared/src/mail/payloads';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { BUNDLE } from '../helpers/gateway';
import { DOMAIN, startMailGateway } from './helpers';
import { smtpDialog } from './smtp-raw';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
let g: Awaited<ReturnType<typeof startMailGateway>>;

beforeAll(async () => {
  g = await startMailGateway({ mail: { reassemblyBudgetBytes: 40_000, maxSmtpBytes: 20_000 } });
});
afterAll(async () => {
  await g.stop();
});

/** A fake session context, as MssCore gives services. */
function session(tmpId = 'aaaaaaaaaaaaaaaa') {
  const out: { channel: number; payload: Uint8Array }[] = [];
  const ctx: ServiceContext = { tmpId, state: {}, reply: (channel, payload) => out.push({ channel, payload }), settled: () => true, changed: () => {} };
  const send = g.mail.services.find((s) => s.channel === CH_MAIL_SEND)!;
  const ctrl = g.mail.services.find((s) => s.channel === CH_MAIL_CTRL_UP)!;
  return {
    ctx,
    out,
    frag: (p: Uint8Array) => send.onData(ctx, p),
    ctrl: (p: Uint8Array) => ctrl.onData(ctx, p),
    statuses: () => out.filter((o) => o.channel === CH_MAIL_CTRL_DOWN).map((o) => decodeStatus(o.payload)),
    end: () => send.onEnd!(tmpId),
  };
}

const validSend = () => encodeSend({ to: 'alice@example.org', age: ageEncrypt([rnd(32)], utf8Encode('hi'), rnd) });

describe('fragments and SEND at the MSS', () => {
  it('oversized, malformed and unknown-message fragments are refused with a reason', () => {
    const s = session();
    const id = rnd(8);
    // Announced length over the limit (maxSendBytes 16384).
    const big = fragment(id, new Uint8Array(20000).fill(1), 468)[0];
    s.frag(big);
    // Too short for a header, count 0, index >= count, empty chunk.
    s.frag(rnd(5));
    s.frag(new Uint8Array([...rnd(8), 0, 0, 0, 10, 1]));
    s.frag(new Uint8Array([...rnd(8), 3, 2, 0, 10, 1]));
    s.frag(new Uint8Array([...rnd(8), 0, 1, 0, 10]));
    // A later fragment of a message that was never started.
    s.frag(fragment(rnd(8), new Uint8Array(1000).fill(2), 468)[1]);
    const st = s.statuses();
    expect(st.map((x) => [x.op, x.code])).toEqual([
      [OP_FRAGMENT, ST_TOO_LARGE],
      [OP_FRAGMENT, ST_BAD_REQUEST],
      [OP_FRAGMENT, ST_BAD_REQUEST],
      [OP_FRAGMENT, ST_BAD_REQUEST],
      [OP_FRAGMENT, ST_BAD_REQUEST],
      [OP_FRAGMENT, ST_BAD_REQUEST],
    ]);
    expect(st.map((x) => x.text.split(':')[0])).toEqual(['too_large', 'truncated', 'bad_fragment', 'bad_fragment', 'bad_fragment', 'unknown_message']);
    expect(g.mail.heldBytes).toBe(0);
  });

  it('out-of-order and inconsistent fragments drop the message; lengths must add up', () => {
    const s = session();
    const f = fragment(rnd(8), new Uint8Array(1000).fill(3), 300);
    s.frag(f[0]);
    s.frag(f[2]);
    const g2 = fragment(rnd(8), new Uint8Array(1000).fill(3), 300);
    s.frag(g2[0]);
    const lie = g2[1].slice();
    lie[11] ^= 1; // totalLen changed mid-message
    s.frag(lie);
    expect(s.statuses().map((x) => x.text.split(':')[0])).toEqual(['out_of_order', 'bad_fragment']);
    expect(g.mail.heldBytes).toBe(0);
  });

  it('a replayed SEND (same message id) is refused and not mailed twice', async () => {
    const s = session();
    const frags = fragment(rnd(8), validSend(), 468);
    const sent0 = g.mail.stats.sent;
    for (const f of frags) s.frag(f);
    for (const f of frags) s.frag(f);
    await expect.poll(() => s.statuses().filter((x) => x.op === OP_SEND).length).toBe(1);
    const st = s.statuses();
    expect(st.find((x) => x.op === OP_SEND)!.code).toBe(ST_OK);
    expect(st.filter((x) => x.op === OP_FRAGMENT).map((x) => x.code)).toEqual(frags.map(() => ST_REPLAYED));
    expect(g.mail.stats.sent).toBe(sent0 + 1);
  });

  it('SEND bodies: bad addresses and non-age content are refused', () => {
    const s = session();
    const age = ageEncrypt([rnd(32)], utf8Encode('x'), rnd);
    const badTo = new Uint8Array([1, 10, ...utf8Encode('a@b\r\nRCPT'), ...age]);
    s.frag(fragment(rnd(8), badTo, 468)[0]);
    s.frag(fragment(rnd(8), new Uint8Array([1, 17, ...utf8Encode('alice@example.org'), ...utf8Encode('plain text, not age at all, long enough to pass the size')]), 468)[0]);
    expect(() => encodeSend({ to: 'alice@[127.0.0.1]', age })).toThrow(/bad_address/);
    expect(s.statuses().map((x) => [x.op, x.text.split(':')[0]])).toEqual([
      [OP_SEND, 'bad_address'],
      [OP_SEND, 'not_age'],
    ]);
  });

  it('memory stays bounded: partial messages over all sessions share a budget; session end releases them', () => {
    const sessions = [session('bbbbbbbbbbbbbbbb'), session('cccccccccccccccc'), session('dddddddddddddddd')];
    for (const s of sessions) s.frag(fragment(rnd(8), new Uint8Array(16000).fill(4), 468)[0]);
    expect(g.mail.heldBytes).toBe(32000);
    expect(sessions[2].statuses()[0]).toMatchObject({ op: OP_FRAGMENT, code: ST_BUSY });
    // Per session at most 2 messages in flight.
    const s0 = sessions[0];
    s0.frag(fragment(rnd(8), new Uint8Array(1000).fill(4), 468)[0]);
    expect(g.mail.heldBytes).toBe(33000);
    s0.frag(fragment(rnd(8), new Uint8Array(1000).fill(4), 468)[0]);
    expect(s0.statuses().at(-1)!.text).toMatch(/too_many_pending/);
    for (const s of sessions) s.end();
    expect(g.mail.heldBytes).toBe(0);
  });

  it('the reassembler drops messages that do not complete in time', () => {
    const r = new Reassembler({ timeoutMs: 1000 });
    const f = fragment(rnd(8), new Uint8Array(500).fill(5), 300);
    r.add(f[0], 0);
    expect(r.heldBytes()).toBe(500);
    expect(() => r.add(f[1], 5000)).toThrow(/unknown_message/);
    expect(r.heldBytes()).toBe(0);
  });

  it('bad control cells are refused', () => {
    const s = session();
    s.ctrl(new Uint8Array([0x10, 1, 2]));
    s.ctrl(new Uint8Array([0x7f]));
    const st = s.statuses();
    expect(st.map((x) => x.text.split(':')[0])).toEqual(['truncated', 'bad_kind']);
  });
});

describe('SMTP refusals', () => {
  let addr: { host: string; port: number };
  const boxed = 'eeeeeeeeeeeeeeee';
  beforeAll(() => {
    addr = g.mail.inboundAddress!;
    // A TmpId whose session ended but has a drop box: the only kind of recipient here without a PDA.
    const b = deriveBox(rnd(32));
    const s = session(boxed);
    s.ctrl(encodeBox(b.boxId, b.boxKey));
    s.end();
  });
  const dialog = (rcpt: string, data?: string) =>
    smtpDialog(addr.host, addr.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<alice@example.org>\r\n',
      `RCPT TO:<${rcpt}>\r\n`,
      ...(data !== undefined ? ['DATA\r\n', data + '\r\n.\r\n'] : []),
      'QUIT\r\n',
    ]);

  it('unknown and expired TmpIds, other domains and non-TmpId names get 550', async () => {
    const live = await joinlessUnknown();
    expect(live[3]).toMatch(/^550 5\.1\.1 unknown or expired TmpId/);
    expect((await dialog('abc@elsewhere.org'))[3]).toMatch(/^550 5\.7\.1 relaying denied/);
    expect((await dialog('Not.A-TmpId@' + DOMAIN))[3]).toMatch(/^550 5\.1\.1 no such TmpId/);
    expect((await dialog(boxed + '@' + DOMAIN.toUpperCase()))[3]).toMatch(/^250/);
  });
  const joinlessUnknown = () => dialog('zzzzzzzzzzzzzzzz@' + DOMAIN);

  it('a second recipient is refused (one TmpId per message)', async () => {
    const r = await smtpDialog(addr.host, addr.port, [
      'EHLO c\r\n',
      'MAIL FROM:<a@example.org>\r\n',
      `RCPT TO:<${boxed}@${DOMAIN}>\r\n`,
      `RCPT TO:<${boxed}@${DOMAIN}>\r\n`,
      'QUIT\r\n',
    ]);
    expect(r[4]).toMatch(/^452/);
  });

  it('huge messages get 552 (declared SIZE and actual data), and nothing is stored', async () => {
    const declared = await smtpDialog(addr.host, addr.port, ['EHLO c\r\n', 'MAIL FROM:<a@example.org> SIZE=10000000\r\n', 'QUIT\r\n']);
    expect(declared[2]).toMatch(/^552/);
    const stored0 = g.mail.stats.stored;
    const big = 'Subject: x\r\n\r\n' + ('A'.repeat(998) + '\r\n').repeat(100);
    const r = await dialog(boxed + '@' + DOMAIN, big);
    expect(r[5]).toMatch(/^552 5\.3\.4/);
    expect(g.mail.stats.stored).toBe(stored0);
  });

  it('malformed mail (no age content, broken armor, armored non-age, bad MIME) gets 554 with the reason', async () => {
    const notAge = armor(utf8Encode('this is not an age file but is long enough to look like one'));
    const cases: [string, RegExp][] = [
      ['Subject: hi\r\n\r\nplain text reply', /^554 5\.6\.0 refused: no_age_content/],
      ['Subject: hi\r\n\r\n-----BEGIN AGE ENCRYPTED FILE-----\r\n!!!!\r\n-----END AGE ENCRYPTED FILE-----', /^554 5\.6\.0 refused: bad_/],
      ['Subject: hi\r\n\r\n' + notAge.replace(/\n/g, '\r\n'), /^554 5\.6\.0 refused: not_age/],
      ['Content-Type: multipart/mixed\r\n\r\nno boundary', /^554 5\.6\.0 refused: bad_mime/],
      ['Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin', /^554 5\.6\.0 refused: bad_mime/],
    ];
    for (const [data, re] of cases) expect((await dialog(boxed + '@' + DOMAIN, data))[5], data.slice(0, 40)).toMatch(re);
  });

  it('nodemailer sees the 550 for an unknown TmpId as a rejected recipient', async () => {
    const t = nodemailer.createTransport({ host: addr.host, port: addr.port, ignoreTLS: true });
    await expect(t.sendMail({ from: 'a@example.org', to: 'zzzzzzzzzzzzzzzz@' + DOMAIN, text: 'x' })).rejects.toMatchObject({ responseCode: 550 });
    t.close();
  });
});

describe('the PDA app refuses bad input (real bundle)', () => {
  const pdas: EmuPda[] = [];
  afterEach(() => {
    for (const p of pdas.splice(0)) p.powerOff();
  });

  it('commands: no session, invalid recipient, bad address, oversized body', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    const rcpt = 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj';
    let since = pda.events.length;
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient: rcpt, body: 'x' });
    expect(await pda.waitFor('error', 5000, since)).toMatchObject({ code: 'command_failed', msg: 'no session' });
    await joinSession(pda);
    const tries: [object, string, RegExp][] = [
      [{ to: 'alice@example.org', recipient: rcpt.slice(0, -1) + 'q' }, 'mail.error', /checksum/],
      [{ to: 'alice@example.org', recipient: 'age1notakey' }, 'mail.error', /bad_recipient/],
      [{ to: 'alice@example.org', recipient: 42 }, 'mail.error', /bad_bech32|length/],
      [{ to: 'alice@example.org\r\nRCPT TO:<x@y.z>', recipient: rcpt }, 'error', /not a plain e-mail address/],
      [{ to: 'alice@example.org', recipient: rcpt, body: 'x'.repeat(8193) }, 'error', /body must be a string of at most 8192/],
      [{ to: 'alice@example.org', recipient: rcpt, subject: 'a\nBcc: x' }, 'error', /subject must be one line/],
    ];
    for (const [args, ev, re] of tries) {
      since = pda.events.length;
      pda.cmd({ cmd: 'mail.send', ...args });
      const e = await pda.waitFor((x) => x.ev === 'mail.error' || x.ev === 'error' || x.ev === 'mail.sending', 5000, since);
      expect(e.ev, JSON.stringify(args).slice(0, 60)).toBe(ev);
      expect(e.msg).toMatch(re);
    }
    await endSession(pda);
  });

  it('DELIVER: oversized, stray and undecryptable deliveries are refused or set aside; the PDA keeps working', async () => {
    const pda = pdaFor(g.gw, BUNDLE);
    pdas.push(pda);
    const j = await joinSession(pda);
    const dl = (p: Uint8Array) => g.gw.core.deliver(j.tmpId, CH_MAIL_DELIVER, p);
    const waitErr = async (since: number) => pda.waitFor((x) => x.ev === 'mail.error' || x.ev === 'mail.reply', 5000, since);

    let since = pda.events.length;
    dl(fragment(rnd(8), new Uint8Array(20000).fill(1), 212)[0]);
    expect(await waitErr(since)).toMatchObject({ ev: 'mail.error', code: 'too_large' });
    // A fragment of a message whose start never came: DELIVER reassembly is resumable (docs/mail.md §4,
    // the MSS resends from fragment 0), so it is set aside without a word; the next event is the
    // truncated cell's.
    since = pda.events.length;
    dl(fragment(rnd(8), new Uint8Array(1000).fill(1), 212)[2]);
    dl(rnd(6));
    expect(await waitErr(since)).toMatchObject({ ev: 'mail.error', code: 'truncated' });
    // Well-formed, but encrypted to someone else: no reply key of this session opens it.
    since = pda.events.length;
    const foreign = encodeDeliver({ source: SRC_LIVE, age: ageEncrypt([rnd(32)], utf8Encode('Subject: x\n\nhi'), rnd) });
    for (const f of fragment(rnd(8), foreign, 212)) dl(f);
    expect(await waitErr(since)).toMatchObject({ ev: 'mail.error', code: 'no_reply_key' });
    // A delivery for a drop-box slot the PDA has no ticket for.
    since = pda.events.length;
    const slot = encodeDeliver({ source: 3, age: ageEncrypt([rnd(32)], utf8Encode('x'), rnd) });
    for (const f of fragment(rnd(8), slot, 212)) dl(f);
    expect(await waitErr(since)).toMatchObject({ ev: 'mail.error', code: 'no_reply_key' });
    // Still alive.
    since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: toHex(utf8Encode('ping')) });
    expect((await pda.waitFor('data', 5000, since)).payload).toBe(toHex(utf8Encode('ping')));
    await endSession(pda);
  });
});
