/**
 * Helpers to drive an emulated PDA against an MSS gateway (used by `hood demo`, `hood bench mss` and tests).
 */
import { toHex } from '../../shared/src/bytes';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import { EmuPda } from '../../boards/emu/emu-pda';
import type { MssGateway } from '../mss/gateway';

export interface BrokerAddress {
  host: string;
  port: number;
}

export function brokerAddress(url: string): BrokerAddress {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 1883) };
}

/** Create an emulated PDA configured for `gw` (broker address, MSS id, and its identity key pinned). */
export function pdaFor(gw: MssGateway, bundlePath: string, opts: { onEvent?: (e: PdaEvent) => void; canSetMac?: boolean; burnedInMac?: string; pin?: boolean; random?: (n: number) => Uint8Array } = {}): EmuPda {
  const pda = new EmuPda({ bundlePath, onEvent: opts.onEvent, canSetMac: opts.canSetMac, burnedInMac: opts.burnedInMac, random: opts.random });
  return configureFor(gw, pda, opts.pin !== false);
}

/** Point a PDA at `gw` over its console: broker address, MSS id, and (by default) pin its identity key. */
export function configureFor(gw: MssGateway, pda: EmuPda, pin = true): EmuPda {
  const b = brokerAddress(gw.brokerUrl);
  pda.cmd({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: gw.mssId });
  if (pin) pda.cmd({ cmd: 'pin', mssId: gw.mssId, key: toHex(gw.core.identityKey) });
  return pda;
}

/** Start a session and wait until it is joined (throws with the PDA's error if it is not). */
export async function joinSession(pda: EmuPda, timeoutMs = 20_000): Promise<PdaEvent> {
  const since = pda.events.length;
  pda.cmd({ cmd: 'start' });
  const e = await pda.waitFor((x) => x.ev === 'joined' || x.ev === 'wiped' || (x.ev === 'error' && x.code !== undefined), timeoutMs, since);
  if (e.ev !== 'joined') throw new Error('PDA did not join: ' + JSON.stringify(e));
  return e;
}

/** End the session and wait for the wipe. */
export async function endSession(pda: EmuPda, timeoutMs = 10_000): Promise<PdaEvent> {
  const since = pda.events.length;
  pda.cmd({ cmd: 'end' });
  return pda.waitFor('wiped', timeoutMs, since);
}
