/**
 * The netns board: the firmware's Board interface for an emulated PDA whose NIC is a real veth in a
 * network namespace (the lab's "air" is a Linux bridge; host/lab). Everything the PDA sends is a real
 * frame a sniffer on the bridge can capture, so the privacy claims are checked on the wire.
 *
 *  radio.setMac      -> `ip link set dev IF address MAC`, refused while the link is up (ESP32 rule)
 *  radio.connect     -> register re-read from the kernel (refused unless it holds the expected MAC),
 *                       link up + one DHCP exchange (hostname from the firmware, client id below) +
 *                       the leased address on the NIC
 *  radio.disconnect  -> address flushed, link down (no DHCPRELEASE: see dhcp.ts)
 *  net.connect       -> node:net bound to the leased address and to a source port drawn from the
 *                       board's RNG, a new socket (so a new port) for every MQTT connection
 *
 * DHCP client id (option 61, RFC 2132 §9.14): while the register holds the burned-in address the PDA is
 * in home mode and sends what an ESP32's lwIP sends, type 1 + that MAC (its home identity); with any
 * other address loaded it sends type 0 + 16 fresh random bytes, so the client id is new per association
 * and derived from nothing else.
 */
import { randomBytes } from 'node:crypto';
import { equalBytes } from '../../shared/src/bytes';
import type { Board, Socket, SocketHandlers } from '../../firmware/src/board';
import { EmuStorage } from '../emu/storage';
import { NodeClock } from '../node/clock';
import { NodeSockets } from '../node/sockets';
import { requestLease, type Lease } from './dhcp';
import { hardwareClientId, pinConnectClientId, vendorHostname, type LeakKind } from './leaks';
import { NetnsLink } from './link';

export interface NetnsBoardOptions {
  iface: string;
  /** Re-creates bytes for the firmware inside the VM (FirmwareVm.toVm). */
  toVm(b: Uint8Array): Uint8Array;
  consoleWrite(line: string): void;
  random?: (n: number) => Uint8Array;
  /** Deliberate leaks (leaks.ts), for proving the audit can fail. */
  leaks?: LeakKind[];
  dhcpTimeoutMs?: number;
}

export interface NetnsBoardHandle {
  board: Board;
  link: NetnsLink;
  burnedIn: Uint8Array;
  /** The current lease, if associated. */
  lease(): Lease | null;
  /** Close sockets, stop timers, take the link down. */
  powerOff(): Promise<void>;
}

/** Source ports from the IANA dynamic range (RFC 6335 §6), drawn uniformly from the RNG. */
export function randomSourcePort(random: (n: number) => Uint8Array): number {
  for (let i = 0; i < 16; i++) {
    const b = random(2);
    const v = ((b[0] << 8) | b[1]) & 0x3fff; // 0..16383
    if (v <= 65535 - 49152) return 49152 + v;
  }
  throw new Error('random source looks broken');
}

export function createNetnsBoard(o: NetnsBoardOptions): NetnsBoardHandle {
  const random = o.random || ((n: number) => new Uint8Array(randomBytes(n)));
  const leaks = o.leaks || [];
  const link = new NetnsLink(o.iface);
  const burnedIn = link.address;
  if (burnedIn[0] & 0x03) throw new Error('the NIC does not start with a unicast, globally administered (burned-in) address');
  let lease: Lease | null = null;
  /** 'mac' leak: the address the lying driver claims to hold. */
  let claimed: Uint8Array | null = null;
  const toVm = o.toVm;
  const clock = new NodeClock();
  const sockets = new NodeSockets(toVm);
  const later = (cb: (err?: string) => void, p: Promise<unknown>) =>
    p.then(
      () => cb(),
      (e: Error) => cb(e.message),
    );

  const board: Board = {
    name: 'netns',
    radio: {
      canSetMac: () => true,
      setMac(mac, cb) {
        const m = new Uint8Array(mac);
        if (leaks.indexOf('mac') >= 0) {
          claimed = m;
          return void setImmediate(() => cb());
        }
        later(cb, link.setMac(m));
      },
      currentMac: () => toVm(claimed || link.address),
      burnedInMac: () => toVm(burnedIn),
      connect(hostname, expectedMac, cb) {
        const want = new Uint8Array(expectedMac);
        later(
          cb,
          (async () => {
            if (lease) throw new Error('already associated');
            // Re-read the register from the kernel right before the link goes up: refuse rather than
            // associate with an address the firmware did not ask for. The 'mac' leak is a lying driver,
            // which lies here too (that is what makes it a leak the audit must catch).
            const now = leaks.indexOf('mac') >= 0 && claimed ? claimed : await link.readAddress();
            if (!equalBytes(now, want)) throw new Error('MAC register does not hold the expected address');
            const home = equalBytes(link.address, burnedIn);
            const clientId = home || leaks.indexOf('dhcp-client-id') >= 0 ? hardwareClientId(burnedIn) : concat0(random(16));
            const name = leaks.indexOf('hostname') >= 0 ? vendorHostname(burnedIn) : hostname;
            await link.linkUp();
            const l = await requestLease({ iface: o.iface, hostname: name, clientId, timeoutMs: o.dhcpTimeoutMs });
            await link.addAddress(l.ip, l.prefixLen);
            lease = l;
          })(),
        );
      },
      disconnect(cb) {
        sockets.destroyAll();
        lease = null;
        claimed = null;
        link.linkDown().then(
          () => cb(),
          (e: Error) => {
            o.consoleWrite('netns: link down failed: ' + e.message);
            cb();
          },
        );
      },
    },
    net: {
      connect(host: string, port: number, h: SocketHandlers): Socket {
        const l = lease;
        if (!l) return sockets.connect(host, port, h, { refuse: 'radio not associated' });
        let first = true;
        return sockets.connect(host, port, h, {
          localAddress: l.ip,
          localPort: randomSourcePort(random),
          onWrite: (data) => {
            const leak = first && leaks.indexOf('mqtt-client-id') >= 0;
            first = false;
            return leak ? pinConnectClientId(new Uint8Array(data), burnedIn) : data;
          },
        });
      },
    },
    storage: new EmuStorage(),
    clock,
    random: (n) => toVm(random(n)),
    consoleWrite: (line) => o.consoleWrite(line),
  };

  return {
    board,
    link,
    burnedIn,
    lease: () => lease,
    async powerOff() {
      clock.stopAll();
      sockets.destroyAll();
      lease = null;
      await link.linkDown().catch(() => undefined);
    },
  };
}

/** Option 61 with type 0 (an identifier that is not a hardware address) followed by `rand`. */
function concat0(rand: Uint8Array): Uint8Array {
  const out = new Uint8Array(rand.length + 1);
  out.set(rand, 1);
  return out;
}
