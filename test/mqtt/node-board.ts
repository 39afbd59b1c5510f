/**
 * Test-only implementations of the board's Net and Clock (firmware/src/board.ts) on node:net and
 * real timers, so the firmware MQTT client runs unchanged against real brokers. The Net records
 * every chunk written and received so tests can see what went over the wire.
 */
import net from 'node:net';
import type { Clock, Net, Socket, SocketHandlers } from '../../firmware/src/board';

export interface Tap {
  written: Uint8Array[];
  received: Uint8Array[];
}

export class NodeNet implements Net {
  readonly tap: Tap = { written: [], received: [] };
  /** Sockets still open, so a test can tear them down. */
  readonly open = new Set<net.Socket>();

  connect(host: string, port: number, handlers: SocketHandlers): Socket {
    const s = net.connect({ host, port });
    let closed = false;
    let error: string | undefined;
    this.open.add(s);
    s.on('connect', () => handlers.onConnect());
    s.on('data', (buf: Buffer) => {
      const copy = new Uint8Array(buf); // a copy: the firmware may wipe what it is given
      this.tap.received.push(copy.slice());
      handlers.onData(copy);
    });
    s.on('error', (e: Error) => {
      error = error || e.message;
    });
    s.on('close', () => {
      this.open.delete(s);
      if (closed) return;
      closed = true;
      handlers.onClose(error);
    });
    const tap = this.tap;
    return {
      write(data: Uint8Array): void {
        tap.written.push(data.slice());
        s.write(data);
      },
      end(): void {
        s.end();
        // A peer that never closes its side must not keep the socket (and onClose) hanging.
        setTimeout(() => s.destroy(), 500).unref();
      },
    };
  }

  destroyAll(): void {
    for (const s of this.open) s.destroy();
  }
}

export class NodeClock implements Clock {
  private timers = new Map<number, NodeJS.Timeout>();
  private next = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.next++;
    this.timers.set(
      id,
      setTimeout(() => {
        this.timers.delete(id);
        fn();
      }, ms),
    );
    return id;
  }

  clearTimeout(id: number): void {
    const t = this.timers.get(id);
    if (t !== undefined) clearTimeout(t);
    this.timers.delete(id);
  }

  /** Timers not yet fired or cleared (a closed client should leave none). */
  get active(): number {
    return this.timers.size;
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
  for (let i = 0; i < 200 && Date.now() < deadline; i++) {
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
