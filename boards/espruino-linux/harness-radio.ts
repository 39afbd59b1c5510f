/**
 * The "radio" of the Espruino-Linux board: the interpreter has no NIC of its own, so the test
 * harness that runs it (host/board/harness.ts) plays the network interface. The firmware asks it
 * over the console, with the same framing as every event:
 *
 *   board -> host  @hood {"ev":"radio","op":"set_mac","mac":"02:..","req":3}
 *   host  -> board hood.cmd('{"cmd":"radio","req":3,"ok":true,"mac":"02:.."}')
 *
 * ops: set_mac (load the unicast address register), associate (with the random DHCP hostname and the
 * address the register must hold; refused by the board before asking if the last address the harness
 * reported is another one), disassociate. A request the harness does not answer in time fails (so a session without a
 * harness never starts: fail closed, like a board without the MAC-write call).
 */
import type { Clock, Radio } from '../../firmware/src/board';
import type { AppContext } from '../../firmware/src/apps';
import { equalBytes } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';
import { parseMacText } from '../espruino-common/mac';

export const RADIO_TIMEOUT_MS = 5000;

interface Pending {
  op: string;
  timer: number;
  cb: (err?: string, mac?: string) => void;
}

export interface HarnessRadio {
  radio: Radio;
  /** Handler of the `radio` console command (the harness's answers). */
  onAnswer(c: any, ctx: AppContext): void;
}

export function harnessRadio(emit: (ev: { [k: string]: unknown }) => void, clock: Clock): HarnessRadio {
  let mac: Uint8Array = new Uint8Array(6); // unknown until the harness reports what its NIC holds
  let nextReq = 1;
  const pending: { [req: string]: Pending } = {};

  const ask = function (op: string, args: { [k: string]: unknown }, cb: (err?: string, mac?: string) => void) {
    const req = nextReq++;
    const timer = clock.setTimeout(function () {
      delete pending[req];
      cb('radio harness did not answer ' + op);
    }, RADIO_TIMEOUT_MS);
    pending[req] = { op: op, timer: timer, cb: cb };
    args.ev = 'radio';
    args.op = op;
    args.req = req;
    emit(args);
  };

  return {
    radio: {
      canSetMac: function () {
        return true;
      },
      setMac: function (want: Uint8Array, cb: (err?: string) => void) {
        ask('set_mac', { mac: formatMac(want) }, function (err, got) {
          if (err) return cb(err);
          const m = parseMacText(got || '');
          if (!m) return cb('radio harness reported a bad MAC');
          mac = m;
          cb(equalBytes(m, want) ? undefined : 'radio harness loaded a different MAC');
        });
      },
      currentMac: function () {
        // A copy; not mac.slice(): Espruino's typed-array slice returns a plain Array.
        return new Uint8Array(mac);
      },
      connect: function (hostname: string, expectedMac: Uint8Array, cb: (err?: string) => void) {
        // The harness's NIC is the register: the expected address goes with the request, and a harness
        // that reports which address it associated with is held to it.
        if (!equalBytes(mac, expectedMac)) return cb('MAC register does not hold the expected address');
        ask('associate', { hostname: hostname, mac: formatMac(expectedMac) }, function (err, got) {
          if (err) return cb(err);
          if (got !== undefined) {
            const m = parseMacText(got);
            if (!m || !equalBytes(m, expectedMac)) return cb('radio harness associated with a different MAC');
          }
          cb();
        });
      },
      disconnect: function (cb: () => void) {
        ask('disassociate', {}, function () {
          cb();
        });
      },
    },
    onAnswer: function (c: any) {
      if (typeof c.req !== 'number' || !pending[c.req]) throw new Error('no such radio request');
      const p = pending[c.req];
      delete pending[c.req];
      clock.clearTimeout(p.timer);
      if (c.ok !== true) return p.cb(typeof c.error === 'string' ? c.error : 'refused by harness');
      p.cb(undefined, typeof c.mac === 'string' ? c.mac : undefined);
    },
  };
}
