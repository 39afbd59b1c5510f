/**
 * Live updates by server-sent events (WHATWG HTML §9.2): one snapshot (snapshot.ts) a second, the same JSON
 * to every client, and at once to a client that just connected. The number of clients is capped: past the
 * cap a new stream is answered 503, so open tabs cannot make the MSS serialize without bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardSnapshot } from './snapshot';

export class SnapshotEvents {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly read: () => DashboardSnapshot,
    private readonly maxClients = 8,
    private readonly periodMs = 1000,
    private readonly headers: Record<string, string> = {},
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Take a GET /events request (already authorized). */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.maxClients) {
      res.writeHead(503, { ...this.headers, 'Content-Type': 'text/plain; charset=utf-8', 'Retry-After': '5' });
      res.end('too many live views open\n');
      return;
    }
    res.writeHead(200, { ...this.headers, 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    // A reconnecting browser waits 2 s, not its default 3-5 s.
    res.write('retry: 2000\n\n');
    this.clients.add(res);
    const drop = () => this.clients.delete(res);
    req.on('close', drop);
    res.on('close', drop);
    res.write(this.frame(this.read()));
    if (!this.timer) {
      this.timer = setInterval(() => this.push(), this.periodMs);
      this.timer.unref();
    }
  }

  private frame(s: DashboardSnapshot): string {
    return 'event: snapshot\ndata: ' + JSON.stringify(s) + '\n\n';
  }

  /** Send one snapshot to every client (the timer does this each period). */
  push(): void {
    if (this.clients.size === 0) {
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
      return;
    }
    const f = this.frame(this.read());
    for (const c of this.clients) c.write(f);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}
