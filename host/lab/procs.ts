/**
 * Child processes of a lab run (dnsmasq, dumpcap, the MSS, the PDAs), each started inside its
 * namespace with `ip netns exec` (which execs, so the child's pid is the tool's own pid). Lines of
 * stdout are collected and can be awaited; stop() ends the process by its pid, with a bounded wait
 * and SIGKILL as the last resort.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export class LabProc {
  readonly lines: string[] = [];
  readonly errLines: string[] = [];
  exitCode: number | null = null;
  exited: Promise<void>;
  private waiters: { pred: (l: string) => boolean; resolve: (l: string) => void; reject: (e: Error) => void }[] = [];
  private child: ChildProcess;

  constructor(
    readonly name: string,
    ns: string,
    cmd: string,
    args: string[],
    opts: { cwd?: string; stdin?: boolean; onLine?: (l: string) => void } = {},
  ) {
    this.child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      cwd: opts.cwd,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const out = createInterface({ input: this.child.stdout!, terminal: false });
    out.on('line', (l) => {
      this.lines.push(l);
      opts.onLine?.(l);
      for (const w of this.waiters.slice()) {
        if (w.pred(l)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    });
    const err = createInterface({ input: this.child.stderr!, terminal: false });
    err.on('line', (l) => {
      if (this.errLines.length < 200) this.errLines.push(l);
      for (const w of this.waiters.slice()) {
        if (w.pred(l)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(l);
        }
      }
    });
    this.exited = new Promise((resolve) => {
      this.child.on('error', (e) => {
        this.errLines.push('spawn failed: ' + e.message);
        this.exitCode = -1;
        resolve();
      });
      this.child.on('exit', (code, sig) => {
        this.exitCode = code === null ? 128 + (sig === 'SIGKILL' ? 9 : 15) : code;
        // Out and err streams may still hold lines; let readline drain them before waiters fail.
        setImmediate(() => {
          for (const w of this.waiters.splice(0)) w.reject(new Error(this.name + ' exited (' + this.exitCode + '): ' + this.tail()));
          resolve();
        });
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === null;
  }

  tail(): string {
    return this.errLines.slice(-4).join(' / ') || this.lines.slice(-2).join(' / ');
  }

  send(line: string): void {
    if (!this.running || !this.child.stdin) throw new Error(this.name + ' is not running');
    this.child.stdin.write(line + '\n');
  }

  /** First line (stdout or stderr; already seen ones included) matching `pred`. */
  waitLine(pred: (l: string) => boolean, timeoutMs: number): Promise<string> {
    const seen = this.lines.find(pred) ?? this.errLines.find(pred);
    if (seen !== undefined) return Promise.resolve(seen);
    if (!this.running) return Promise.reject(new Error(this.name + ' is not running: ' + this.tail()));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(this.name + ': timed out after ' + timeoutMs + ' ms; last output: ' + this.tail()));
      }, timeoutMs);
      const w = {
        pred,
        resolve: (l: string) => (clearTimeout(t), resolve(l)),
        reject: (e: Error) => (clearTimeout(t), reject(e)),
      };
      this.waiters.push(w);
    });
  }

  /** SIGTERM (or closing stdin), wait up to `graceMs`, then SIGKILL; resolves once the process is gone. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    try {
      if (this.child.stdin) this.child.stdin.end();
      this.child.kill('SIGTERM');
    } catch {
      /* already gone */
    }
    const t = setTimeout(() => {
      try {
        this.child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    }, graceMs);
    await this.exited;
    clearTimeout(t);
  }

  /** Synchronous last resort (process 'exit' handler): SIGKILL by pid. */
  killNow(): void {
    if (this.running && this.child.pid) {
      try {
        process.kill(this.child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}
