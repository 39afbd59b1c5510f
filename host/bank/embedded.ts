/**
 * The MSS's embedded bank as a child process (host/bank/main.ts under tsx, via child_process.fork).
 * The bank's work — pure-JS secp256k1 for every proof and signature, synchronous SQLite commits with
 * fsync — then runs on its own event loop and core, and a large swap cannot stall the MSS's cell
 * handling; a crash of the bank cannot take the MSS down. The MSS talks to it over HTTP on loopback
 * exactly as to an external bank, and does admin work (accounts) over the fork's IPC channel.
 *
 * Lifecycle: spawnBank() resolves once the child reports {type: 'ready', url}; close() sends
 * SIGTERM and, after `stopTimeoutMs`, SIGKILL. The child exits by itself when the IPC channel
 * closes, which is what happens when the MSS process dies for any reason. Its JSON log lines are
 * re-emitted on the MSS's logger, so `hood mss` still shows one log.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { HoodError } from '../common/errors';
import { errorReason } from '../cashu/errors';
import type { Logger } from '../common/log';
import type { AdminReply } from './admin';
import type { AuditReport } from './ledger/store';

/** What the MSS (and tests, and the demo) may ask of the bank beside its HTTP API. */
export interface BankAdmin {
  /** A new account; its bearer token is returned here once and never logged. */
  createAccount(name: string): Promise<{ id: string; name: string; token: string }>;
  /** Deposit into an account; returns the new balance. */
  creditAccount(name: string, amount: number): Promise<number>;
  audit(): Promise<AuditReport>;
}

export interface EmbeddedBank {
  url: string;
  pid: number;
  /** Admin operations, run by the bank process (named `mint` as in the in-process RunningBank). */
  mint: BankAdmin;
  close(): Promise<void>;
}

export interface SpawnBankOptions {
  dataDir: string;
  host: string;
  port: number;
  log: Logger;
  /** Extra arguments for host/bank/main.ts (quote caps, TTL, purge period). */
  args?: string[];
  readyTimeoutMs?: number;
  stopTimeoutMs?: number;
  adminTimeoutMs?: number;
}

/** An admin request the bank refused (`code` is the bank's error code when it has one). */
export class BankAdminError extends HoodError {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(code ? errorReason(code) : 'admin_refused', message);
    this.name = 'BankAdminError';
  }
}

const ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));
const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };
/** Longest child log line passed on; pino lines of the bank are far shorter. */
const MAX_LINE = 16 * 1024;

/**
 * The bank starts through bin/run-ts.js: tsx's in-thread require hooks, not `--import tsx`, whose
 * ESM loader hooks Node 20 runs on a separate thread that a start-up under load could wait on for good.
 */
const RUN_TS = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));

/** Re-emit one line of the child's stdout (pino JSON) on the MSS's logger. */
function forwardLine(log: Logger, line: string): void {
  const text = line.length > MAX_LINE ? line.slice(0, MAX_LINE) : line;
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch {
    j = undefined;
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) {
    if (text.trim()) log.info({ out: text }, 'bank output');
    return;
  }
  const { level, time: _time, name: _name, msg, pid: _pid, hostname: _host, ...fields } = j as Record<string, unknown>;
  const method = LEVELS[typeof level === 'number' ? level : 30] || 'info';
  log[method](fields, typeof msg === 'string' ? msg : '');
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      child.off('exit', done);
      resolve(false);
    }, ms);
    const done = () => {
      clearTimeout(t);
      resolve(true);
    };
    child.once('exit', done);
  });
}

export async function spawnBank(o: SpawnBankOptions): Promise<EmbeddedBank> {
  const host = o.host.includes(':') ? '[' + o.host + ']' : o.host;
  const child = fork(RUN_TS, [ENTRY, '--listen', host + ':' + o.port, '--data-dir', o.dataDir, ...(o.args || [])], {
    execArgv: [],
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
    env: { ...process.env, HOOD_LOG_LEVEL: String(o.log.level || 'info') },
  });
  const stderrTail: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => forwardLine(o.log, l));
  createInterface({ input: child.stderr! }).on('line', (l) => {
    const line = l.length > MAX_LINE ? l.slice(0, MAX_LINE) : l;
    stderrTail.push(line);
    if (stderrTail.length > 20) stderrTail.shift();
    o.log.error({ stderr: line }, 'bank stderr');
  });

  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  let stopping = false;
  const failAll = (why: string) => {
    for (const [id, w] of waiting) {
      clearTimeout(w.timer);
      waiting.delete(id);
      w.reject(new BankAdminError(why));
    }
  };
  child.on('exit', (code, signal) => {
    failAll('the bank process exited');
    if (!stopping) o.log.error({ event: 'bank_exited', code, signal }, 'embedded bank exited');
  });

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('embedded bank did not become ready within ' + (o.readyTimeoutMs ?? 30_000) + ' ms'));
    }, o.readyTimeoutMs ?? 30_000);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      // The exit can overtake the last stderr lines; give the pipe a moment to drain.
      setTimeout(() => reject(new Error('embedded bank exited before it was ready (' + (signal || code) + '): ' + stderrTail.join(' | '))), 50);
    };
    child.once('exit', onExit);
    child.on('message', function onReady(m: unknown) {
      const r = m as { type?: unknown; url?: unknown };
      if (r && r.type === 'ready' && typeof r.url === 'string' && /^http:\/\/[^/]+$/.test(r.url)) {
        clearTimeout(timer);
        child.off('exit', onExit);
        child.off('message', onReady);
        resolve(r.url);
      }
    });
  });

  child.on('message', (m: unknown) => {
    const r = m as AdminReply;
    if (!r || r.type !== 'admin' || typeof r.id !== 'number') return;
    const w = waiting.get(r.id);
    if (!w) return;
    clearTimeout(w.timer);
    waiting.delete(r.id);
    if (r.ok) w.resolve(r.value);
    else w.reject(new BankAdminError(String(r.error), r.code));
  });

  const ask = <T>(req: Record<string, unknown>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (!child.connected) return reject(new BankAdminError('the bank process is not running'));
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new BankAdminError('the bank did not answer an admin request in time'));
      }, o.adminTimeoutMs ?? 30_000);
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      child.send({ ...req, id });
    });

  let closing: Promise<void> | null = null;
  return {
    url,
    pid: child.pid!,
    mint: {
      createAccount: (name) => ask({ op: 'createAccount', name }),
      creditAccount: (name, amount) => ask({ op: 'creditAccount', name, amount }),
      audit: () => ask({ op: 'audit' }),
    },
    close() {
      if (closing) return closing;
      stopping = true;
      closing = (async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGTERM');
        if (await waitExit(child, o.stopTimeoutMs ?? 5000)) return;
        o.log.warn({ event: 'bank_kill' }, 'embedded bank ignored SIGTERM; killing it');
        child.kill('SIGKILL');
        await waitExit(child, 5000);
      })();
      return closing;
    },
  };
}
