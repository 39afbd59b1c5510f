/**
 * The embedded bank does not stall the MSS's cell handling. A PDA (the real firmware bundle) echoes
 * cells through the MSS in a closed loop while a large swap (many proofs: pure-JS secp256k1 for
 * each one, then a synchronous SQLite commit) runs at a bank:
 *  - at the embedded bank, a child process of the MSS: the echoes keep coming;
 *  - at a bank running in the MSS's own process (as the embedded bank once did): the echo in
 *    flight waits for the whole swap. This half shows the bound below is one an in-process bank
 *    fails, measured in the same run on the same machine.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import { startBank, type RunningBank } from '../../host/bank/service';
import { loadCurve } from '../../host/cashu/curve';
import type { BankAdmin } from '../../host/bank/embedded';
import { joinSession, pdaFor } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import { BankClient } from '../../host/wallet/bank-client';
import { finishProofs, prepareOutputs, wireOutputs } from '../../host/wallet/blinding';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { testDir } from '../helpers/temp-dir';

/** Proofs in the swap: a few seconds of curve arithmetic on one core. */
const PROOFS = 150;

let dir: string;
let mss: RunningMss;
let inProcess: RunningBank;
let pda: EmuPda;

beforeAll(async () => {
  dir = testDir('hood-cellpath-');
  // Both banks on the pure-JS library (host/cashu/curve): the stall shown here is about where the
  // bank runs, and needs a swap long enough to measure, which libsecp256k1 makes too short.
  process.env.HOOD_BANK_CURVE = 'noble';
  mss = await startMss({
    dataDir: join(dir, 'mss'),
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    tickMs: 200,
    payment: { price: { perMinute: 1, unit: 'sat', minSeconds: 60, graceSec: 600 }, bankListen: { host: '127.0.0.1', port: 0 } },
  });
  inProcess = await startBank({ dataDir: join(dir, 'in-process-bank'), port: 0, log: silentLogger(), curve: loadCurve('noble') });
  pda = pdaFor(mss.gw, BUNDLE);
  await joinSession(pda, 30_000);
}, 120_000);

afterAll(async () => {
  delete process.env.HOOD_BANK_CURVE;
  pda?.powerOff();
  await mss?.stop();
  await inProcess?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** PROOFS coins of 1 at this bank, and the blinded outputs of a swap of all of them. */
async function bigSwap(url: string, admin: Pick<BankAdmin, 'createAccount' | 'creditAccount'>) {
  const { token } = await admin.createAccount('bob');
  await admin.creditAccount('bob', PROOFS);
  const c = new BankClient(url, { timeoutMs: 120_000 });
  const ks = await c.ring.active();
  const q = await c.createMintQuote(PROOFS);
  await c.payMintQuote(q.quote, token);
  const prep = prepareOutputs(new Array(PROOFS).fill(1), ks);
  const proofs = finishProofs(prep, await c.mint(q.quote, wireOutputs(prep)), ks);
  const outputs = wireOutputs(prepareOutputs(new Array(PROOFS).fill(1), ks));
  return () => c.postSwap(proofs, outputs);
}

async function echo(): Promise<number> {
  const payload = randomBytes(16).toString('hex');
  const since = pda.events.length;
  const t = performance.now();
  pda.cmd({ cmd: 'send', channel: 0, payload });
  await pda.waitFor((e) => e.ev === 'data' && e.payload === payload, 60_000, since);
  pda.events.length = 0;
  return performance.now() - t;
}

/**
 * Echo in a closed loop while `swap` runs. `max` is the longest time the PDA went without an answer while
 * the swap ran: the longest echo, or the longest gap between answers (from the swap's start to the first
 * answer, and from the last answer to its end) — an event loop held by the swap shows as one long gap even
 * when no echo happened to be in flight when it began.
 */
async function echoDuring(swap: () => Promise<unknown>): Promise<{ swapMs: number; max: number; echoes: number }> {
  for (let i = 0; i < 5; i++) await echo(); // warm
  let done = false;
  const lat: number[] = [];
  const answeredAt: number[] = [];
  const loop = (async () => {
    while (!done) {
      lat.push(await echo());
      answeredAt.push(performance.now());
      await new Promise((r) => setTimeout(r, 10)); // a steady trickle, not a CPU-bound flood
    }
  })();
  // Let the loop run first, so an echo is in flight when the bank gets the swap.
  await new Promise((r) => setTimeout(r, 50));
  const t = performance.now();
  await swap();
  const end = performance.now();
  const swapMs = end - t;
  done = true;
  await loop;
  const marks = [t, ...answeredAt.filter((x) => x > t && x < end), end];
  let gap = 0;
  for (let i = 1; i < marks.length; i++) gap = Math.max(gap, marks[i] - marks[i - 1]);
  return { swapMs, max: Math.max(gap, ...lat), echoes: lat.length };
}

it('echo cells keep answering while the embedded bank runs a large swap; an in-process bank stalls them', async () => {
  const before: number[] = [];
  for (let i = 0; i < 20; i++) before.push(await echo());
  const beforeMax = Math.max(...before);

  const embedded = await echoDuring(await bigSwap(mss.payment!.bankUrl, mss.payment!.bank!.mint));
  const local = await echoDuring(await bigSwap(inProcess.url, inProcess.mint));
  console.log(
    JSON.stringify({ proofs: PROOFS, echoMaxBeforeMs: Math.round(beforeMax), embedded: round(embedded), inProcess: round(local) }),
  );

  // The in-process swap holds the event loop for its whole duration: the echo in flight waits.
  expect(local.swapMs).toBeGreaterThan(1000);
  expect(local.max).toBeGreaterThan(0.8 * local.swapMs);
  // Out of process, echoes are answered throughout the swap, none waits more than a fraction of it.
  expect(embedded.echoes).toBeGreaterThanOrEqual(10);
  expect(embedded.max).toBeLessThan(Math.max(250, 0.25 * local.swapMs));
  expect(embedded.max).toBeLessThan(local.max / 4);
  expect((await mss.payment!.bank!.mint.audit()).ok).toBe(true);
}, 300_000);

function round(r: { swapMs: number; max: number; echoes: number }) {
  return { swapMs: Math.round(r.swapMs), echoMaxMs: Math.round(r.max), echoes: r.echoes };
}
