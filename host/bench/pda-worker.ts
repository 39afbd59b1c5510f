/**
 * The PDA side of `hood bench mss`, in a worker thread: the emulated PDAs (real firmware bundle in
 * Espruino-profile VMs) and the raw MQTT clients of the baseline. Keeping them off the main thread
 * means the main thread runs only what a real MSS host runs — broker and gateway — so the figures
 * measure the MSS, not the emulation of a hundred devices.
 */
import { randomBytes } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';
import { EmuPda } from '../../boards/emu/emu-pda';
import { endSession, joinSession } from '../demo/emu-session';
import { closedLoop } from './closed-loop';

export interface WorkerSetup {
  bundlePath: string;
  brokerHost: string;
  brokerPort: number;
  mssId: string;
  identityKeyHex: string;
  pdas: number;
  cells: number;
  payloadHex: string;
  rawBytes: number;
}

const setup = workerData as WorkerSetup;
const pdas: EmuPda[] = [];
const port = parentPort!;

async function join() {
  const times: number[] = [];
  for (let i = 0; i < setup.pdas; i++) {
    const pda = new EmuPda({ bundlePath: setup.bundlePath });
    pda.cmd({ cmd: 'config', brokerHost: setup.brokerHost, brokerPort: setup.brokerPort, mssId: setup.mssId });
    pda.cmd({ cmd: 'pin', mssId: setup.mssId, key: setup.identityKeyHex });
    pdas.push(pda);
    times.push((await joinSession(pda, 60_000)).joinMs);
    if ((i + 1) % 25 === 0 || i + 1 === setup.pdas) port.postMessage({ progress: `joined ${i + 1}/${setup.pdas}` });
  }
  return { joinMs: times };
}

async function mss() {
  return closedLoop(pdas.length, setup.cells, async (w) => {
    const pda = pdas[w];
    const since = pda.events.length;
    pda.cmd({ cmd: 'send', channel: 0, payload: setup.payloadHex });
    await pda.waitFor((e) => e.ev === 'data' && e.payload === setup.payloadHex, 30_000, since);
    pda.events.length = 0; // keep memory flat
  });
}

async function raw() {
  const url = `mqtt://${setup.brokerHost}:${setup.brokerPort}`;
  const clients: MqttClient[] = [];
  const waiting: (() => void)[] = [];
  for (let w = 0; w < setup.pdas; w++) {
    const c = await mqtt.connectAsync(url, { clientId: 'bench-raw-' + randomBytes(6).toString('hex') });
    c.on('message', () => waiting[w]?.());
    await c.subscribeAsync(`bench/raw/${w}/down`, { qos: 0 });
    clients.push(c);
  }
  const payload = randomBytes(setup.rawBytes);
  try {
    return await closedLoop(setup.pdas, setup.cells, (w) => {
      return new Promise<void>((resolve) => {
        waiting[w] = resolve;
        clients[w].publish(`bench/raw/${w}/up`, payload, { qos: 0 });
      });
    });
  } finally {
    await Promise.all(clients.map((c) => c.endAsync()));
  }
}

async function end() {
  for (const p of pdas) await endSession(p);
  for (const p of pdas) p.powerOff();
  return {};
}

const phases: Record<string, () => Promise<unknown>> = { join, mss, raw, end };

port.on('message', (m: { phase: string }) => {
  phases[m.phase]().then(
    (result) => port.postMessage({ phase: m.phase, result }),
    (e) => port.postMessage({ phase: m.phase, error: (e as Error).message }),
  );
});
