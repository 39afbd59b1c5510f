/**
 * The test harness's half of the Espruino-Linux "radio" (boards/espruino-linux/harness-radio.ts):
 * the interpreter has no NIC, so the host plays it. It keeps an emulated address register and
 * access point (the same classes as the emulated board) and answers the firmware's `radio`
 * requests over the console, so tests check what would have been on the air.
 */
import { EmuAccessPoint } from '../../boards/emu/access-point';
import { EmuNic } from '../../boards/emu/nic';
import { formatMac, parseMac } from '../../shared/src/tmpmac';
import type { BoardLink } from './link';

export interface RadioHarness {
  nic: EmuNic;
  ap: EmuAccessPoint;
  stop(): void;
}

export function attachRadioHarness(link: BoardLink, opts: { burnedInMac?: string; writable?: boolean } = {}): RadioHarness {
  const nic = new EmuNic(opts.burnedInMac, opts.writable !== false);
  const ap = new EmuAccessPoint();
  const answer = (req: number, ok: boolean, extra: Record<string, unknown> = {}) => {
    link.request({ cmd: 'radio', req, ok, ...extra }).catch(() => undefined);
  };
  const off = link.onEvent((e) => {
    if (e.ev !== 'radio' || typeof e.req !== 'number') return;
    try {
      if (e.op === 'set_mac') {
        nic.setMac(parseMac(String(e.mac)));
        answer(e.req, true, { mac: formatMac(nic.mac) });
      } else if (e.op === 'associate') {
        // The register is checked right before association (paper §5): a firmware that expects another
        // address than the NIC holds is refused, so nothing goes on the air under the wrong MAC.
        if (e.mac !== undefined && String(e.mac) !== formatMac(nic.mac)) {
          answer(e.req, false, { error: 'MAC register holds ' + formatMac(nic.mac) + ', not the expected ' + String(e.mac) });
          return;
        }
        nic.associated = true;
        ap.associate(nic.mac, String(e.hostname ?? ''));
        answer(e.req, true, { mac: formatMac(nic.mac) });
      } else if (e.op === 'disassociate') {
        nic.associated = false;
        answer(e.req, true);
      } else answer(e.req, false, { error: 'unknown radio op' });
    } catch (err) {
      answer(e.req, false, { error: (err as Error).message });
    }
  });
  return { nic, ap, stop: off };
}
