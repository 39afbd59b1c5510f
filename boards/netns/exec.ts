/**
 * Run a system tool (ip, busybox udhcpc, dumpcap, ...) with a hard time limit and no shell, so an
 * argument can never be re-parsed as a command. Used by the netns board and the lab.
 */
import { execFile } from 'node:child_process';

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export class ExecError extends Error {
  constructor(
    readonly cmd: string,
    readonly args: string[],
    readonly stderr: string,
    msg: string,
  ) {
    super(msg);
  }
}

export function execTool(cmd: string, args: string[], timeoutMs = 10_000): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 << 20 }, (err, stdout, stderr) => {
      if (err) {
        const what = (err as NodeJS.ErrnoException).code === 'ENOENT' ? cmd + ': not installed' : (stderr || err.message).trim();
        reject(new ExecError(cmd, args, String(stderr), cmd + ' ' + args.join(' ') + ': ' + what));
      } else resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
