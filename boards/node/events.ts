/**
 * The events of one PDA as the host sees them: every console line goes through `line()`, the `@hood`
 * events among them (framing.ts) are kept in order and handed to whoever waits for one. Used by every
 * PDA the host runs or drives from Node (emulated, netns, the lab's PDA processes).
 */
import { parseEventLine, type PdaEvent } from '../espruino-common/framing';

interface Waiter {
  pred: (e: PdaEvent) => boolean;
  resolve: (e: PdaEvent) => void;
}

export class PdaEventLog {
  readonly events: PdaEvent[] = [];
  private waiters: Waiter[] = [];

  /** @param onEvent called for every event as it is parsed, before any waiter resolves. */
  constructor(private readonly onEvent?: (e: PdaEvent) => void) {}

  /** One console line; returns its event, or null for REPL noise. */
  line(l: string): PdaEvent | null {
    const e = parseEventLine(l);
    if (!e) return null;
    this.events.push(e);
    this.onEvent?.(e);
    for (const w of this.waiters.slice()) {
      if (w.pred(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        w.resolve(e);
      }
    }
    return e;
  }

  /**
   * The first event from index `since` on matching `pred` (`pred` may be an event name), already seen
   * or still to come; rejects after `timeoutMs` with `why()` as the message.
   */
  waitFor(pred: string | ((e: PdaEvent) => boolean), timeoutMs: number, since: number, why: () => string): Promise<PdaEvent> {
    const p = typeof pred === 'string' ? (e: PdaEvent) => e.ev === pred : pred;
    const seen = this.events.slice(since).find(p);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const w: Waiter = { pred: p, resolve: (e) => (clearTimeout(t), resolve(e)) };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(w), 1);
        reject(new Error(why()));
      }, timeoutMs);
      this.waiters.push(w);
    });
  }
}
