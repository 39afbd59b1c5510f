/**
 * One owner of the radio, whatever the order of events (paper §2.4 modes, §5 TmpMAC, step 8 erase).
 *
 * The firmware (TypeScript source of firmware/dist/hood.js) runs on a board whose radio, TCP and timer
 * callbacks are delivered by a seeded scheduler in random orders, against a real MSS gateway and broker
 * on loopback. Random console command sequences (start, end, mode home / anonymous, status) are
 * interleaved with those callbacks. In every run:
 *  - while an anonymous session is under way (state `starting` until `wiped`), nothing reaches the air
 *    with the burned-in MAC and no bytes carry the home MQTT client id (`hood` + burned-in MAC hex);
 *  - the anonymous session and the home link never hold the radio at once;
 *  - a final `end` always leads to `wiped` (or `off`), every wipe reports ok, every secret buffer the
 *    session ever held is all zero, the radio is down and free.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEventLine } from '../../boards/espruino-common/framing';
import { brokerAddress } from '../../host/demo/emu-session';
import { toHex } from '../../shared/src/bytes';
import { parseMac } from '../../shared/src/tmpmac';
import { radioOwner } from '../../firmware/src/link';
import { startGateway } from '../helpers/gateway';
import { Scheduler, scheduledBoard, seeded, type ScheduledBoard } from './scheduled-board';

const BURNED = '24:0a:c4:5e:c0:1d';
const HOME_CLIENT_ID = 'hood' + toHex(parseMac(BURNED));

let g: Awaited<ReturnType<typeof startGateway>>;
let hood: any;

beforeAll(async () => {
  g = await startGateway();
  await import('../../boards/espruino-common/boot');
  hood = (globalThis as any).hood;
});
afterAll(async () => {
  await g?.stop();
});

type Cmd = 'start' | 'end' | 'home' | 'anonymous' | 'status';
const CMDS: Cmd[] = ['start', 'end', 'home', 'anonymous', 'status'];
const RUNS = 300;

interface RunResult {
  events: any[];
  sb: ScheduledBoard;
  problems: string[];
  secrets: Uint8Array[];
  /** Anonymous sessions started (off/wiped -> starting; a retry's starting is not a new session). */
  started: number;
}

const tick = () => new Promise<void>((r) => setImmediate(r));

async function run(seed: number, cmds: Cmd[]): Promise<RunResult> {
  const s = new Scheduler(seeded(seed));
  const events: any[] = [];
  const problems: string[] = [];
  let anonymous = false; // between `state: starting` and `wiped`
  let started = 0;
  const sb = scheduledBoard(s, {
    burnedInMac: BURNED,
    watch: HOME_CLIENT_ID,
    random: (n) => new Uint8Array(randomBytes(n)),
    consoleWrite: (line) => {
      const e = parseEventLine(line) as any;
      if (!e) return;
      events.push(e);
      if (e.ev === 'state' && e.state === 'starting' && !anonymous) {
        anonymous = true;
        started++;
      }
      if (e.ev === 'wiped') anonymous = false;
      sb.setTag(anonymous ? 'anonymous' : '');
    },
  });
  hood.boot(sb.board);
  const b = brokerAddress(g.gw.brokerUrl);
  hood.cmd(JSON.stringify({ cmd: 'config', brokerHost: b.host, brokerPort: b.port, mssId: g.gw.mssId }));
  hood.cmd(JSON.stringify({ cmd: 'pin', mssId: g.gw.mssId, key: toHex(g.gw.core.identityKey) }));

  const secrets = new Set<Uint8Array>();
  const check = () => {
    const sess = hood.session;
    if (sess) for (const x of sess.secrets as Uint8Array[]) secrets.add(x);
    const holder = radioOwner(sb.board).holder;
    const sessionActive = !!sess && sess.state !== 'off' && sess.state !== 'wiped';
    const homeActive = !!hood.home && hood.home.state !== 'off';
    if (sessionActive && holder !== 'anonymous') problems.push('session ' + sess.state + ' without the radio (holder ' + holder + ')');
    if (homeActive && holder !== 'home') problems.push('home ' + hood.home.state + ' without the radio (holder ' + holder + ')');
    if (sessionActive && homeActive) problems.push('session and home link active at once');
  };
  for (const c of cmds) {
    s.post('console', () => {
      if (c === 'home' || c === 'anonymous') hood.cmd(JSON.stringify({ cmd: 'mode', mode: c }));
      else hood.cmd(JSON.stringify({ cmd: c }));
    });
  }
  // Drive: random steps; when only real I/O is outstanding, let the event loop run; timers fire in
  // deadline order, now and then ahead of I/O (a slow network), and when everything else is idle.
  const drive = async (maxSteps: number, done: () => boolean) => {
    let idleSince = 0;
    for (let i = 0; i < maxSteps && !done(); i++) {
      if (s.readyChannels.length > 0) {
        idleSince = 0;
        s.step(0.05);
        check();
        if (i % 16 === 0) await tick();
        continue;
      }
      await tick();
      if (s.readyChannels.length > 0) continue;
      // Nothing queued: give the broker and the MSS 20 ms of real time before the clock moves on.
      if (idleSince === 0) idleSince = Date.now();
      if (Date.now() - idleSince < 20) {
        await new Promise((r) => setTimeout(r, 1));
        continue;
      }
      idleSince = 0;
      if (!s.fireTimer()) return;
      check();
    }
  };
  // Until every command ran, then a random while longer (a session may get to join, or not).
  const extra = Math.floor(s.rand() * 800);
  let after = -1;
  await drive(4000, () => {
    if (s.readyChannels.indexOf('console') >= 0) return false;
    if (after < 0) after = s.steps;
    return s.steps - after >= extra;
  });
  // Whatever state the commands left: end everything and let it settle.
  s.post('console', () => hood.cmd(JSON.stringify({ cmd: 'end' })));
  const settled = () => {
    const sess = hood.session;
    return (
      s.readyChannels.length === 0 &&
      (!sess || sess.state === 'off' || sess.state === 'wiped') &&
      (!hood.home || hood.home.state === 'off') &&
      !hood.switching &&
      radioOwner(sb.board).holder === ''
    );
  };
  await drive(4000, settled);
  check();
  return { events, sb, problems, secrets: [...secrets], started };
}

function verdict(r: RunResult): string[] {
  const out = r.problems.slice(0, 3);
  const burned = r.sb.nic.burnedIn;
  for (const f of r.sb.air) {
    if (f.tag !== 'anonymous') continue;
    if (f.mac === BURNED) out.push('burned-in MAC on the air during an anonymous session: ' + JSON.stringify(f));
    if (f.carriesWatched) out.push('home client id on the air during an anonymous session');
  }
  for (const f of r.sb.air) if (f.what === 'send' && !f.associated) out.push('sent while not associated: ' + JSON.stringify(f));
  const sess = hood.session;
  if (sess && sess.state !== 'wiped' && sess.state !== 'off') out.push('session ended in ' + sess.state);
  if (hood.home && hood.home.state !== 'off') out.push('home link ended in ' + hood.home.state);
  if (radioOwner(r.sb.board).holder !== '') out.push('radio still held by ' + radioOwner(r.sb.board).holder);
  if (r.sb.nic.associated) out.push('radio still associated');
  for (const w of r.events.filter((e) => e.ev === 'wiped')) if (w.ok !== true) out.push('wipe not ok: ' + JSON.stringify(w));
  const started = r.started;
  const wiped = r.events.filter((e) => e.ev === 'wiped').length;
  if (started !== wiped) out.push(started + ' sessions started, ' + wiped + ' wiped');
  if (r.secrets.some((x) => x.some((v) => v !== 0))) out.push('a session secret is not all zero');
  if (sess && sess.secrets.length !== 0) out.push('session still lists secrets');
  // The home identity goes on the air only as the home link, with the burned-in MAC.
  for (const f of r.sb.air) if (f.carriesWatched && f.mac !== BURNED) out.push('home client id under another MAC ' + f.mac);
  void burned;
  return out;
}

describe('radio ownership under random interleavings', () => {
  it('random command sequences with radio/net/MQTT callbacks in random orders: no leak, one owner, complete wipe', async () => {
    const stats = { runs: 0, joined: 0, homeUp: 0, refusedBusy: 0, anonSessions: 0, endedStarting: 0 };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 0x7fffffff }), fc.array(fc.constantFrom(...CMDS), { minLength: 1, maxLength: 10 }), async (seed, cmds) => {
        const r = await run(seed, cmds);
        try {
          stats.runs++;
          if (r.events.some((e) => e.ev === 'joined')) stats.joined++;
          if (r.events.some((e) => e.ev === 'home' && e.state === 'connected')) stats.homeUp++;
          // Refused because the other mode holds the radio (radio owner, or the console's own checks).
          if (r.events.some((e) => e.ev === 'error' && (e.code === 'radio_busy' || /session already running|home link is up|end the anonymous session|mode switch in progress/.test(e.msg)))) stats.refusedBusy++;
          stats.anonSessions += r.started;
          if (r.events.some((e) => e.ev === 'state' && e.state === 'starting') && !r.events.some((e) => e.ev === 'connected')) stats.endedStarting++;
          const v = verdict(r);
          if (v.length) throw new Error('seed ' + seed + ' ' + JSON.stringify(cmds) + ': ' + v.join('; ') + '\nlast events: ' + JSON.stringify(r.events.slice(-8)));
        } finally {
          r.sb.destroy();
        }
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    // Under heavy load few random sequences live long enough to join; a plain start must, so the whole
    // session path is driven (and checked) in every run of this test.
    for (let i = 0; i < 5 && stats.joined === 0; i++) {
      const r = await run(1000 + i, ['start', 'status', 'status', 'status']);
      try {
        if (r.events.some((e) => e.ev === 'joined')) stats.joined++;
        const v = verdict(r);
        if (v.length) throw new Error('plain start ' + i + ': ' + v.join('; '));
      } finally {
        r.sb.destroy();
      }
    }
    console.log('radio-owner race:', JSON.stringify(stats));
    // The runs really exercised both modes, full sessions, refusals and ends while starting (else the
    // property proves little).
    expect(stats.runs).toBe(RUNS);
    expect(stats.joined).toBeGreaterThan(0);
    expect(stats.homeUp).toBeGreaterThan(5);
    expect(stats.refusedBusy).toBeGreaterThan(5);
    expect(stats.endedStarting).toBeGreaterThan(5);
    // How many sessions a command sequence starts depends on load (timers against real sockets); a quarter
    // of the runs is a floor that holds on a loaded 2-core machine while still proving the mode was driven.
    expect(stats.anonSessions).toBeGreaterThan(RUNS / 4);
  }, 600_000);
});
