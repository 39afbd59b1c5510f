/** `hood flash --port /dev/ttyUSB0 [--board esp32-devkitc]`: upload the firmware bundle as boot code and check it booted. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ensureFirmware } from '../../build/firmware';
import { boardFacts } from '../../board/boards';
import { flashBundle } from '../../board/flash';
import { openBoardLink } from '../../board/open';
import { progressBar } from '../../board/progress';
import { parseIntOption } from '../options';

export function registerFlashCommand(program: Command): void {
  program
    .command('flash')
    .description('upload firmware/dist/hood.js to the board\'s flash (EspruinoTools upload format) and verify that it boots')
    .option('--port <path>', 'serial port of the board, e.g. /dev/ttyUSB0')
    .option('--espruino <path>', 'instead of --port: the Espruino interpreter for Linux, run on a pty')
    .option('--espruino-dir <dir>', 'with --espruino: directory holding its flash (espruino.flash); default: a temp dir')
    .option('--board <name>', 'board type (esp32-devkitc, espruino-linux)', 'esp32-devkitc')
    .option('--baud <n>', 'serial speed', parseIntOption)
    .option('--json', 'print the result as JSON')
    .action(async (o: { port?: string; espruino?: string; espruinoDir?: string; board: string; baud?: number; json?: boolean }) => {
      const facts = boardFacts(o.board);
      const built = await ensureFirmware();
      const code = readFileSync(built.outFile, 'latin1');
      const link = await openBoardLink({ port: o.port, espruino: o.espruino, espruinoDir: o.espruinoDir, baud: o.baud ?? (facts.consoleBaud || undefined) });
      try {
        const bar = o.json ? undefined : progressBar(process.stderr, 'flash');
        const r = await flashBundle(link, code, { onProgress: bar ? (p) => bar(p.sent, p.total) : undefined });
        if (r.env.BOARD !== facts.espruinoBoard) {
          process.stderr.write(`warning: the board reports BOARD=${r.env.BOARD}, expected ${facts.espruinoBoard} for ${facts.name}\n`);
        }
        const out = { ok: true, board: r.boot.board, version: r.boot.version, espruino: r.env.VERSION, bytes: r.bytes, chunks: r.chunks, ms: r.ms, canSetMac: r.boot.canSetMac };
        if (o.json) process.stdout.write(JSON.stringify(out) + '\n');
        else {
          process.stdout.write(`flashed ${r.bytes} bytes in ${r.chunks} chunks (${(r.ms / 1000).toFixed(1)} s); booted: hood ${r.boot.version} on ${r.boot.board} (Espruino ${r.env.VERSION})\n`);
          if (!r.boot.canSetMac) {
            process.stdout.write('NOTE: this Espruino build cannot write the MAC register: anonymous mode will be refused.\n' +
              '      Build Espruino with boards/esp32/jswrap_hood_mac.c (boards/esp32/README.md).\n');
          }
        }
      } finally {
        await link.close();
      }
    });
}
