/**
 * The board's Net and Clock for tests that run the firmware MQTT client directly against real brokers:
 * the Node board adapter (boards/node) every Node board uses, with a tap on the Net that records every
 * chunk written and received so tests can see what went over the wire.
 */
import net from 'node:net';
import type { Net, Socket, SocketHandlers } from '../../firmware/src/board';
import { NodeSockets } from '../../boards/node/sockets';

export { NodeClock } from '../../boards/node/clock';

export interface Tap {
  written: Uint8Array[];
  received: Uint8Array[];
}

export class NodeNet implements Net {
  readonly tap: Tap = { written: [], received: [] };
  private readonly sockets = new NodeSockets();

  connect(host: string, port: number, handlers: SocketHandlers): Socket {
    const tap = this.tap;
    const s = this.sockets.connect(host, port, {
      onConnect: () => handlers.onConnect(),
      onData: (d) => {
        tap.received.push(d.slice());
        handlers.onData(d);
      },
      onClose: (err) => handlers.onClose(err),
    });
    return {
      write(data: Uint8Array): void {
        tap.written.push(data.slice());
        s.write(data);
      },
      end: () => s.end(),
    };
  }

  /** Destroy every socket still open (end of a test). */
  destroyAll(): void {
    this.sockets.destroyAll();
  }
}

/** Count packets of `type` (high nibble of byte 0) among chunks that each hold exactly one 2-byte packet. */
export function countTwoBytePackets(chunks: Uint8Array[], firstByte: number): number {
  let n = 0;
  for (const c of chunks) {
    for (let i = 0; i + 1 < c.length; i += 2) if (c[i] === firstByte && c[i + 1] === 0) n++;
  }
  return n;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address() as net.AddressInfo;
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Resolve once something accepts TCP on the port, trying for at most `ms`. */
export async function waitForPort(port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  // Bounded by the deadline and by a count (each try takes at least 50 ms).
  for (let i = 0; i <= ms / 50 && Date.now() < deadline; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('nothing listening on 127.0.0.1:' + port + ' after ' + ms + ' ms');
}
