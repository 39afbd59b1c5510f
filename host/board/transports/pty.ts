/**
 * Transport to the Espruino interpreter for Linux on a pty. Espruino needs a terminal on stdin
 * (on a pipe it spins at 100% CPU after EOF), and Node has no pty of its own, so the interpreter
 * runs under util-linux `script`, which allocates one. The child gets its own process group and
 * close() ends exactly that group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Transport } from '../transport';
import { makeTempDir, removeTempDir } from '../../common/temp-dir';

export interface PtyOptions {
  /** Path of the espruino binary. */
  espruino: string;
  /**
   * Working directory: Espruino for Linux keeps its Storage in `espruino.flash` there, and runs the
   * `.bootcde` in it at start. Default: a fresh temp dir, removed on close.
   */
  cwd?: string;
}

/** Pids whose parent is `ppid` (from /proc; `script` puts the interpreter in a session of its own). */
function childPids(ppid: number): number[] {
  const out: number[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may contain spaces, so parse after ')'.
      const st = readFileSync('/proc/' + e + '/stat', 'utf8');
      const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
      if (Number(f[1]) === ppid) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

function shellQuote(s: string): string {
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

export async function openEspruinoPty(o: PtyOptions): Promise<Transport & { child: ChildProcess; cwd: string }> {
  const cwd = o.cwd ?? makeTempDir('hood-espruino-');
  const cleanup = () => {
    if (!o.cwd) removeTempDir(cwd);
  };
  const child = spawn('script', ['-qfec', shellQuote(path.resolve(o.espruino)), '/dev/null'], {
    cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    env: { ...process.env, TERM: 'dumb' },
  });
  const closeFns: ((err?: Error) => void)[] = [];
  let exited = false;
  // The last of stderr (script's own complaints, or the interpreter's), quoted when it exits badly.
  let stderrTail = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString('latin1')).slice(-400);
  });
  child.on('exit', (code, sig) => {
    exited = true;
    cleanup();
    const said = stderrTail.trim().replace(/\s+/g, ' ');
    const err = code === 0 || sig === 'SIGKILL' ? undefined : new Error('espruino exited (' + (sig ?? code) + ')' + (said ? ': ' + said : ''));
    for (const f of closeFns.splice(0)) f(err);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', () => resolve());
    child.once('error', (e) => (cleanup(), reject(e))); // no 'exit' follows a failed spawn
  });
  return {
    label: 'pty:' + o.espruino,
    child,
    cwd,
    write(data: string) {
      return new Promise<void>((resolve, reject) => {
        if (exited) return reject(new Error('espruino has exited'));
        child.stdin!.write(Buffer.from(data, 'latin1'), (err) => (err ? reject(err) : resolve()));
      });
    },
    onData(fn) {
      child.stdout!.on('data', (d: Buffer) => fn(d.toString('latin1')));
    },
    onClose(fn) {
      if (exited) fn();
      else closeFns.push(fn);
    },
    close() {
      return new Promise<void>((resolve) => {
        if (exited || child.pid === undefined) return resolve();
        child.once('exit', () => resolve());
        // The interpreter is script's child in its own session (pty): kill it by pid first, or it
        // would outlive script and spin on the closed pty.
        for (const pid of childPids(child.pid)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          resolve();
        }
      });
    },
  };
}
