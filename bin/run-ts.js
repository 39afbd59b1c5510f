#!/usr/bin/env node
// Runs one TypeScript entry file: `node bin/run-ts.js path/to/entry.ts [args...]`. The processes
// hood starts itself (the MSS's embedded bank, the lab's MSS and PDA processes) and the tests'
// child processes load through this, for the reason hood.js gives: tsx's in-thread require hooks,
// not its ESM loader, whose hooks Node 20 runs on a separate thread that a start-up under load
// could wait on for good. Entries therefore use no top-level await.
import { createRequire } from 'node:module';
import path from 'node:path';

const entry = process.argv[2];
if (!entry) {
  process.stderr.write('usage: node bin/run-ts.js <entry.ts> [args...]\n');
  process.exit(2);
}
const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
// The entry sees the argv it would see when started directly: [node, entry, args...].
process.argv.splice(1, 1);
process.argv[1] = path.resolve(entry);
require(process.argv[1]);
