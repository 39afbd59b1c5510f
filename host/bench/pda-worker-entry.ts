// Worker-thread entry for `hood bench mss` (bundled by worker-bundle.ts). The emulated PDAs are load
// generators here: node:crypto first, so they are not the bottleneck, then the worker itself.
import { installNativeCrypto } from '../crypto/native';

installNativeCrypto();
await import('./pda-worker');
