/**
 * Mail on the PDA (paper steps 5–7 and §6.2; docs/mail.md). Console commands:
 *   {"cmd":"mail.send","to":"alice@example.org","recipient":"age1…","subject":"…","body":"…"}
 *   {"cmd":"mail.pickup"}   collect drop-box replies of one earlier session ("count":n or "all":true: more)
 *   {"cmd":"mail.forget"}   erase the drop-box tickets kept from earlier sessions
 * Events: mail.sending, mail.sent, mail.reply, mail.pickup, mail.error (never a key or secret).
 *
 * Keys. The body is age-encrypted to Alice's recipient (2 scalar multiplications). The reply key
 * K_BA is an age X25519 identity generated once per session on first send (1 multiplication); its
 * recipient travels inside the encrypted body, so Alice's reply is encrypted to it and the MSS can
 * read neither direction. A reply costs 1 multiplication to open (the public half is kept).
 *
 * Drop box. With the first send of a session the PDA draws a pickup secret and registers the box
 * derived from it (BOX). When the session is wiped, everything of the session is erased except a
 * "ticket" {pickup secret, K_BA} kept in RAM only (never in Storage): it is what a later session
 * needs to collect and read replies that arrived after this one ended. Tickets are bounded in number
 * and age and erased by mail.forget or power-off. A ticket is retired once its pickup succeeded: the
 * MSS has handed over and deleted what the box held, and presenting the secret again would only
 * show the MSS once more that this session is the one that registered it. One pickup presents one
 * ticket unless the user asks for more: every ticket presented in a session links that session to
 * the session the ticket came from (§6.2), so several at once link them all to each other.
 */
import { DecodeError, toHex, wipe } from '../../../shared/src/bytes';
import { ageDecrypt, ageEncrypt, ageIdentityFromSecret, type AgeIdentity } from '../../../shared/src/age/age';
import { encodeRecipient, parseRecipient } from '../../../shared/src/age/keys';
import {
  CH_MAIL_CTRL_DOWN,
  CH_MAIL_CTRL_UP,
  CH_MAIL_DELIVER,
  CH_MAIL_SEND,
  MIN_DATA_PAYLOAD,
  MSG_ID_LEN,
  OP_BOX,
  OP_PICKUP,
  OP_SEND,
  PICKUP_SECRET_LEN,
  SRC_LIVE,
  ST_OK,
} from '../../../shared/src/mail/constants';
import { deriveBox } from '../../../shared/src/mail/dropbox-keys';
import { Reassembler, decodeFragment, fragment } from '../../../shared/src/mail/fragment';
import { encodeLetter, parseLetter } from '../../../shared/src/mail/letter';
import { decodeDeliver, decodeStatus, encodeAck, encodeBox, encodePickup, encodeSend, isMailAddress } from '../../../shared/src/mail/payloads';
import { registerLazyApp, type App, type AppContext } from '../apps';

export const MAX_BODY_CHARS = 8192;
export const MAX_SUBJECT_CHARS = 200;
/** Largest reply the PDA reassembles and decrypts. */
export const MAX_REPLY_BYTES = 16384;
export const MAX_TICKETS = 4;
/** Tickets older than this are erased (the MSS keeps boxes for a shorter time by default). */
export const TICKET_MAX_AGE_MS = 7 * 24 * 3600 * 1000;

interface Ticket {
  secret: Uint8Array;
  reply: AgeIdentity;
  createdAt: number;
}

interface SessionMail {
  /** K_BA: the reply identity of this session. */
  reply: AgeIdentity | null;
  /** Pickup secret of this session's drop box. */
  secret: Uint8Array | null;
  rx: Reassembler;
  sends: number;
  /** Tickets presented in this session; a PICKUP's slot is its index here. */
  shown: Ticket[];
  /** By slot: a not-OK answer freed the ticket to be presented again (it stays a ticket). */
  freed: boolean[];
  /** By slot: DELIVERs shown, and (after STATUS ok) DELIVERs still owed before the retired ticket is wiped. */
  got: number[];
  owed: number[];
}

/** The app's code and state, made on its first use (apps.ts, registerLazyApp). */
function buildMail(): App {
  let cur: SessionMail | null = null;
  const tickets: Ticket[] = [];

  function newSession(): SessionMail {
    return { reply: null, secret: null, rx: new Reassembler({ maxMessageBytes: MAX_REPLY_BYTES, maxPending: 2, resume: true }), sends: 0, shown: [], freed: [], got: [], owed: [] };
  }

  function wipeIdentity(id: AgeIdentity | null): void {
    if (!id) return;
    wipe(id.secretKey);
    wipe(id.publicKey);
  }

  function wipeTicket(t: Ticket): void {
    wipe(t.secret);
    wipeIdentity(t.reply);
  }

  function expireTickets(now: number): void {
    for (let i = tickets.length - 1; i >= 0; i--) {
      if (now - tickets[i].createdAt > TICKET_MAX_AGE_MS || now < tickets[i].createdAt) {
        wipeTicket(tickets[i]);
        tickets.splice(i, 1);
      }
    }
  }

  /** Largest DATA payload of the current session (the app context may not know the cell size; then the minimum). */
  function maxPayload(ctx: AppContext): number {
    const f = (ctx as { maxPayload?: () => number }).maxPayload;
    return typeof f === 'function' ? f() : MIN_DATA_PAYLOAD;
  }

  function requireSession(ctx: AppContext): SessionMail {
    if (ctx.state() !== 'in_session' || !cur) throw new Error('no session');
    return cur;
  }

  function checkText(v: unknown, name: string, max: number, oneLine: boolean): string {
    if (v === undefined) return '';
    if (typeof v !== 'string' || v.length > max) throw new Error(name + ' must be a string of at most ' + max + ' characters');
    if (oneLine && /[\r\n]/.test(v)) throw new Error(name + ' must be one line');
    return v;
  }

  function send(c: any, ctx: AppContext): void {
    const s = requireSession(ctx);
    if (!isMailAddress(c.to)) throw new Error('to: not a plain e-mail address');
    let rcpt: Uint8Array;
    try {
      rcpt = parseRecipient(c.recipient);
    } catch (e) {
      ctx.emit({ ev: 'mail.error', code: 'bad_recipient', msg: (e as Error).message });
      return;
    }
    const subject = checkText(c.subject, 'subject', MAX_SUBJECT_CHARS, true);
    const body = checkText(c.body, 'body', MAX_BODY_CHARS, false);
    const t0 = ctx.board.clock.now();
    const rnd = ctx.board.random;
    if (!s.reply) s.reply = ageIdentityFromSecret(rnd(32));
    if (!s.secret) {
      s.secret = rnd(PICKUP_SECRET_LEN);
      const box = deriveBox(s.secret);
      ctx.send(CH_MAIL_CTRL_UP, encodeBox(box.boxId, box.boxKey));
      wipe(box.boxKey);
    }
    const letter = encodeLetter(
      [
        ['Subject', subject],
        ['Reply-Recipient', encodeRecipient(s.reply.publicKey)],
      ],
      body,
    );
    const age = ageEncrypt([rcpt], letter, rnd);
    wipe(letter);
    const msg = encodeSend({ to: c.to, age: age });
    const msgId = rnd(MSG_ID_LEN);
    const frags = fragment(msgId, msg, maxPayload(ctx));
    for (let i = 0; i < frags.length; i++) ctx.send(CH_MAIL_SEND, frags[i]);
    s.sends++;
    ctx.emit({ ev: 'mail.sending', msgId: toHex(msgId), to: c.to, bytes: msg.length, fragments: frags.length, ms: ctx.board.clock.now() - t0 });
  }

  function pickup(c: any, ctx: AppContext): void {
    const s = requireSession(ctx);
    let want = 1;
    if (c.all === true) want = MAX_TICKETS;
    else if (c.count !== undefined) {
      if (typeof c.count !== 'number' || !(c.count >= 1 && c.count <= MAX_TICKETS) || c.count % 1 !== 0) throw new Error('count must be 1..' + MAX_TICKETS);
      want = c.count;
    }
    expireTickets(ctx.board.clock.now());
    // Oldest first (it expires first); a ticket already presented in this session is not sent again.
    let n = 0;
    for (let i = 0; i < tickets.length && n < want; i++) {
      if (presented(s, tickets[i])) continue;
      s.shown.push(tickets[i]);
      ctx.send(CH_MAIL_CTRL_UP, encodePickup(s.shown.length - 1, tickets[i].secret));
      n++;
    }
    ctx.emit({ ev: 'mail.pickup_requested', boxes: n, tickets: tickets.length });
  }

  /** Presented in this session and not freed again by a not-OK answer. */
  function presented(s: SessionMail, t: Ticket): boolean {
    for (let j = 0; j < s.shown.length; j++) if (s.shown[j] === t && !s.freed[j]) return true;
    return false;
  }

  /**
   * The pickup of slot `slot` succeeded: the box was emptied, the ticket is not presented again. Its
   * reply key is wiped once the `count` DELIVERs of that pickup are shown — resends of lost ones may
   * still be on their way (docs/mail.md §3, acknowledged DELIVER) — or when the session ends.
   */
  function retire(s: SessionMail, slot: number, count: number): void {
    const t = s.shown[slot];
    const i = t ? tickets.indexOf(t) : -1;
    if (i < 0) return;
    tickets.splice(i, 1);
    const left = count - (s.got[slot] || 0);
    if (left > 0) s.owed[slot] = left;
    else wipeTicket(t);
  }

  function forget(c: any, ctx: AppContext): void {
    const n = tickets.length;
    for (let i = 0; i < tickets.length; i++) wipeTicket(tickets[i]);
    tickets.splice(0, tickets.length);
    ctx.emit({ ev: 'mail.forgotten', boxes: n });
  }

  function onDeliver(s: SessionMail, payload: Uint8Array, ctx: AppContext): void {
    // docs/mail.md §3, acknowledged DELIVER: the MSS resends a DELIVER, all its fragments, until it is acknowledged. A resend
    // of one already shown (its ACK was lost) is acknowledged again and shown nothing twice.
    const f = decodeFragment(payload);
    if (s.rx.seen(f.msgId)) {
      if (f.index === 0) ctx.send(CH_MAIL_CTRL_UP, encodeAck(f.msgId));
      return;
    }
    // Resumable reassembly: a fragment lost on the air is filled in by the resend.
    const r = s.rx.add(payload, ctx.board.clock.now());
    if (!r.done) return;
    ctx.send(CH_MAIL_CTRL_UP, encodeAck(r.msgId));
    const d = decodeDeliver(r.message);
    let id: AgeIdentity | null = null;
    if (d.source === SRC_LIVE) id = s.reply;
    else if (d.source < s.shown.length) id = s.shown[d.source].reply;
    if (!id) throw new DecodeError('no_reply_key', 'no reply key for this delivery');
    const t0 = ctx.board.clock.now();
    const plain = ageDecrypt(d.age, [id], MAX_REPLY_BYTES);
    const letter = parseLetter(plain);
    wipe(plain);
    ctx.emit({
      ev: 'mail.reply',
      source: d.source === SRC_LIVE ? 'live' : 'dropbox',
      from: letter.headers['from'] || '',
      subject: letter.headers['subject'] || '',
      body: letter.body,
      ms: ctx.board.clock.now() - t0,
    });
    if (d.source !== SRC_LIVE) {
      const slot = d.source;
      s.got[slot] = (s.got[slot] || 0) + 1;
      if (s.owed[slot] > 0) {
        s.owed[slot]--;
        if (s.owed[slot] === 0) wipeTicket(s.shown[slot]);
      }
    }
  }

  function onStatus(payload: Uint8Array, ctx: AppContext): void {
    const st = decodeStatus(payload);
    if (st.op === OP_SEND) ctx.emit({ ev: 'mail.sent', msgId: toHex(st.msgId), ok: st.code === ST_OK, code: st.code, text: st.text });
    else if (st.op === OP_PICKUP) {
      // STATUS follows the DELIVERs of that pickup on the same stream, so nothing more needs the ticket.
      if (st.code === ST_OK && cur) retire(cur, st.msgId[0], st.count);
      // Not OK (busy, e.g. the MSS could not reach its exchange servers): the box was not emptied, so
      // the ticket stays, and it may be presented again in this session.
      else if (cur && st.msgId[0] < cur.shown.length) cur.freed[st.msgId[0]] = true;
      ctx.emit({ ev: 'mail.pickup', slot: st.msgId[0], ok: st.code === ST_OK, count: st.count, text: st.text, tickets: tickets.length });
    }
    else if (st.op === OP_BOX) {
      if (st.code !== ST_OK) ctx.emit({ ev: 'mail.error', code: 'box_refused', msg: st.text });
    } else ctx.emit({ ev: 'mail.error', code: 'mss_' + st.code, msg: st.text });
  }

  return {
    name: 'mail',
    commands: {
      'mail.send': send,
      'mail.pickup': pickup,
      'mail.forget': forget,
      'mail.status': function (c: any, ctx: AppContext) {
        expireTickets(ctx.board.clock.now());
        ctx.emit({ ev: 'mail.status', tickets: tickets.length, inSession: !!cur, replyKey: !!(cur && cur.reply), sends: cur ? cur.sends : 0 });
      },
    },
    channels: [CH_MAIL_DELIVER, CH_MAIL_CTRL_DOWN],
    onJoined: function () {
      cur = newSession();
    },
    onData: function (channel: number, payload: Uint8Array, ctx: AppContext) {
      try {
        if (channel === CH_MAIL_CTRL_DOWN) onStatus(payload, ctx);
        else if (cur) onDeliver(cur, payload, ctx);
      } catch (e) {
        ctx.emit({ ev: 'mail.error', code: e instanceof DecodeError ? e.reason : 'failed', msg: (e as Error).message });
      }
    },
    onWiped: function (ctx: AppContext) {
      if (!cur) return;
      const s = cur;
      cur = null;
      s.rx.clear();
      // Retired tickets whose DELIVERs never all came: nothing more will come for them.
      for (let j = 0; j < s.shown.length; j++) if (s.owed[j] > 0) wipeTicket(s.shown[j]);
      s.shown = [];
      s.freed = [];
      s.got = [];
      s.owed = [];
      if (s.secret && s.reply) {
        // The only thing that outlives the session (RAM only): what a later session needs for §6.2 pickup.
        tickets.push({ secret: s.secret, reply: s.reply, createdAt: ctx.board.clock.now() });
        while (tickets.length > MAX_TICKETS) wipeTicket(tickets.shift()!);
      } else {
        wipe(s.secret);
        wipeIdentity(s.reply);
      }
      s.secret = null;
      s.reply = null;
    },
  };
}

registerLazyApp('mail', ['mail.send', 'mail.pickup', 'mail.forget', 'mail.status'], [CH_MAIL_DELIVER, CH_MAIL_CTRL_DOWN], buildMail);
