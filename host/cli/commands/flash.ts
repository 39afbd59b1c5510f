/** `hood flash --port /dev/ttyUSB0 [--board esp32-devkitc]`: upload the firmware bundle as boot code and check it booted. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ensureFirmware } from '../../build/firmware';
import { boardFacts } from '../../board/boards';
import { flashBundle } from '../../board/flash';
import { openBoardLink } from '../../board/open';
import { progressBar } from '../../board/progress';
import { boardLinkFrom, boardLinkOptions, type BoardLinkFlags } from '../board-link-options';
import { jsonOption, printResult, type JsonFlag } from '../output';

export function registerFlashCommand(program: Command): void {
  jsonOption(boardLinkOptions(program.command('flash')))
    .description('upload firmware/dist/hood.js to the board\'s flash (EspruinoTools upload format) and verify that it boots')
    .option('--board <name>', 'board type (esp32-devkitc, espruino-linux)', 'esp32-devkitc')
    .action(async (o: BoardLinkFlags & JsonFlag & { board: string }) => {
      const facts = boardFacts(o.board);
      const built = await ensureFirmware();
      const code = readFileSync(built.outFile, 'latin1');
      const link = await openBoardLink(boardLinkFrom(o, facts.consoleBaud || undefined));
      try {
        const bar = o.json || !process.stderr.isTTY ? undefined : progressBar(process.stderr, 'flash');
        const r = await flashBundle(link, code, { onProgress: bar ? (p) => bar(p.sent, p.total) : undefined });
        if (r.env.BOARD !== facts.espruinoBoard) {
          process.stderr.write(`warning: the board reports BOARD=${r.env.BOARD}, expected ${facts.espruinoBoard} for ${facts.name}\n`);
        }
        const res = { ok: true, board: r.boot.board, version: r.boot.version, espruino: r.env.VERSION, bytes: r.bytes, chunks: r.chunks, ms: r.ms, canSetMac: r.boot.canSetMac };
        printResult(
          o,
          res,
          () =>
            `flashed ${r.bytes} bytes in ${r.chunks} chunks (${(r.ms / 1000).toFixed(1)} s); booted: hood ${r.boot.version} on ${r.boot.board} (Espruino ${r.env.VERSION})\n` +
            (r.boot.canSetMac
              ? ''
              : 'NOTE: this Espruino build cannot write the MAC register: anonymous mode will be refused.\n' +
                '      Build Espruino with boards/esp32/jswrap_hood_mac.c (boards/esp32/README.md).\n'),
        );
      } finally {
        await link.close();
      }
    });
}
