#!/usr/bin/env node
// The `hood` command: loads the TypeScript CLI through tsx, so what runs is always the checked-out source.
// tsx's in-thread require hooks, not its ESM loader: Node 20 runs ESM loader hooks on a separate thread
// that the main thread waits on, and a start-up under load could wait there for good.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
require('tsx/cjs/api').register();
const { main } = require('../host/cli/hood.ts');
await main(process.argv);
