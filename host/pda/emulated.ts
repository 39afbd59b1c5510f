/**
 * An emulated PDA for a person at a laptop: the built firmware bundle (the file a board runs) in the
 * emulated board, reached through the same board link as a real board, and pointed at any MSS.
 * Without a pinned key it trusts the first beacon that verifies and pins that key (trust on first use,
 * paper §3: the beacon's signature only means something once the key is known), saying so loudly.
 */
import type { PdaEvent } from '../../boards/espruino-common/framing';
import { ensureFirmware } from '../build/firmware';
import { BoardLink } from '../board/link';
import { openEmu } from '../board/transports/emu';

export interface EmulatedPdaOptions {
  broker: { host: string; port: number };
  /** MSS id; empty: the first MSS whose beacon verifies. */
  mssId?: string;
  /** Pinned identity key of an MSS: `<mss-id>=<64 hex digits>`. */
  pin?: string;
  /** Warnings for the person (trust on first use). */
  warn(text: string): void;
}

const PIN_RE = /^([a-z0-9][a-z0-9-]*)=([0-9a-f]{64})$/;

/** `<mss-id>=<64 hex>` → its parts; an Error that says the expected form otherwise. */
export function parsePin(v: string): { mssId: string; key: string } | Error {
  const m = PIN_RE.exec(v);
  return m ? { mssId: m[1], key: m[2] } : new Error('--pin wants <mss-id>=<64 hex digits> (the identity key in the gateway\'s mss_started log line)');
}

export async function openEmulatedPda(o: EmulatedPdaOptions): Promise<BoardLink> {
  const pin = o.pin !== undefined ? parsePin(o.pin) : undefined;
  if (pin instanceof Error) throw pin;
  if (pin && o.mssId && pin.mssId !== o.mssId) throw new Error('--pin names MSS ' + pin.mssId + ' but --mss is ' + o.mssId);
  const { outFile } = await ensureFirmware();
  const t = await openEmu({ bundlePath: outFile });
  const link = new BoardLink(t, { timeoutMs: 20_000 });
  try {
    await link.command({ cmd: 'config', brokerHost: o.broker.host, brokerPort: o.broker.port, mssId: o.mssId ?? pin?.mssId ?? '' });
    if (pin) await link.command({ cmd: 'pin', mssId: pin.mssId, key: pin.key });
  } catch (e) {
    await link.close();
    throw e;
  }
  if (!pin) {
    // Trust on first use: pin the key of the first beacon the firmware accepted, so later sessions
    // of this run refuse another key under the same MSS id (firmware/src/session.ts pin_mismatch).
    let done = false;
    const off = link.onEvent((e: PdaEvent) => {
      if (done || e.ev !== 'beacon' || e.pinned) return;
      done = true;
      off();
      o.warn(
        'WARNING: no --pin given: trusting the first beacon, MSS ' + String(e.mssId) + ' with identity key ' + String(e.identityKey) +
          ' (anyone on the network could have sent it). Compare it with the gateway\'s mss_started log line, then use --pin ' +
          String(e.mssId) + '=' + String(e.identityKey) + '\n',
      );
      link.request({ cmd: 'pin', mssId: e.mssId, key: e.identityKey }).catch(() => undefined);
    });
  }
  return link;
}
