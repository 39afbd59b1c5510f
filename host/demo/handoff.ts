/**
 * `hood demo --handoff`: paper §6.3 end to end, in-process (docs/handoff.md). Two MSSs of one federation
 * (doug, erin), each with its own broker, bank and mail; Bob's emulated PDA (the built firmware bundle)
 * pins only the federation key, withdraws and loads coins, joins doug, pays and writes to Alice, then moves
 * to erin: a fresh TmpMAC, client id and K_BD, the same TmpId and paid-until. Alice answers the address
 * she has — doug's — and the reply follows Bob to erin. The ticket the PDA presented at erin, kept by the
 * demo as anyone on erin's host could keep it, is presented again and refused by doug.
 */
import { join } from 'node:path';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import type { TicketRef } from '../../shared/src/protocol/messages';
import { toHex } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';
import { BoardLink } from '../board/link';
import { openEmu } from '../board/transports/emu';
import { ensureFirmware } from '../build/firmware';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { readMaildir } from '../mail/maildir';
import { generateKey, parseKeyFile } from '../recipient/keys';
import { openMessage } from '../recipient/open';
import { sendReply } from '../recipient/reply';
import { loadWalletToBoard } from '../wallet/board-load';
import { Wallet } from '../wallet/wallet';
import { brokerAddress, endSession, joinSession } from './emu-session';
import { DEMO_FEDERATION, startDemoFederation } from './federation';
import type { MssCore } from '../mss/core';

export interface HandoffDemoResult {
  ok: boolean;
  tmpId: string;
  /** TmpMAC at doug, then at erin. */
  tmpMacs: string[];
  burnedInMac: string;
  burnedInMacSeen: boolean;
  macsOnAir: string[];
  paid: boolean;
  wiped: boolean;
  handoff: {
    ok: boolean;
    from: string;
    to: string;
    tmpIdKept: boolean;
    macChanged: boolean;
    clientIdChanged: boolean;
    /** doug holds no session for the TmpId any more; erin does. */
    sessionMoved: boolean;
    replyAfterHandoff: boolean;
    paidSecondsKept: boolean;
    ticketReuseRefused: boolean;
    handoffMs: number;
  };
  error?: string;
}

type Step = (step: string, detail: string) => void;

/**
 * Keep a copy of every ticket presented at this MSS (as anyone with its host could), to show afterwards that
 * a used ticket is refused; the MSS's own handling is unchanged.
 */
export function keepPresentedTickets(core: MssCore): { last(): TicketRef | null } {
  let last: TicketRef | null = null;
  const desk = core.tickets!;
  core.tickets = {
    redeem: (t) => {
      last = { issuer: t.issuer, id: t.id.slice(), secret: t.secret.slice() };
      return desk.redeem(t);
    },
    changed: (t) => desk.changed(t),
    confirmed: (t) => desk.confirmed(t),
  };
  return { last: () => last };
}

export async function runHandoffDemo(opts: { onStep?: Step } = {}): Promise<HandoffDemoResult> {
  const step: Step = opts.onStep || (() => undefined);
  const { outFile } = await ensureFirmware();
  const dir = makeTempDir('hood-handoff-');
  const result: HandoffDemoResult = {
    ok: false,
    tmpId: '',
    tmpMacs: [],
    burnedInMac: '',
    burnedInMacSeen: false,
    macsOnAir: [],
    paid: false,
    wiped: false,
    handoff: {
      ok: false,
      from: 'doug',
      to: 'erin',
      tmpIdKept: false,
      macChanged: false,
      clientIdChanged: false,
      sessionMoved: false,
      replyAfterHandoff: false,
      paidSecondsKept: false,
      ticketReuseRefused: false,
      handoffMs: 0,
    },
  };
  let fed: Awaited<ReturnType<typeof startDemoFederation>> | null = null;
  let link: BoardLink | null = null;
  try {
    fed = await startDemoFederation(['doug', 'erin'], join(dir, 'federation'), silentLogger(), { tickMs: 250 });
    const [a, b] = fed.members;
    step('mss', `federation "${DEMO_FEDERATION}": doug (${a.gw.brokerUrl}) and erin (${b.gw.brokerUrl}), each with its own bank and mail`);
    const transport = await openEmu({
      bundlePath: outFile,
      onEvent: (e: PdaEvent) => {
        if (e.ev === 'connected') step('radio', `TmpMAC ${e.tmpMac}, MQTT client id ${e.clientId}`);
        else if (e.ev === 'beacon') step('beacon', `MSS ${e.mssId}, vouched for by federation "${e.federation}"`);
        else if (e.ev === 'joined') step('accept', `TmpId ${e.tmpId}`);
        else if (e.ev === 'paid') step('paid', `${e.paidForSec} s of session bought at doug`);
        else if (e.ev === 'ticket') step('ticket', `session ticket from ${e.issuer}, valid ${e.validSec} s`);
        else if (e.ev === 'moving') step('moving', `leaving ${e.from} for ${e.to} (${e.why}); keys, TmpMAC and client id erased`);
        else if (e.ev === 'resumed') step('resumed', `at ${e.mssId}: TmpId ${e.tmpId} under TmpMAC ${e.tmpMac}, ${e.ms} ms`);
        else if (e.ev === 'error') step('error', String(e.msg));
      },
    });
    link = new BoardLink(transport, { timeoutMs: 10_000 });
    const pda = transport.pda;
    result.burnedInMac = formatMac(pda.nic.burnedIn);
    const ba = brokerAddress(a.gw.brokerUrl);
    pda.cmd({ cmd: 'config', brokerHost: ba.host, brokerPort: ba.port, mssId: 'doug' });
    pda.cmd({ cmd: 'pin_federation', name: DEMO_FEDERATION, key: toHex(fed.federationKey) });

    const acct = await a.payment!.bank!.mint.createAccount('bob');
    await a.payment!.bank!.mint.creditAccount('bob', 100);
    const bob = new Wallet(join(dir, 'bob-wallet'));
    await bob.withdraw(a.payment!.bankUrl, acct.token, 64);
    await loadWalletToBoard(bob, link, a.payment!.bankUrl, 40);
    const alice = generateKey();

    const joined = await joinSession(pda, 30_000);
    result.tmpId = joined.tmpId;
    result.tmpMacs.push(joined.tmpMac);
    const paid = await pda.waitFor((e) => e.ev === 'paid' || e.ev === 'pay_refused', 20_000);
    result.paid = paid.ev === 'paid';
    await pda.waitFor('ticket', 10_000);
    pda.cmd({ cmd: 'mail.send', to: 'alice@example.org', recipient: alice.recipient, subject: 'moving on', body: 'Write to me; I will be elsewhere.' });
    const sent = await pda.waitFor((e) => e.ev === 'mail.sent' || e.ev === 'mail.error', 20_000);
    if (sent.ev !== 'mail.sent' || !sent.ok) throw new Error('mail to Alice failed: ' + JSON.stringify(sent));
    let raw: Buffer | null = null;
    for (let i = 0; i < 200 && !raw; i++) {
      const files = readMaildir(a.mail!.localMaildir);
      if (files.length) raw = files[0].raw;
      else await new Promise((r) => setTimeout(r, 50));
    }
    if (!raw) throw new Error('no mail reached doug’s maildir');
    const opened = openMessage(raw, parseKeyFile(alice.keyFile));
    const paidUntil = (a.gw.core.sessions.findByTmpId(joined.tmpId)?.service.pay as { paidUntil?: number } | undefined)?.paidUntil ?? 0;

    // What a host at erin sees of the RESUME: the ticket. Kept to show that it is spent once used.
    const seen = keepPresentedTickets(b.gw.core);
    const since = pda.events.length;
    const t0 = Date.now();
    const bb = brokerAddress(b.gw.brokerUrl);
    pda.cmd({ cmd: 'handoff', mssId: 'erin', brokerHost: bb.host, brokerPort: bb.port });
    const moved = await pda.waitFor((e) => e.ev === 'resumed' || e.ev === 'wiped', 30_000, since);
    if (moved.ev !== 'resumed') throw new Error('hand-off failed: ' + JSON.stringify(pda.events.slice(since)));
    const h = result.handoff;
    h.handoffMs = Date.now() - t0;
    result.tmpMacs.push(moved.tmpMac);
    h.tmpIdKept = moved.tmpId === joined.tmpId && moved.mssId === 'erin';
    h.macChanged = moved.tmpMac !== joined.tmpMac;
    const clientIds = pda.events.filter((e) => e.ev === 'connected').map((e) => e.clientId);
    h.clientIdChanged = clientIds.length >= 2 && clientIds[clientIds.length - 1] !== clientIds[0];
    const atB = b.gw.core.sessions.findByTmpId(joined.tmpId);
    h.sessionMoved = !a.gw.core.sessions.findByTmpId(joined.tmpId) && !!atB;
    h.paidSecondsKept = paidUntil > 0 && (atB?.service.pay as { paidUntil?: number } | undefined)?.paidUntil === paidUntil;

    const r = await sendReply({ from: 'alice@example.org', to: opened.replyTo, replyRecipient: opened.replyRecipient, subject: 're: moving on', body: 'Found you.' }, a.mail!.inboundAddress!);
    step('reply', `Alice -> ${opened.replyTo} at doug: ${r.response}`);
    const reply = await pda.waitFor((e) => e.ev === 'mail.reply' || e.ev === 'mail.error', 20_000, since);
    h.replyAfterHandoff = reply.ev === 'mail.reply' && reply.body === 'Found you.';

    const presented = seen.last();
    if (presented) {
      const again = await b.handoff!.redeem(presented);
      h.ticketReuseRefused = typeof again === 'string';
      step('reuse', `the same ticket presented again: ${typeof again === 'string' ? 'refused (' + again + ')' : 'ACCEPTED'}`);
    }
    const secrets: Uint8Array[] = pda.firmware.session.secrets.slice();
    const wiped = await endSession(pda);
    result.wiped = wiped.ok === true && secrets.length > 0 && secrets.every((x) => x.every((v) => v === 0));
    h.ok = h.tmpIdKept && h.macChanged && h.clientIdChanged && h.sessionMoved && h.replyAfterHandoff && h.paidSecondsKept && h.ticketReuseRefused;
    result.macsOnAir = pda.ap.sourceMacs();
    result.burnedInMacSeen = pda.burnedInMacSeen();
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    await link?.close();
    await fed?.close();
    removeTempDir(dir);
  }
  result.ok = !result.error && result.handoff.ok && result.paid && result.wiped && !result.burnedInMacSeen;
  return result;
}
