/**
 * The argv that starts a TypeScript entry in a child process the way hood starts its own
 * (bin/run-ts.js: tsx's in-thread require hooks, not the off-thread ESM loader that a start-up
 * under load could wait on for good): spawn(process.execPath, [RUN_TS, entry, ...args]).
 */
import { join } from 'node:path';

export const RUN_TS = join(import.meta.dirname, '..', '..', 'bin', 'run-ts.js');

