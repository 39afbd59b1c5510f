/**
 * The embedded default for outbound mail: an SMTP receiver on loopback that accepts every message
 * and stores it in a Maildir in the MSS's data directory. `hood mss` uses it unless a smarthost is
 * configured, so the whole path (nodemailer -> SMTP -> mailbox) is real even without a mail server.
 */
import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/log';
import { deliverToMaildir, ensureMaildir } from './maildir';
import { SmtpError } from './smtp-error';

export interface LocalSmarthost {
  host: string;
  port: number;
  maildir: string;
  close(): Promise<void>;
}

export async function startLocalSmarthost(opts: { maildir: string; host?: string; port?: number; maxBytes: number; log: Logger }): Promise<LocalSmarthost> {
  ensureMaildir(opts.maildir);
  const server = new SMTPServer({
    name: 'localhost',
    banner: 'hood local mail store',
    disabledCommands: ['AUTH', 'STARTTLS'],
    size: opts.maxBytes,
    logger: false,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        if (n <= opts.maxBytes) chunks.push(c);
      });
      stream.on('end', () => {
        if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded || n > opts.maxBytes) {
          const err = new SmtpError(552, '552 5.3.4 message too large');
          return cb(err);
        }
        const name = deliverToMaildir(opts.maildir, Buffer.concat(chunks));
        opts.log.info({ event: 'mail_stored_locally', file: name, bytes: n }, 'outbound mail stored in the local maildir');
        cb(null);
      });
    },
  });
  server.on('error', (e) => opts.log.warn({ event: 'local_smtp_error', err: e.message }, 'local SMTP receiver error'));
  await new Promise<void>((res, rej) => {
    server.once('error', rej);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => res());
  });
  const a = server.server.address() as AddressInfo;
  return {
    host: a.address,
    port: a.port,
    maildir: opts.maildir,
    close: () => new Promise<void>((res) => server.close(() => res())),
  };
}
