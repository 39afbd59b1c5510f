// Worker-thread entry for `hood bench mss`: load the TypeScript worker through tsx, like bin/hood.js does.
import { register } from 'tsx/esm/api';

register();
// The emulated PDAs are load generators here: node:crypto, so they are not the bottleneck.
(await import('../crypto/native.ts')).installNativeCrypto();
await import('./pda-worker.ts');
