/**
 * `hood demo`: gateway + embedded broker + embedded bank + mail in-process, one emulated PDA running the
 * built firmware bundle: beacon -> join -> TmpId (steps 1-3) -> pay with e-cash Bob withdrew (step 4) ->
 * DATA echo -> mail to Alice and her reply, drop box across two sessions (steps 5-7, §6.2) -> BYE -> wipe
 * (step 8).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { formatMac } from '../../shared/src/tmpmac';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import { ensureFirmware } from '../build/firmware';
import { silentLogger, type Logger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { startMss } from '../mss/start';
import { Wallet } from '../wallet/wallet';
import { configureFor, endSession, joinSession } from './emu-session';
import { BoardLink } from '../board/link';
import { openEmu } from '../board/transports/emu';
import { loadWalletToBoard } from '../wallet/board-load';
import { runMailDemoStep } from './mail-step';
import { startDemoExchanges, type DemoExchanges } from './exchanges';

export interface DemoResult {
  ok: boolean;
  mssId: string;
  tmpMac: string;
  tmpMacUnicast: boolean;
  tmpMacLocallyAdministered: boolean;
  tmpId: string;
  mqttClientId: string;
  joinMs: number;
  echo: boolean;
  wiped: boolean;
  burnedInMac: string;
  burnedInMacSeen: boolean;
  macsOnAir: string[];
  mssSessionsAfter: number;
  /** Step 4: the PDA paid the MSS with coins Bob withdrew from his account. */
  paid: boolean;
  amount: number;
  paidForSec: number;
  /** Steps 5-7 and the drop box (§6.2). */
  sent: boolean;
  aliceRead: boolean;
  replyReceived: boolean;
  dropBox: boolean;
  fromAddress: string;
  /**
   * With `--exchanges N` (docs/exchange.md): the exchange servers run, how many of them held a share of
   * the drop-box reply (the MSS kept none), the pickup round's requests, and those that carried no share.
   */
  exchangeServers?: number;
  dropBoxShares?: number;
  pickupRequests?: number;
  coverRequests?: number;
  error?: string;
}

const PRICE = { perMinute: 1, unit: 'sat', minSeconds: 60, graceSec: 30 };

export async function runDemo(opts: { onStep?: (step: string, detail: string) => void; log?: Logger; exchanges?: number } = {}): Promise<DemoResult> {
  const step = opts.onStep || (() => undefined);
  const { outFile } = await ensureFirmware();
  // The MSS keys and Bob's wallet: removed in the finally below, or at exit / on Ctrl-C (host/common/temp-dir.ts).
  const dataDir = makeTempDir('hood-demo-');
  let exchanges: DemoExchanges | null = null;
  try {
    if (opts.exchanges !== undefined) exchanges = await startDemoExchanges(opts.exchanges, join(dataDir, 'exchanges'), 'demo-mss');
  } catch (e) {
    removeTempDir(dataDir);
    throw e;
  }
  const mss = await startMss({
    dataDir,
    log: opts.log || silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    payment: { price: PRICE, bankListen: { host: '127.0.0.1', port: 0 }, account: 'doug' },
    // The demo walks one session through in seconds, so no mix delay (docs/anonymity.md); `hood mss` mixes.
    mail: { smtpListen: '127.0.0.1:0', mixMeanDelaySec: 0, ...(exchanges ? { exchange: exchanges.specs } : {}) },
  });
  if (exchanges) step('exchange', `${exchanges.specs.length} exchange servers up; the drop box is split over them`);
  const gw = mss.gw;
  const bankUrl = mss.payment!.bankUrl;
  step('mss', `gateway "${gw.mssId}" up: embedded broker ${gw.brokerUrl}, bank ${bankUrl}, ${PRICE.perMinute} ${PRICE.unit}/min`);
  let clientId = '';
  const onEvent = (e: PdaEvent) => {
    if (e.ev === 'connected') {
      clientId = e.clientId;
      step('radio', `TmpMAC ${e.tmpMac} loaded into the unicast address register; associated; MQTT client id ${e.clientId}`);
    } else if (e.ev === 'beacon') step('beacon', `MSS ${e.mssId}, identity key ${String(e.identityKey).slice(0, 16)}… (${e.pinned ? 'pinned' : 'not pinned'})`);
    else if (e.ev === 'state' && e.state === 'joining') step('join', 'JOIN {K_BD, TmpMAC, nonce} sealed to the MSS key sent');
    else if (e.ev === 'joined') step('accept', `TmpId ${e.tmpId} after ${e.joinMs} ms`);
    else if (e.ev === 'data') step('data', `echo of ${String(e.payload).length / 2} bytes came back`);
    else if (e.ev === 'state' && e.state === 'closing') step('bye', 'BYE sent');
    else if (e.ev === 'wiped') step('wipe', e.ok ? `${e.buffers} secret buffers overwritten` : 'wipe check FAILED');
    else if (e.ev === 'paid') step('paid', `MSS swapped ${e.amount} ${PRICE.unit} at the bank; ${e.paidForSec} s of session bought`);
    else if (e.ev === 'pay_refused') step('error', 'payment refused: ' + e.text);
    else if (e.ev === 'error') step('error', e.msg);
  };
  // The PDA is reached through the same board link (console protocol) a real board uses.
  const transport = await openEmu({ bundlePath: outFile, onEvent });
  const link = new BoardLink(transport, { timeoutMs: 10_000 });
  const pda = configureFor(gw, transport.pda);
  const result: DemoResult = {
    ok: false,
    mssId: gw.mssId,
    tmpMac: '',
    tmpMacUnicast: false,
    tmpMacLocallyAdministered: false,
    tmpId: '',
    mqttClientId: '',
    joinMs: 0,
    echo: false,
    wiped: false,
    burnedInMac: formatMac(pda.nic.burnedIn),
    burnedInMacSeen: false,
    macsOnAir: [],
    mssSessionsAfter: -1,
    paid: false,
    amount: 0,
    paidForSec: 0,
    sent: false,
    aliceRead: false,
    replyReceived: false,
    dropBox: false,
    fromAddress: '',
  };
  try {
    // Bob withdraws e-cash from his account at Clare's bank on his laptop (the laptop blinds; the PDA
    // never does) and loads coins onto the PDA's flash.
    const account = await mss.payment!.bank!.mint.createAccount('bob');
    await mss.payment!.bank!.mint.creditAccount('bob', 100);
    const bob = new Wallet(join(dataDir, 'bob-wallet'));
    await bob.withdraw(bankUrl, account.token, 64);
    const load = await loadWalletToBoard(bob, link, bankUrl, 40);
    step('wallet', `Bob withdrew 64 ${PRICE.unit} (blind signatures, DLEQ-checked); \`wallet load\` moved 40 onto the PDA, confirmed by the board (balance ${load.boardBalance})`);

    const joined = await joinSession(pda);
    result.tmpMac = joined.tmpMac;
    result.tmpId = joined.tmpId;
    result.joinMs = joined.joinMs;
    result.mqttClientId = clientId;
    const mac = parseMac(joined.tmpMac);
    result.tmpMacUnicast = isUnicast(mac);
    result.tmpMacLocallyAdministered = isLocallyAdministered(mac);

    const paid = await pda.waitFor((e) => e.ev === 'paid' || e.ev === 'pay_refused' || (e.ev === 'error' && e.code === 'wallet_insufficient'), 20_000);
    result.paid = paid.ev === 'paid';
    result.amount = paid.amount || 0;
    result.paidForSec = paid.paidForSec || 0;

    const since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: '68656c6c6f20646f7567' });
    const echo = await pda.waitFor('data', 10_000, since);
    result.echo = echo.payload === '68656c6c6f20646f7567';

    const ex = exchanges;
    const m = await runMailDemoStep(gw, pda, mss.mail!, {
      onStep: step,
      paid: result.paid,
      // With exchange servers: wait until every server holds its share and the MSS dropped its copy.
      afterDropBoxReply: ex
        ? async () => {
            const boxes = join(dataDir, 'mail', 'dropbox');
            const localEntries = () => (existsSync(boxes) ? readdirSync(boxes).flatMap((b) => readdirSync(join(boxes, b))).length : 0);
            for (let i = 0; i < 200 && (localEntries() > 0 || ex.held().some((h) => h === 0)); i++) await new Promise((r) => setTimeout(r, 50));
            result.exchangeServers = ex.specs.length;
            result.dropBoxShares = localEntries() === 0 ? ex.held().filter((h) => h > 0).length : 0;
            step('split', `the reply is split over ${result.dropBoxShares} exchange servers; the MSS keeps none of it`);
          }
        : undefined,
    });
    if (ex) {
      const r = mss.mail!.dropBox.roundStats();
      result.pickupRequests = r ? r.requests : 0;
      result.coverRequests = r ? r.coverRequests : 0;
      step('round', `pickup round: ${result.pickupRequests} requests, ${result.coverRequests} of them cover (no share)`);
    }
    result.sent = m.sent;
    result.aliceRead = m.aliceRead;
    result.replyReceived = m.replyReceived;
    result.dropBox = m.dropBox;
    result.fromAddress = m.fromAddress;
    if (m.error) throw new Error('mail: ' + m.error);

    // Keep references to every secret buffer, to check afterwards that they were overwritten in place.
    const secrets: Uint8Array[] = pda.firmware.session.secrets.slice();
    const wiped = await endSession(pda);
    const allZero = secrets.length > 0 && secrets.every((b) => b.every((x) => x === 0));
    result.wiped = wiped.ok === true && allZero && pda.firmware.session.state === 'wiped';
    result.mssSessionsAfter = gw.core.sessions.size;
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    result.macsOnAir = pda.ap.sourceMacs();
    result.burnedInMacSeen = pda.burnedInMacSeen();
    await link.close();
    await mss.stop();
    if (exchanges) await exchanges.close();
    removeTempDir(dataDir);
  }
  result.ok =
    !result.error &&
    result.echo &&
    result.wiped &&
    !result.burnedInMacSeen &&
    result.tmpMacUnicast &&
    result.tmpMacLocallyAdministered &&
    result.mssSessionsAfter === 0 &&
    result.paid &&
    result.sent &&
    result.replyReceived &&
    result.dropBox &&
    (!exchanges || (result.dropBoxShares === exchanges.specs.length && (result.pickupRequests ?? 0) > 0));
  return result;
}
