#!/usr/bin/env node
// The `hood` command: loads the TypeScript CLI through tsx, so what runs is always the checked-out source.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../host/cli/hood.ts');
await main(process.argv);
