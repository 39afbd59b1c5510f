/** Shared test fixtures: a real bank on 127.0.0.1 (port 0) over a real SQLite file in a temp dir. */
import { silentLogger } from '../../host/common/log';
import { startBank, type RunningBank } from '../../host/bank/service';
import { removeTestDir, testDir } from '../helpers/temp-dir';

const made: string[] = [];

/** A fresh temp dir, removed by cleanupTempDirs() (call it in afterAll). */
export function tempDir(prefix: string): string {
  const d = testDir('hood-' + prefix + '-');
  made.push(d);
  return d;
}

export function cleanupTempDirs(): void {
  while (made.length) removeTestDir(made.pop()!);
}

export interface TestBank extends RunningBank {
  dir: string;
  /** Create an account holding `amount` and return its bearer token. */
  funded(name: string, amount: number): Promise<string>;
  stop(): Promise<void>;
}

export async function startTestBank(dir = tempDir('bank')): Promise<TestBank> {
  const bank = await startBank({ dataDir: dir, host: '127.0.0.1', port: 0, log: silentLogger() });
  return {
    ...bank,
    dir,
    async funded(name: string, amount: number) {
      const a = await bank.mint.createAccount(name);
      if (amount > 0) await bank.mint.creditAccount(name, amount);
      return a.token;
    },
    async stop() {
      await bank.close();
      removeTestDir(dir);
    },
  };
}

/** POST raw text (for malformed bodies) and return status + parsed JSON. */
export async function rawPost(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}
