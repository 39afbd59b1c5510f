/** A tiny raw SMTP client for tests: sends commands one by one and records every reply (status code + text). */
import net from 'node:net';

export async function smtpDialog(host: string, port: number, steps: (string | Buffer)[], timeoutMs = 10_000): Promise<string[]> {
  const sock = net.connect(port, host);
  const replies: string[] = [];
  let buf = '';
  let waiter: ((r: string) => void) | null = null;
  const pending: string[] = [];
  sock.on('data', (d) => {
    buf += d.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^\d{3} /.test(line)) {
        if (waiter) {
          const w = waiter;
          waiter = null;
          w(line);
        } else pending.push(line);
      }
    }
  });
  const next = () =>
    new Promise<string>((res, rej) => {
      if (pending.length) return res(pending.shift()!);
      const t = setTimeout(() => rej(new Error('SMTP reply timeout; so far: ' + JSON.stringify(replies))), timeoutMs);
      waiter = (r) => {
        clearTimeout(t);
        res(r);
      };
    });
  try {
    replies.push(await next()); // greeting
    for (const s of steps) {
      sock.write(s);
      replies.push(await next());
    }
  } finally {
    sock.destroy();
  }
  return replies;
}
