/** `hood build firmware`: compile firmware/ + shared/ into the one ES5 bundle every board runs. */
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { buildFirmware, FIRMWARE_SIZE_BUDGET } from '../../build/firmware';
import { checkEspruinoSource } from '../../build/espruino-check';
import { jsonOption, printResult, type JsonFlag } from '../output';

export function registerBuildCommands(program: Command): void {
  const build = program.command('build').description('build artefacts');
  jsonOption(build.command('firmware'))
    .description('bundle the PDA firmware to firmware/dist/hood.js (minified ES5) and check it against what Espruino has')
    .action(async (o: JsonFlag) => {
      const r = await buildFirmware();
      const problems = checkEspruinoSource(readFileSync(r.outFile, 'utf8'), { allow: r.shimmed });
      printResult(
        o,
        { ...r, budget: FIRMWARE_SIZE_BUDGET, espruinoProblems: problems },
        () =>
          `${r.outFile}: ${r.bytes} bytes (${r.gzipBytes} gzipped) in ${r.ms} ms\n` +
          `size budget: ${r.bytes} of ${FIRMWARE_SIZE_BUDGET} bytes (${((r.bytes * 100) / FIRMWARE_SIZE_BUDGET).toFixed(1)}%), ${FIRMWARE_SIZE_BUDGET - r.bytes} bytes left\n` +
          problems.map((p) => `  Espruino: ${p}\n`).join(''),
      );
      if (problems.length) process.exitCode = 1;
    });
}
