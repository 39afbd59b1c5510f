/**
 * The pty transport to the Espruino interpreter for Linux (host/board/transports/pty.ts), with a
 * stand-in program in the interpreter's place: an interpreter that dies says why, echoes come back
 * through the pty, and close() ends the program it started.
 */
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openEspruinoPty } from '../../host/board/transports/pty';
import { testDir } from '../helpers/temp-dir';

function program(body: string): string {
  const dir = testDir('hood-pty-');
  const p = join(dir, 'fake-espruino');
  writeFileSync(p, '#!/bin/sh\n' + body + '\n');
  chmodSync(p, 0o755);
  return p;
}

describe('pty transport', () => {
  it('an interpreter that exits with an error: the close reason names the code and what was printed', async () => {
    const t = await openEspruinoPty({ espruino: program('sleep 0.2; echo "out of pseudo-terminals" >&2; exit 1') });
    let out = '';
    t.onData((d) => (out += d));
    const reason = await new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    expect(reason?.message).toMatch(/^espruino exited \(1\)/);
    // script(1) runs the program on a pty (its stderr joins the pty's output), so what it printed
    // reaches either the reason or the data; it is never lost.
    expect(reason!.message + out).toMatch(/out of pseudo-terminals/);
    await expect(t.write('x')).rejects.toThrow(/espruino has exited/);
    expect(existsSync(t.cwd)).toBe(false); // its temp dir went with it
  });

  it('a line written comes back through the pty; close() ends the program and its temp dir', async () => {
    const t = await openEspruinoPty({ espruino: program('while read l; do echo "got:$l"; done') });
    let out = '';
    t.onData((d) => (out += d));
    await t.write('hello\n');
    const deadline = Date.now() + 10_000;
    while (!/got:hello/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(out).toMatch(/got:hello/);
    const closed = new Promise<Error | undefined>((resolve) => t.onClose(resolve));
    await t.close();
    expect(await closed).toBeUndefined(); // killed by us: not an error
    expect(existsSync(t.cwd)).toBe(false);
  });
});
