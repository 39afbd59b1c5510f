/** `hood mss cashout` as a user runs it: one process at a time owns the till. */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { testDir } from '../helpers/temp-dir';

const run = promisify(execFile);

describe('hood mss cashout', () => {
  it('refuses while another live process holds the till, and cashes out (nothing yet) when free', async () => {
    const dir = testDir('hood-cashout-');
    mkdirSync(join(dir, 'till'), { recursive: true });
    writeFileSync(join(dir, 'till', 'lock'), String(process.pid)); // "the gateway" (this live process)
    const busy = await run(process.execPath, ['bin/hood.js', 'mss', '--data-dir', dir, '--bank-listen', '127.0.0.1:0', 'cashout']).catch((e) => e);
    expect(busy.code).not.toBe(0);
    expect(String(busy.stderr)).toMatch(/in use by process \d+ \(stop the gateway first\)/);

    writeFileSync(join(dir, 'till', 'lock'), '999999999'); // a lock left by a process that is gone
    const { stdout } = await run(process.execPath, ['bin/hood.js', 'mss', '--data-dir', dir, '--bank-listen', '127.0.0.1:0', 'cashout', '--json'], { timeout: 60_000, killSignal: 'SIGKILL' });
    expect(JSON.parse(stdout)).toEqual({ account: 'doug', cashedOut: 0, tillBefore: 0, tillAfter: 0 });
  });
});
