/**
 * host/common/temp-dir.ts: a temporary directory (MSS keys inside) does not outlive its process,
 * however the process ends: process.exit, an uncaught exception, the event loop draining, SIGINT or
 * SIGTERM with no handler (the process still dies by that signal), or a handler of its own.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { liveTempDirs, makeTempDir, removeTempDir } from '../../host/common/temp-dir';
import { RUN_TS } from '../helpers/run-ts';

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'temp-dir-child.ts');

type End = 'exit' | 'throw' | 'return' | 'SIGINT' | 'SIGTERM';
interface Plan {
  n: number;
  remove: boolean[];
  handler: 'none' | 'before' | 'after';
  end: End;
}

async function runChild(plan: Plan): Promise<{ dirs: string[]; existed: boolean[]; code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [RUN_TS, CHILD, JSON.stringify(plan)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => (child.kill('SIGKILL'), reject(new Error('child did not start: ' + stderr))), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) (clearTimeout(t), resolve(out.slice(0, nl)));
    });
    void exited.then(() => {
      const nl = out.indexOf('\n');
      if (nl < 0) (clearTimeout(t), reject(new Error('child exited before reporting: ' + stderr)));
    });
  });
  const dirs = JSON.parse(line) as string[];
  made.push(...dirs);
  // Sampled while the child still runs only for signal endings; others may have ended already.
  const existed = dirs.map((d) => existsSync(d));
  if (plan.end === 'SIGINT' || plan.end === 'SIGTERM') child.kill(plan.end);
  const ended = await exited;
  return { dirs, existed, ...ended, stderr };
}

// What a child made, swept after each test even when the child failed to remove it (the test then fails).
const made: string[] = [];
afterEach(() => {
  while (made.length) rmSync(made.pop()!, { recursive: true, force: true });
});

function expectedEnd(plan: Plan): { code: number | null; signal: NodeJS.Signals | null } {
  if (plan.end === 'exit') return { code: 3, signal: null };
  if (plan.end === 'throw') return { code: 1, signal: null };
  if (plan.end === 'return') return { code: 0, signal: null };
  // Its own handler exits 128+n; without one the process dies by the signal, as Node's default would.
  if (plan.handler !== 'none') return { code: plan.end === 'SIGINT' ? 130 : 143, signal: null };
  return { code: null, signal: plan.end };
}

describe('temporary directories of a process', () => {
  it('are private (0700) under the temp dir, tracked until removed, and removal is idempotent', () => {
    const d = makeTempDir('hood-tdunit-');
    expect(dirname(d)).toBe(tmpdir());
    expect(basename(d)).toMatch(/^hood-tdunit-[A-Za-z0-9]{6}$/);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(liveTempDirs()).toContain(d);
    removeTempDir(d);
    removeTempDir(d);
    expect(existsSync(d)).toBe(false);
    expect(liveTempDirs()).not.toContain(d);
  });

  for (const end of ['exit', 'throw', 'return', 'SIGINT', 'SIGTERM'] as const) {
    for (const handler of end.startsWith('SIG') ? (['none', 'before', 'after'] as const) : (['none'] as const)) {
      it(`are removed when the process ends by ${end}${handler === 'none' ? '' : ' under its own signal handler, installed ' + handler}`, async () => {
        const plan: Plan = { n: 2, remove: [false, false], handler, end };
        const r = await runChild(plan);
        expect(r.dirs).toHaveLength(2);
        if (end.startsWith('SIG')) expect(r.existed).toEqual([true, true]); // they did exist while it ran
        expect({ code: r.code, signal: r.signal }, r.stderr).toEqual(expectedEnd(plan));
        expect(r.dirs.filter((d) => existsSync(d))).toEqual([]);
      }, 60_000);
    }
  }

  it('random plans: whatever is made, removed early, and however the process ends, nothing is left', async () => {
    const planArb = fc
      .record({
        n: fc.integer({ min: 0, max: 5 }),
        remove: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
        handler: fc.constantFrom<Plan['handler']>('none', 'before', 'after'),
        end: fc.constantFrom<End>('exit', 'throw', 'return', 'SIGINT', 'SIGTERM'),
      })
      .map((p) => ({ ...p, remove: p.remove.slice(0, p.n) }));
    await fc.assert(
      fc.asyncProperty(planArb, async (plan) => {
        const r = await runChild(plan);
        expect(r.dirs).toHaveLength(plan.n);
        expect({ code: r.code, signal: r.signal }, r.stderr).toEqual(expectedEnd(plan));
        expect(r.dirs.filter((d) => existsSync(d))).toEqual([]);
      }),
      { numRuns: 12 },
    );
  }, 240_000);
});
