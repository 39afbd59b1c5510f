/** Open a board link from CLI-style options: --port (serial), --espruino (Linux interpreter on a pty). */
import { BoardLink } from './link';
import { openSerial } from './transports/serial';
import { openEspruinoPty } from './transports/pty';

export interface OpenLinkOptions {
  port?: string;
  baud?: number;
  espruino?: string;
  /** Directory of the Linux interpreter's flash (espruino.flash); default: a temp dir. */
  espruinoDir?: string;
  timeoutMs?: number;
}

export async function openBoardLink(o: OpenLinkOptions): Promise<BoardLink> {
  if (o.port && o.espruino) throw new Error('give either --port or --espruino, not both');
  if (o.port) {
    const t = await openSerial({ path: o.port, baudRate: o.baud });
    // A physical UART: small writes with a pause, on top of XON/XOFF.
    return new BoardLink(t, { timeoutMs: o.timeoutMs, chunkBytes: 128, chunkDelayMs: 2 });
  }
  if (o.espruino) {
    const t = await openEspruinoPty({ espruino: o.espruino, cwd: o.espruinoDir });
    // Whole lines, no pacing: Espruino for Linux reads stdin on a thread that fills its IO queue
    // without locking against the interpreter draining it, so each read() is a chance to corrupt
    // the queue (ASSERT(len <= 64) in src/jsdevices.c, then exit). Fewer, larger writes measured
    // better than small paced ones (docs/boards.md).
    const link = new BoardLink(t, { timeoutMs: o.timeoutMs });
    await new Promise((r) => setTimeout(r, 500)); // banner
    return link;
  }
  throw new Error('no board given: use --port /dev/ttyUSB0 (or --espruino /path/to/espruino)');
}
