/** How every command that talks to a board reaches it: a serial port, or the Espruino interpreter for Linux on a pty. */
import type { Command } from 'commander';
import type { OpenLinkOptions } from '../board/open';
import { parseIntOption } from './options';

export interface BoardLinkFlags {
  port?: string;
  baud?: number;
  espruino?: string;
  espruinoDir?: string;
}

/** `--port`, `--baud`, `--espruino`, `--espruino-dir` (read back with {@link boardLinkFrom}). */
export function boardLinkOptions(c: Command): Command {
  return c
    .option('--port <path>', 'serial port of the board, e.g. /dev/ttyUSB0')
    .option('--baud <n>', 'serial speed (default 115200, the ESP32 console speed)', parseIntOption)
    .option('--espruino <path>', 'instead of --port: the Espruino interpreter for Linux, run on a pty')
    .option('--espruino-dir <dir>', 'with --espruino: directory holding its flash (espruino.flash); default: a temp dir');
}

/** The link to open from the parsed flags; `baud` is the board type's default when --baud is not given. */
export function boardLinkFrom(o: BoardLinkFlags, baud?: number): OpenLinkOptions {
  return { port: o.port, baud: o.baud ?? baud, espruino: o.espruino, espruinoDir: o.espruinoDir };
}
