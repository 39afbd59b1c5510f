// Worker-thread entry for `hood bench flood`: load the TypeScript worker through tsx, like bin/hood.js does.
import { register } from 'tsx/esm/api';

register();
await import('./flood-worker.ts');
