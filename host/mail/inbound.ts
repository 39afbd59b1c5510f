/**
 * Inbound SMTP for replies (paper step 7): `<TmpId>@<mss domain>` only. RCPT to anything else is
 * refused at once (550: other domains — no relaying; unknown or expired TmpIds), so nothing is ever
 * accepted that cannot be routed. DATA is bounded (SIZE advertised and enforced: 552), then the age
 * file is extracted (554 if there is none or it is malformed) and handed to `route`.
 */
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { DecodeError } from '../../shared/src/bytes';
import type { Logger } from '../common/log';
import { extractAge } from './mime';
import { SmtpError } from './smtp-error';

const TMPID = /^[a-z2-7]{1,32}$/;

export interface InboundRouter {
  /** Is there a live session or a drop box for this TmpId? */
  known(tmpId: string): boolean;
  /**
   * Deliver, store, hold in the mix (docs/anonymity.md) or forward to the MSS the TmpId moved to
   * (docs/handoff.md); returns what happened, or throws (rejects with) an SmtpError.
   */
  route(tmpId: string, age: Uint8Array): RouteResult | Promise<RouteResult>;
}

export type RouteResult = 'delivered' | 'stored' | 'queued' | 'forwarded';

const ANSWER: Record<RouteResult, string> = {
  delivered: 'delivered to the PDA',
  stored: 'kept in the drop box',
  queued: 'queued',
  forwarded: "forwarded to the PDA's MSS",
};

export interface InboundServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

export async function startInbound(opts: {
  domain: string;
  host: string;
  port: number;
  maxSmtpBytes: number;
  maxAgeBytes: number;
  router: InboundRouter;
  log: Logger;
  count: (what: string) => void;
}): Promise<InboundServer> {
  const domain = opts.domain.toLowerCase();
  const tmpIdOf = (addr: SMTPServerAddress): string | Error => {
    const a = String(addr.address || '').toLowerCase();
    const at = a.lastIndexOf('@');
    if (at <= 0 || a.slice(at + 1) !== domain) return new SmtpError(550, '5.7.1 relaying denied: only <TmpId>@' + domain + ' is served here');
    const local = a.slice(0, at);
    if (!TMPID.test(local)) return new SmtpError(550, '5.1.1 no such TmpId');
    return local;
  };
  const server = new SMTPServer({
    name: domain,
    banner: 'hood MSS',
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: opts.maxSmtpBytes,
    maxClients: 64,
    socketTimeout: 30_000,
    closeTimeout: 5_000,
    logger: false,
    onRcptTo(addr: SMTPServerAddress, session: SMTPServerSession, cb: (err?: Error | null) => void) {
      if (session.envelope.rcptTo.length >= 1) {
        opts.count('smtp_too_many_rcpt');
        return cb(new SmtpError(452, '4.5.3 one TmpId per message'));
      }
      const t = tmpIdOf(addr);
      if (t instanceof Error) {
        opts.count('smtp_bad_rcpt');
        return cb(t);
      }
      if (!opts.router.known(t)) {
        opts.count('smtp_unknown_tmpid');
        return cb(new SmtpError(550, '5.1.1 unknown or expired TmpId'));
      }
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n <= opts.maxSmtpBytes) chunks.push(c);
      });
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || n > opts.maxSmtpBytes) {
          opts.count('smtp_too_large');
          return cb(new SmtpError(552, '5.3.4 message exceeds ' + opts.maxSmtpBytes + ' bytes'));
        }
        const rcpt = session.envelope.rcptTo[0];
        const t = rcpt ? tmpIdOf(rcpt) : new SmtpError(503, '5.5.1 no recipient');
        if (t instanceof Error) return cb(t);
        const failed = (e: unknown) => {
          if (e instanceof DecodeError) {
            opts.count('smtp_' + e.reason);
            return cb(new SmtpError(554, '5.6.0 refused: ' + e.message));
          }
          if (e instanceof SmtpError) return cb(e);
          opts.log.error({ event: 'smtp_route_error', err: (e as Error).message }, 'reply routing failed');
          cb(new SmtpError(451, '4.3.0 temporary failure'));
        };
        try {
          const parsed = extractAge(Buffer.concat(chunks), opts.maxAgeBytes);
          // The answer goes back only once the reply is delivered, stored, queued or taken by the next MSS.
          Promise.resolve(opts.router.route(t, parsed.age)).then((r) => {
            opts.count('smtp_' + r);
            cb(null, ANSWER[r]);
          }, failed);
        } catch (e) {
          failed(e);
        }
      });
    },
  });
  server.on('error', (e) => opts.log.warn({ event: 'smtp_error', err: e.message }, 'inbound SMTP error'));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port, opts.host, () => res());
  });
  const a = server.server.address() as AddressInfo;
  return { host: a.address, port: a.port, close: () => new Promise<void>((res) => server.close(() => res())) };
}
