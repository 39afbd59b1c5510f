/** `hood bench firmware`: the firmware's crypto on the Espruino interpreter for Linux (see host/bench/firmware-bench.ts). */
import type { Command } from 'commander';
import { benchFirmware } from '../../bench/firmware-bench';
import { parseIntOption } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';
import { progressLines } from '../../board/progress';

export function registerFirmwareBenchCommand(bench: Command): void {
  jsonOption(bench.command('firmware'))
    .description(
      'X25519 (ours vs tweetnacl scalarMult, same interpreter, same run), Ed25519 verify and AEAD on the ' +
        'Espruino interpreter built for Linux; Espruino variables in use after the firmware boots',
    )
    .option('--espruino <path>', 'path of the Espruino interpreter built for Linux (required)')
    .option('--runs <n>', 'timed calls per operation', parseIntOption, 5)
    .option('--timeout <seconds>', 'wall-time limit per interpreter process', parseIntOption, 900)
    .action(async (o: JsonFlag & { espruino?: string; runs: number; timeout: number }) => {
      const r = await benchFirmware({
        espruino: o.espruino,
        runs: o.runs,
        timeoutMs: o.timeout * 1000,
        onProgress: progressLines(o, 'bench firmware'),
      });
      printResult(o, r);
    });
}
