/**
 * A session by hand, as a user types it: `hood pda` (the emulated board) and `hood board console
 * --espruino` (the Linux interpreter, radio played by the console) as child processes, driven through
 * their stdin/stdout against a real gateway on loopback: start → in_session → echo → end → wiped.
 */
import { spawn, type ChildProcessWithoutNullStreams, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';
import { brokerAddress } from '../../host/demo/emu-session';
import { parseConsoleLine } from '../../host/pda/console';
import { parsePin } from '../../host/pda/emulated';
import { startGateway } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';

const run = promisify(execFile);
type Ev = Record<string, any>;

/** A console process: typed lines in, JSON event lines out (stdout), notices on stderr. */
class ConsoleChild {
  readonly events: Ev[] = [];
  stderr = '';
  readonly exited: Promise<number | null>;
  private child: ChildProcessWithoutNullStreams;
  private waiters: (() => void)[] = [];

  constructor(args: string[]) {
    this.child = spawn(process.execPath, ['bin/hood.js', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let buf = '';
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        // Every stdout line is one JSON event: anything else fails here.
        this.events.push(JSON.parse(line));
        for (const w of this.waiters.slice()) w();
      }
    });
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => {
      this.stderr += d;
      for (const w of this.waiters.slice()) w();
    });
    this.exited = new Promise((r) => this.child.on('exit', (code) => r(code)));
  }

  type(line: string): void {
    this.child.stdin.write(line + '\n');
  }

  eof(): void {
    this.child.stdin.end();
  }

  signal(s: NodeJS.Signals): void {
    this.child.kill(s);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** The first event from `since` on matching `pred`, or a rejection naming what was seen. */
  waitFor(pred: (e: Ev) => boolean, timeoutMs: number, since = 0): Promise<Ev> {
    return this.until(() => this.events.slice(since).find(pred), timeoutMs, 'event');
  }

  waitForStderr(re: RegExp, timeoutMs: number): Promise<string> {
    return this.until(() => (re.test(this.stderr) ? this.stderr : undefined), timeoutMs, 'stderr ' + re);
  }

  private until<T>(get: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const v = get();
        if (v === undefined) return;
        done();
        resolve(v);
      };
      const t = setTimeout(() => {
        done();
        reject(new Error('timed out waiting for ' + what + '; events: ' + JSON.stringify(this.events.slice(-6)) + '; stderr: ' + this.stderr.slice(-600)));
      }, timeoutMs);
      const done = () => {
        clearTimeout(t);
        const i = this.waiters.indexOf(check);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      this.waiters.push(check);
      check();
    });
  }
}

/** Type a session by hand: start, wait for in_session, echo a payload, end, wait for the wipe. */
async function byHandSession(c: ConsoleChild, joinMs: number, stepMs = 15_000): Promise<Ev> {
  const s0 = c.events.length;
  c.type('{"cmd":"start"}');
  const joined = await c.waitFor((e) => e.ev === 'joined' || e.ev === 'wiped', joinMs, s0);
  expect(joined.ev).toBe('joined');
  await c.waitFor((e) => e.ev === 'state' && e.state === 'in_session', 5000, s0);
  const mac = parseMac(joined.tmpMac);
  expect(isUnicast(mac) && isLocallyAdministered(mac)).toBe(true);
  c.type('{"cmd":"send","channel":0,"payload":"c0ffee00"}');
  const echo = await c.waitFor((e) => e.ev === 'data', stepMs, s0);
  expect(echo.payload).toBe('c0ffee00');
  const s1 = c.events.length;
  c.type('{"cmd":"end"}');
  const wiped = await c.waitFor((e) => e.ev === 'wiped', stepMs, s1);
  expect(wiped.ok).toBe(true);
  return joined;
}

let g: Awaited<ReturnType<typeof startGateway>>;
let broker: string;
let pin: string;
const children: ConsoleChild[] = [];
const child = (args: string[]) => {
  const c = new ConsoleChild(args);
  children.push(c);
  return c;
};

beforeAll(async () => {
  g = await startGateway();
  const b = brokerAddress(g.gw.brokerUrl);
  broker = b.host + ':' + b.port;
  pin = g.gw.mssId + '=' + toHex(g.gw.core.identityKey);
});
afterAll(async () => {
  for (const c of children) c.kill();
  await g?.stop();
});

describe('hood pda', () => {
  it('a session by hand: start → in_session → echo → end → wiped; EOF leaves cleanly', async () => {
    const c = child(['pda', '--broker', broker, '--pin', pin]);
    await c.waitForStderr(/one JSON command per line/, 60_000);
    c.type('{"cmd":"status"}');
    const st = await c.waitFor((e) => e.ev === 'status', 10_000);
    expect(st).toMatchObject({ state: 'off', mssId: g.gw.mssId, pins: [g.gw.mssId] });
    await byHandSession(c, 30_000);
    // A second session on the same PDA gets another TmpMAC (paper §3: nothing links two sessions).
    const first = c.events.find((e) => e.ev === 'joined')!;
    const second = await byHandSession(c, 30_000);
    expect(second.tmpMac).not.toBe(first.tmpMac);
    expect(second.tmpId).not.toBe(first.tmpId);
    c.eof();
    expect(await c.exited).toBe(0);
    expect(c.stderr).toMatch(/PDA off/);
    expect(c.stderr).not.toMatch(/WARNING/);
  }, 120_000);

  it('Ctrl-C during a session ends it (BYE, wipe) before the PDA goes off', async () => {
    const c = child(['pda', '--broker', broker, '--pin', pin]);
    await c.waitForStderr(/one JSON command per line/, 60_000);
    c.type('{"cmd":"start"}');
    await c.waitFor((e) => e.ev === 'joined', 30_000);
    c.signal('SIGINT');
    expect(await c.exited).toBe(0);
    const wiped = c.events.find((e) => e.ev === 'wiped');
    expect(wiped?.ok).toBe(true);
    expect(c.stderr).toMatch(/ending the session/);
  }, 120_000);

  it('without --pin it trusts the first beacon, says so, and pins it', async () => {
    const c = child(['pda', '--broker', broker]);
    await c.waitForStderr(/one JSON command per line/, 60_000);
    c.type('{"cmd":"start"}');
    await c.waitFor((e) => e.ev === 'joined', 30_000);
    await c.waitForStderr(/WARNING: no --pin given: trusting the first beacon/, 10_000);
    expect(c.stderr).toContain('--pin ' + pin);
    const s = c.events.length;
    c.type('{"cmd":"status"}');
    const st = await c.waitFor((e) => e.ev === 'status', 10_000, s);
    expect(st.pins).toEqual([g.gw.mssId]);
    c.eof();
    expect(await c.exited).toBe(0);
    expect(c.events.some((e) => e.ev === 'wiped' && e.ok === true)).toBe(true);
  }, 120_000);

  it('bad input: clear errors on stderr, the console keeps running, stdout stays JSON', async () => {
    const c = child(['pda', '--broker', broker, '--pin', pin]);
    await c.waitForStderr(/one JSON command per line/, 60_000);
    c.type('hello');
    c.type('[1,2]');
    c.type('{"nocmd":1}');
    c.type('{"cmd":"status","rid":5}');
    await c.waitForStderr(/"rid" is set by the console/, 10_000);
    expect(c.stderr).toMatch(/not a command: not JSON/);
    expect(c.stderr).toMatch(/not a command: a command is a JSON object/);
    expect(c.stderr).toMatch(/not a command: the object needs a "cmd" name/);
    const s = c.events.length;
    c.type('{"cmd":"nonsense"}');
    const err = await c.waitFor((e) => e.ev === 'error', 10_000, s);
    expect(String(err.msg)).toMatch(/unknown command/);
    c.type('{"cmd":"send","channel":0,"payload":"00"}'); // no session
    await c.waitFor((e) => e.ev === 'error' && /no session/.test(String(e.msg)), 10_000, s);
    c.type('{"cmd":"status"}');
    await c.waitFor((e) => e.ev === 'status', 10_000, s);
    c.eof();
    expect(await c.exited).toBe(0);
  }, 120_000);

  it('refuses bad options with the form it wants', async () => {
    const bad = async (args: string[]) => (await run(process.execPath, ['bin/hood.js', 'pda', ...args], { timeout: 60_000, killSignal: 'SIGKILL' }).catch((e) => e)) as { code: number; stderr: string };
    const noPin = await bad(['--broker', broker, '--pin', 'deadbeef']);
    expect(noPin.code).not.toBe(0);
    expect(noPin.stderr).toMatch(/--pin wants <mss-id>=<64 hex digits>/);
    const clash = await bad(['--broker', broker, '--pin', pin, '--mss', 'other']);
    expect(clash.stderr).toMatch(/--pin names MSS doug but --mss is other/);
    const noBroker = await bad([]);
    expect(noBroker.stderr).toMatch(/required option '--broker <host:port>'/);
    const badBroker = await bad(['--broker', 'nohostport']);
    expect(badBroker.stderr).toMatch(/expected host:port/);
  }, 120_000);

  it('a wrong pinned key: the beacon is refused and no session starts', async () => {
    const c = child(['pda', '--broker', broker, '--pin', g.gw.mssId + '=' + '11'.repeat(32)]);
    await c.waitForStderr(/one JSON command per line/, 60_000);
    c.type('{"cmd":"start","joinTimeoutMs":2000,"maxAttempts":1}');
    await c.waitFor((e) => e.ev === 'error' && e.code === 'pin_mismatch', 30_000);
    expect(c.events.some((e) => e.ev === 'joined')).toBe(false);
    c.eof();
    expect(await c.exited).toBe(0);
  }, 120_000);
});

describe('console lines', () => {
  it('only JSON objects with a cmd name and no rid are commands, whatever is typed', async () => {
    const fc = await import('fast-check');
    fc.assert(
      fc.property(fc.string(), (s) => {
        const r = parseConsoleLine(s);
        if (r instanceof Error) return true;
        return typeof r.cmd === 'string' && r.cmd !== '' && !('rid' in r) && !Array.isArray(r);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const r = parseConsoleLine(JSON.stringify(v));
        const isCmd = !!v && typeof v === 'object' && !Array.isArray(v) && typeof (v as any).cmd === 'string' && (v as any).cmd !== '' && !('rid' in (v as any));
        return (r instanceof Error) === !isCmd;
      }),
      { numRuns: 2000 },
    );
  });
});

describe('--pin', () => {
  it('accepts exactly <mss-id>=<64 lower-case hex digits>, for any string', async () => {
    const fc = await import('fast-check');
    const good = /^[a-z0-9][a-z0-9-]*=[0-9a-f]{64}$/;
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,8}=[0-9a-fA-F]{60,68}$/)), (s) => {
        const r = parsePin(s);
        if (!good.test(s)) return r instanceof Error && /<mss-id>=<64 hex digits>/.test(r.message);
        return !(r instanceof Error) && r.mssId + '=' + r.key === s;
      }),
      { numRuns: 3000 },
    );
  });
});

// The Espruino interpreter for Linux is not in any package registry: it runs only where the user names one
// (like a board on a port), never a build found lying around on the machine.
const ESPRUINO = [process.env.HOOD_ESPRUINO].find((p) => p && existsSync(p));

describe('hood board console --espruino (the console plays the radio)', () => {
  if (!ESPRUINO) console.log('hood board console --espruino: NOT RUN, skipped (set HOOD_ESPRUINO to an Espruino interpreter for Linux)');
  it.skipIf(!ESPRUINO)('flash, config, then a session by hand in the console', async () => {
    if (!ESPRUINO) return;
    const dir = testDir('hood-espruino-console-');
    const flash = await run(process.execPath, ['bin/hood.js', 'flash', '--board', 'espruino-linux', '--espruino', ESPRUINO, '--espruino-dir', dir, '--json'], { timeout: 240_000, killSignal: 'SIGKILL' });
    expect(JSON.parse(flash.stdout)).toMatchObject({ ok: true });
    await run(process.execPath, ['bin/hood.js', 'board', 'config', '--espruino', ESPRUINO, '--espruino-dir', dir, '--broker', broker, '--mss', g.gw.mssId, '--pin', pin, '--json'], { timeout: 120_000, killSignal: 'SIGKILL' });
    const c = child(['board', 'console', '--espruino', ESPRUINO, '--espruino-dir', dir]);
    await c.waitForStderr(/radio played by this console/, 60_000);
    // The Espruino interpreter shares two cores with the rest of the suite: a step takes seconds there (a JOIN
    // took 16 s in one loaded run, and the wipe prepares the next session's key pair), so it gets a minute.
    await byHandSession(c, 150_000, 60_000);
    c.eof();
    expect(await c.exited).toBe(0);
  }, 600_000);
});
