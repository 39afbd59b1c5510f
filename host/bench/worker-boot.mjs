// Worker-thread entry for `hood bench mss`: load the TypeScript worker through tsx, like bin/hood.js does.
import { register } from 'tsx/esm/api';

register();
await import('./pda-worker.ts');
