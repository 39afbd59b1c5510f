/**
 * The host's board link: commands in, events out, over any Transport (framing.ts). Each request
 * carries a fresh request id (`rid`); the firmware tags the events of that command with it and ends
 * with `{"ev":"done","rid":N,"ok":bool}` (boards/espruino-common/console-protocol.ts), so replies are
 * matched even among unsolicited events (session state changes, radio requests) and REPL noise.
 */
import { HoodError } from '../common/errors';
import { decodeCommandLine, encodeCommand, LineSplitter, parseEventLine, type PdaEvent } from '../../boards/espruino-common/framing';
import type { Transport } from './transport';

export class BoardError extends HoodError {
  constructor(
    message: string,
    readonly code: string,
    readonly events: PdaEvent[] = [],
  ) {
    super(code, message);
    this.name = 'BoardError';
  }
}

export interface RequestResult {
  ok: boolean;
  /** Events of this command, in order, without the final `done`. */
  events: PdaEvent[];
}

export interface LinkOptions {
  /** Default request timeout (ms). */
  timeoutMs?: number;
  /** Bytes per write and pause between writes (physical UARTs: keep the board's RX buffer from overrunning). */
  chunkBytes?: number;
  chunkDelayMs?: number;
}

/** Bound on remembered events and noise lines. */
const KEEP = 2000;

export class BoardLink {
  readonly events: PdaEvent[] = [];
  /** Console lines that were not events (REPL noise), most recent last. */
  readonly noise: string[] = [];
  private nextRid = 1;
  private listeners: ((e: PdaEvent) => void)[] = [];
  private closed = false;
  private closeErr: Error | undefined;
  private closeListeners: ((err?: Error) => void)[] = [];
  private readonly opts: Required<LinkOptions>;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    readonly transport: Transport,
    opts: LinkOptions = {},
  ) {
    this.opts = { timeoutMs: opts.timeoutMs ?? 10_000, chunkBytes: opts.chunkBytes ?? 0, chunkDelayMs: opts.chunkDelayMs ?? 0 };
    // rid 1.. would collide with a previous host's ids after a reconnect; start somewhere random.
    this.nextRid = 1 + Math.floor(Math.random() * 1_000_000);
    const split = new LineSplitter((line) => this.onLine(line));
    transport.onData((chunk) => split.push(chunk));
    transport.onClose((err) => {
      this.closed = true;
      this.closeErr = err;
      for (const f of this.closeListeners.splice(0)) f(err);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private onLine(line: string): void {
    const e = parseEventLine(line);
    if (!e) {
      if (line.trim() !== '' && line.trim() !== '>') {
        this.noise.push(line);
        if (this.noise.length > KEEP) this.noise.shift();
      }
      return;
    }
    this.events.push(e);
    if (this.events.length > KEEP) this.events.shift();
    for (const f of this.listeners.slice()) f(e);
  }

  /** Subscribe to every event; returns the unsubscribe function. */
  onEvent(fn: (e: PdaEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      const i = this.listeners.indexOf(fn);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  onClose(fn: (err?: Error) => void): void {
    if (this.closed) fn(this.closeErr);
    else this.closeListeners.push(fn);
  }

  /** Write raw console bytes (serialised with every other write, chunked per LinkOptions). */
  writeRaw(data: string): Promise<void> {
    const run = async () => {
      if (this.closed) throw new BoardError('board link is closed', 'closed');
      const n = this.opts.chunkBytes;
      if (!n) return this.transport.write(data);
      for (let i = 0; i < data.length; i += n) {
        await this.transport.write(data.slice(i, i + n));
        if (this.opts.chunkDelayMs) await new Promise((r) => setTimeout(r, this.opts.chunkDelayMs));
      }
    };
    const p = this.writing.then(run, run);
    this.writing = p.catch(() => undefined);
    return p;
  }

  /** Wait for the first event matching `pred` (optionally among those already seen from index `since`). */
  waitFor(pred: string | ((e: PdaEvent) => boolean), timeoutMs = this.opts.timeoutMs, since?: number): Promise<PdaEvent> {
    const p = typeof pred === 'string' ? (e: PdaEvent) => e.ev === pred : pred;
    if (since !== undefined) {
      const seen = this.events.slice(since).find(p);
      if (seen) return Promise.resolve(seen);
    }
    return new Promise((resolve, reject) => {
      let off = () => {};
      const t = setTimeout(() => {
        off();
        reject(new BoardError('timed out after ' + timeoutMs + ' ms waiting for a board event', 'timeout'));
      }, timeoutMs);
      off = this.onEvent((e) => {
        if (!p(e)) return;
        clearTimeout(t);
        off();
        resolve(e);
      });
      this.onClose((err) => {
        clearTimeout(t);
        off();
        reject(new BoardError('board link closed' + (err ? ': ' + err.message : ''), 'closed'));
      });
    });
  }

  /** Send one command and collect its events up to `done`. Never throws for a firmware-side error: see `ok`. */
  async request(cmd: Record<string, unknown>, timeoutMs = this.opts.timeoutMs): Promise<RequestResult> {
    if (typeof cmd.cmd !== 'string') throw new BoardError('command needs a "cmd" name', 'bad_command');
    const rid = this.nextRid++;
    // rid first: the firmware finds it with an anchored pattern without parsing the whole line.
    const framed = encodeCommand({ rid, ...cmd });
    if (decodeCommandLine(framed.replace(/\n$/, '')) === null) throw new BoardError('command did not frame', 'bad_command');
    const mine: PdaEvent[] = [];
    const done = new Promise<RequestResult>((resolve, reject) => {
      let off = () => {};
      const t = setTimeout(() => {
        off();
        reject(new BoardError('no answer from the board to ' + cmd.cmd + ' within ' + timeoutMs + ' ms', 'timeout', mine));
      }, timeoutMs);
      off = this.onEvent((e) => {
        if (e.rid !== rid) return;
        if (e.ev === 'done') {
          clearTimeout(t);
          off();
          resolve({ ok: e.ok === true, events: mine });
        } else mine.push(e);
      });
      this.onClose((err) => {
        clearTimeout(t);
        off();
        reject(new BoardError('board link closed during ' + cmd.cmd + (err ? ': ' + err.message : ''), 'closed', mine));
      });
    });
    try {
      await this.writeRaw(framed);
    } catch (e) {
      done.catch(() => undefined); // the write error is the one to report
      throw e;
    }
    return done;
  }

  /** request() that throws BoardError (with the firmware's code and message) unless the command succeeded. */
  async command(cmd: Record<string, unknown>, timeoutMs?: number): Promise<PdaEvent[]> {
    const r = await this.request(cmd, timeoutMs);
    if (!r.ok) {
      const err = r.events.find((e) => e.ev === 'error');
      throw new BoardError(String(cmd.cmd) + ': ' + (err?.msg ?? 'failed'), String(err?.code ?? 'failed'), r.events);
    }
    return r.events;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.transport.close();
  }
}
