/**
 * The board's Net (firmware/src/board.ts) on node:net, for every board that runs the firmware in a
 * Node process (the emulated and netns boards, and the MQTT client tests). One TCP socket per connect;
 * its events become SocketHandlers calls with the same rules as the Espruino HAL
 * (boards/espruino-common/net.ts): onConnect and onData only while open, onClose exactly once, with
 * the socket's error if it had one.
 */
import { Socket as NodeSocket } from 'node:net';
import type { Socket, SocketHandlers } from '../../firmware/src/board';

/**
 * How long end() waits for the peer to close before the socket is destroyed. Espruino's
 * `socket.end()` closes the connection outright once its send buffer is out: a board has no
 * half-open socket a silent peer could hold. 200 ms is ample on loopback and veth links for the last
 * write (an MQTT DISCONNECT) to leave and the broker's FIN to arrive, and it stays well under the MQTT
 * client's own close timeout (closeTimeoutMs, 2 s by default), so it is the socket, as on the board,
 * that reports the close.
 */
export const END_GRACE_MS = 200;

export interface NodeConnectOptions {
  /** Source address to bind (the lease on a netns board). */
  localAddress?: string;
  /** Source port to bind. */
  localPort?: number;
  /** Refuse without touching the network: onClose(refuse) on the next turn of the event loop. */
  refuse?: string;
  /** Bytes about to leave, only while open; returns what is actually sent. */
  onWrite?: (data: Uint8Array) => Uint8Array;
}

export class NodeSockets {
  private readonly open = new Set<NodeSocket>();

  /**
   * @param toVm re-creates received bytes for the firmware (with the VM's own Uint8Array when it
   *   runs in an Espruino-profile context); always a fresh copy, as the firmware may wipe what it gets.
   */
  constructor(private readonly toVm: (b: Uint8Array) => Uint8Array = (b) => new Uint8Array(b)) {}

  connect(host: string, port: number, h: SocketHandlers, o: NodeConnectOptions = {}): Socket {
    let closed = false;
    let error: string | undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      h.onClose(error);
    };
    if (o.refuse !== undefined) {
      error = o.refuse;
      setImmediate(close);
      return { write() {}, end() {} };
    }
    const s = new NodeSocket();
    this.open.add(s);
    s.on('connect', () => {
      if (!closed) h.onConnect();
    });
    s.on('data', (d: Buffer) => {
      if (!closed) h.onData(this.toVm(d));
    });
    s.on('error', (e: Error) => {
      error = error || e.message;
    });
    s.on('close', () => {
      this.open.delete(s);
      close();
    });
    s.connect({ host, port, localAddress: o.localAddress, localPort: o.localPort });
    return {
      write(data: Uint8Array) {
        if (closed) return;
        const b = o.onWrite ? o.onWrite(data) : data;
        // A copy: the firmware wipes its buffers (the CONNECT packet holds credentials) while Node
        // may still hold queued bytes.
        s.write(Buffer.from(b));
      },
      end() {
        s.end();
        setTimeout(() => s.destroy(), END_GRACE_MS).unref();
      },
    };
  }

  /** Destroy every socket still open (power-off, link down, end of a test). */
  destroyAll(): void {
    for (const s of this.open) s.destroy();
    this.open.clear();
  }
}
