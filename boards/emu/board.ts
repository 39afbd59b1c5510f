/**
 * The emulated board: the firmware's Board interface implemented in Node for the firmware bundle that
 * runs inside the Espruino-profile VM. Radio = EmuNic + EmuAccessPoint, network = real TCP (node:net)
 * to the broker, Storage in memory, RNG = node:crypto, clock = Node timers.
 *
 * Bytes crossing into the VM are re-created with the VM's own Uint8Array, so the firmware sees exactly
 * the objects it would see on Espruino (no host-realm objects with extra methods).
 */
import { Socket as NodeSocket } from 'node:net';
import { equalBytes } from '../../shared/src/bytes';
import type { Board, Socket, SocketHandlers } from '../../firmware/src/board';
import type { EmuAccessPoint } from './access-point';
import type { EmuNic } from './nic';
import type { EmuStorage } from './storage';
import { nodeClock } from './node-clock';

export interface EmuBoardParts {
  nic: EmuNic;
  ap: EmuAccessPoint;
  storage: EmuStorage;
  /** Constructor of Uint8Array inside the VM. */
  vmUint8Array: Uint8ArrayConstructor;
  consoleWrite(line: string): void;
  random(n: number): Uint8Array;
  /** Address to bind outgoing TCP to (network-namespace testbed), if any. */
  localAddress?: string;
}

export interface EmuBoardHandle {
  board: Board;
  /** Stop every timer and socket the board owns (the emulated power switch). */
  powerOff(): void;
}

export function createEmuBoard(p: EmuBoardParts): EmuBoardHandle {
  const toVm = (b: Uint8Array) => {
    const out = new p.vmUint8Array(b.length);
    out.set(b);
    return out;
  };
  const clock = nodeClock();
  const sockets = new Set<NodeSocket>();

  const board: Board = {
    name: 'emu',
    radio: {
      canSetMac: () => p.nic.writable,
      setMac(mac, cb) {
        try {
          p.nic.setMac(Uint8Array.from(mac));
          setImmediate(() => cb());
        } catch (e) {
          setImmediate(() => cb((e as Error).message));
        }
      },
      currentMac: () => toVm(p.nic.mac),
      burnedInMac: () => toVm(p.nic.burnedIn),
      connect(hostname, expectedMac, cb) {
        // Re-read the register right before associating: refuse rather than go on the air with an
        // address the firmware did not ask for (firmware/src/board.ts Radio.connect).
        if (!equalBytes(p.nic.mac, Uint8Array.from(expectedMac))) {
          setImmediate(() => cb('MAC register does not hold the expected address'));
          return;
        }
        p.nic.associated = true;
        p.ap.associate(p.nic.mac, hostname);
        setImmediate(() => cb());
      },
      disconnect(cb) {
        p.nic.associated = false;
        setImmediate(() => cb());
      },
    },
    net: {
      connect(host: string, port: number, h: SocketHandlers): Socket {
        const s = new NodeSocket();
        sockets.add(s);
        let closed = false;
        const close = (err?: string) => {
          if (closed) return;
          closed = true;
          sockets.delete(s);
          h.onClose(err);
        };
        s.on('connect', () => h.onConnect());
        s.on('data', (d: Buffer) => h.onData(toVm(d)));
        s.on('error', (e) => close(e.message));
        s.on('close', () => close());
        if (!p.nic.associated) {
          setImmediate(() => close('radio not associated'));
        } else {
          p.ap.frame(p.nic.mac, 0);
          s.connect({ host, port, localAddress: p.localAddress });
        }
        return {
          write(data: Uint8Array) {
            if (closed) return;
            // Every frame leaves with whatever is in the address register right now.
            p.ap.frame(p.nic.mac, data.length);
            s.write(Buffer.from(data.buffer, data.byteOffset, data.length));
          },
          end() {
            s.end();
            setTimeout(() => s.destroy(), 200).unref();
          },
        };
      },
    },
    storage: p.storage,
    clock,
    random: (n) => toVm(p.random(n)),
    consoleWrite: (line) => p.consoleWrite(line),
  };

  return {
    board,
    powerOff() {
      clock.stopAll();
      for (const s of sockets) s.destroy();
      sockets.clear();
      p.nic.associated = false;
    },
  };
}
