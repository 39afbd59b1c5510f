/**
 * The emulated board: the firmware's Board interface implemented in Node for the firmware bundle that
 * runs inside the Espruino-profile VM. Radio = EmuNic + EmuAccessPoint, network = real TCP (node:net)
 * to the broker, Storage in memory, RNG = node:crypto, clock = Node timers.
 *
 * Bytes crossing into the VM go through `toVm` (boards/node/firmware-vm.ts).
 */
import { equalBytes } from '../../shared/src/bytes';
import type { Board, Socket, SocketHandlers } from '../../firmware/src/board';
import { NodeClock } from '../node/clock';
import { NodeSockets } from '../node/sockets';
import type { EmuAccessPoint } from './access-point';
import type { EmuNic } from './nic';
import type { EmuStorage } from './storage';

export interface EmuBoardParts {
  nic: EmuNic;
  ap: EmuAccessPoint;
  storage: EmuStorage;
  /** Re-creates bytes for the firmware inside the VM (FirmwareVm.toVm). */
  toVm(b: Uint8Array): Uint8Array;
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
  const toVm = p.toVm;
  const clock = new NodeClock();
  const sockets = new NodeSockets(toVm);

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
        if (!p.nic.associated) return sockets.connect(host, port, h, { refuse: 'radio not associated' });
        p.ap.frame(p.nic.mac, 0);
        return sockets.connect(host, port, h, {
          localAddress: p.localAddress,
          // Every frame leaves with whatever is in the address register right now.
          onWrite: (data) => (p.ap.frame(p.nic.mac, data.length), data),
        });
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
      sockets.destroyAll();
      p.nic.associated = false;
    },
  };
}
