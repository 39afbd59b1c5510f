/**
 * Running until the operator stops the process: the first SIGINT (Ctrl-C) or SIGTERM (service
 * managers, the lab's process control) ends the run. The handlers come off at that first signal, so
 * a second Ctrl-C during a slow shutdown kills the process outright (Node's default action).
 */
import { constants } from 'node:os';

export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export interface SignalWatch {
  /** Settles with the first of the watched signals; never, once `off()` ran first. */
  signal: Promise<NodeJS.Signals>;
  /** Stop watching (idempotent). */
  off(): void;
}

/** Watch for the first of `signals`; while watched, none of them terminates the process. */
export function watchSignals(signals: readonly NodeJS.Signals[] = STOP_SIGNALS): SignalWatch {
  let off = () => undefined as void;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    const handlers = signals.map((s) => [s, () => (off(), resolve(s))] as const);
    off = () => {
      for (const [s, h] of handlers) process.off(s, h);
    };
    for (const [s, h] of handlers) process.on(s, h);
  });
  return { signal, off: () => off() };
}

/**
 * Start a service, serve until a stop signal, then stop it, and resolve with the signal. The
 * handlers are in place before `start` runs, so a signal that comes while it starts (or right after
 * it announced itself ready) stops the service once it is up rather than killing the process
 * half-way. `ended` (optional) lets the service also end by itself: the run then resolves with
 * undefined. The process is kept alive while serving. A failing `start` or `stop` rejects, so the
 * caller's exit code shows it.
 */
export async function runUntilSignal<T>(
  start: () => T | Promise<T>,
  stop: (running: T, signal: NodeJS.Signals | undefined) => unknown,
  o: { signals?: readonly NodeJS.Signals[]; ended?: (running: T) => Promise<unknown> } = {},
): Promise<NodeJS.Signals | undefined> {
  const w = watchSignals(o.signals);
  // Signal handlers do not keep Node's event loop alive; this timer does, until the run ends.
  const hold = setInterval(() => undefined, 1 << 30);
  let why: NodeJS.Signals | undefined;
  let running: T;
  try {
    running = await start();
    const ended = o.ended ? o.ended(running).then(() => undefined, () => undefined) : new Promise<undefined>(() => undefined);
    why = await Promise.race([w.signal, ended]);
  } finally {
    clearInterval(hold);
    w.off();
  }
  await stop(running, why);
  return why;
}

/** The shell's exit status for a process ended by `signal` (128 + its number: 130 for SIGINT, 143 for SIGTERM). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}
