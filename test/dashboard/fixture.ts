/**
 * A whole MSS for the dashboard tests, as `hood mss --dashboard` runs it: gateway on an embedded aedes broker,
 * embedded bank (child process, SQLite), till, mail with its mix, and the dashboard on a free loopback port.
 * `paidSession()` puts an emulated PDA running the real bundle into a session paid with real coins.
 */
import { join } from 'node:path';
import { request } from 'node:http';
import { silentLogger } from '../../host/common/log';
import { joinSession, pdaFor } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { Wallet } from '../../host/wallet/wallet';
import { decodeToken } from '../../host/wallet/token';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

export interface Fixture {
  mss: RunningMss;
  dir: string;
  url: string;
  token: string;
  pdas: EmuPda[];
  newPda(): EmuPda;
  /** Coins as `hood wallet export` hands them to a PDA (their secrets are what must never show). */
  coins(amount: number): Promise<{ amount: number; id: string; secret: string; C: string }[]>;
  stop(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const dir = testDir('hood-dash-');
  const mss = await startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    tickMs: 200,
    payment: { price: { perMinute: 2, unit: 'sat', minSeconds: 60, graceSec: 30 }, bankListen: { host: '127.0.0.1', port: 0 }, account: 'doug' },
    mail: { smtpListen: 'off', mixMeanDelaySec: 60 },
    dashboard: { host: '127.0.0.1', port: 0 },
  });
  const acct = await mss.payment!.bank!.mint.createAccount('bob');
  await mss.payment!.bank!.mint.creditAccount('bob', 500);
  const bob = new Wallet(join(dir, 'bob-wallet'));
  await bob.withdraw(mss.payment!.bankUrl, acct.token, 200);
  const pdas: EmuPda[] = [];
  const f: Fixture = {
    mss,
    dir,
    url: mss.dashboard!.url,
    token: mss.dashboard!.newToken!,
    pdas,
    newPda() {
      const p = pdaFor(mss.gw, BUNDLE);
      pdas.push(p);
      return p;
    },
    async coins(amount) {
      const t = await bob.exportToken(mss.payment!.bankUrl, amount, { format: 'B', dleq: false });
      return decodeToken(t).proofs.map((p) => ({ amount: p.amount, id: p.id, secret: p.secret, C: p.C }));
    },
    async stop() {
      for (const p of pdas.splice(0)) p.powerOff();
      await mss.stop();
      removeTestDir(dir);
    },
  };
  return f;
}

/** A PDA joined and paid; returns what identifies it and what pays for it. */
export async function paidSession(f: Fixture) {
  const pda = f.newPda();
  const proofs = await f.coins(20);
  pda.storage.write('hood.coins', JSON.stringify({ v: 1, proofs }));
  const joined = await joinSession(pda);
  await pda.waitFor('paid', 20_000);
  return { pda, tmpId: joined.tmpId as string, tmpMac: joined.tmpMac as string, proofs };
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One HTTP request on loopback (optionally from another 127/8 address, to be another peer). */
export function get(url: string, o: { method?: string; headers?: Record<string, string>; body?: string; localAddress?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method || 'GET', headers: o.headers, localAddress: o.localAddress, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(o.body);
  });
}

/** The first `n` SSE snapshot events of /events, then the stream is closed. */
export function readEvents(url: string, headers: Record<string, string>, n: number): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; frames: string[] }> {
  return new Promise((resolve, reject) => {
    const req = request(url + '/events', { headers }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return resolve({ status: res.statusCode!, headers: res.headers, frames: [] });
      }
      let buf = '';
      const frames: string[] = [];
      res.on('data', (c: Buffer) => {
        buf += c.toString('utf8');
        let i;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const f = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (f.startsWith('event: snapshot')) frames.push(f);
          if (frames.length >= n) {
            req.destroy();
            return resolve({ status: 200, headers: res.headers, frames });
          }
        }
      });
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no events')));
    req.on('error', (e) => (e.message === 'socket hang up' ? undefined : reject(e)));
    req.end();
  });
}

/** The JSON of an SSE snapshot frame. */
export const frameData = (f: string) => JSON.parse(f.split('\n').find((l) => l.startsWith('data: '))!.slice(6));
