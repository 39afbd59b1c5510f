/**
 * `npm run test:hil`: the board protocol scenarios against a real board — HIL_PORT=/dev/ttyUSB0
 * (a flashed ESP32, serial) or HIL_ESPRUINO=/path/to/espruino (the interpreter for Linux on a pty;
 * the suite flashes the current bundle into it). Without either there is nothing to test against:
 * it says so and exits 0. Not part of `npm test`.
 */
import { defineConfig } from 'vitest/config';

const port = process.env.HIL_PORT;
const espruino = process.env.HIL_ESPRUINO;
const target = port ? 'serial port ' + port : espruino ? 'Espruino for Linux at ' + espruino : null;

if (!target) {
  process.stdout.write(
    'test:hil: no hardware-in-loop target, nothing run.\n' +
      '  Set HIL_PORT=/dev/ttyUSB0 (a board flashed with `hood flash`) or HIL_ESPRUINO=/path/to/espruino\n' +
      '  (the Espruino interpreter built for Linux, see docs/boards.md). The emulated board runs in `npm test`.\n',
  );
} else process.stdout.write('test:hil: running against ' + target + '\n');

export default defineConfig({
  test: {
    include: target ? ['test/hil/**/*.test.ts'] : [],
    passWithNoTests: !target,
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/temp-dir-cleanup.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    maxWorkers: 1,
    fileParallelism: false,
  },
});
