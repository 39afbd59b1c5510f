/**
 * `hood demo`: gateway + embedded broker in-process, one emulated PDA running the built firmware bundle,
 * through beacon -> join -> TmpId -> DATA echo -> BYE -> wipe (paper steps 1-3 and 8).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMac } from '../../shared/src/tmpmac';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import type { PdaEvent } from '../../boards/emu/emu-pda';
import { ensureFirmware } from '../build/firmware';
import { silentLogger, type Logger } from '../common/log';
import { MssGateway } from '../mss/gateway';
import { endSession, joinSession, pdaFor } from './emu-session';

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
  error?: string;
}

export async function runDemo(opts: { onStep?: (step: string, detail: string) => void; log?: Logger } = {}): Promise<DemoResult> {
  const step = opts.onStep || (() => undefined);
  const dataDir = mkdtempSync(join(tmpdir(), 'hood-demo-'));
  const { outFile } = await ensureFirmware();
  const gw = await MssGateway.start({ dataDir, log: opts.log || silentLogger(), listen: { host: '127.0.0.1', port: 0 } });
  step('mss', `gateway "${gw.mssId}" up, embedded broker at ${gw.brokerUrl}`);
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
    else if (e.ev === 'error') step('error', e.msg);
  };
  const pda = pdaFor(gw, outFile, { onEvent });
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
  };
  try {
    const joined = await joinSession(pda);
    result.tmpMac = joined.tmpMac;
    result.tmpId = joined.tmpId;
    result.joinMs = joined.joinMs;
    result.mqttClientId = clientId;
    const mac = parseMac(joined.tmpMac);
    result.tmpMacUnicast = isUnicast(mac);
    result.tmpMacLocallyAdministered = isLocallyAdministered(mac);

    const since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: '68656c6c6f20646f7567' });
    const echo = await pda.waitFor('data', 10_000, since);
    result.echo = echo.payload === '68656c6c6f20646f7567';

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
    pda.powerOff();
    await gw.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  result.ok =
    !result.error &&
    result.echo &&
    result.wiped &&
    !result.burnedInMacSeen &&
    result.tmpMacUnicast &&
    result.tmpMacLocallyAdministered &&
    result.mssSessionsAfter === 0;
  return result;
}
