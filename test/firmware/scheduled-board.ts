/**
 * A board whose every asynchronous answer goes through a seeded scheduler, so a test can deliver the
 * radio's, the network's and the clock's callbacks in random orders. The radio is the emulated NIC and
 * access point (boards/emu); TCP is real (node:net on loopback, to a real broker), but each socket's
 * events reach the firmware only when the scheduler picks them (in order per socket). Timers run on a
 * virtual clock, earliest deadline first. Everything sent is recorded as the air sees it: the source
 * address, whether the radio was associated, and whether the bytes carry a given identifier.
 */
import { Socket as NodeSocket } from 'node:net';
import type { Board, Socket, SocketHandlers } from '../../firmware/src/board';
import { EmuAccessPoint } from '../../boards/emu/access-point';
import { EmuNic } from '../../boards/emu/nic';
import { EmuStorage } from '../../boards/emu/storage';
import { equalBytes } from '../../shared/src/bytes';
import { formatMac } from '../../shared/src/tmpmac';

/** mulberry32: a small seeded PRNG (the scheduler's choices only; the board's RNG is node:crypto). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

export class Scheduler {
  private queues = new Map<string, (() => void)[]>();
  private timers: Timer[] = [];
  private nextTimer = 1;
  now = 0;
  steps = 0;

  constructor(readonly rand: () => number) {}

  /** Queue `fn` on channel `ch`; a channel's tasks run in order, channels interleave at random. */
  post(ch: string, fn: () => void): void {
    let q = this.queues.get(ch);
    if (!q) this.queues.set(ch, (q = []));
    q.push(fn);
  }

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextTimer++;
    this.timers.push({ id, at: this.now + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(id: number): void {
    const i = this.timers.findIndex((t) => t.id === id);
    if (i >= 0) this.timers.splice(i, 1);
  }

  get readyChannels(): string[] {
    return [...this.queues.keys()].filter((k) => this.queues.get(k)!.length > 0);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Run one queued task (or, with probability `pTimer`, the earliest timer). False if nothing ran. */
  step(pTimer: number): boolean {
    const ready = this.readyChannels;
    if (ready.length === 0 || (this.timers.length > 0 && this.rand() < pTimer)) return this.fireTimer();
    const q = this.queues.get(ready[Math.floor(this.rand() * ready.length)])!;
    this.steps++;
    q.shift()!();
    return true;
  }

  fireTimer(): boolean {
    if (this.timers.length === 0) return false;
    let k = 0;
    for (let i = 1; i < this.timers.length; i++) if (this.timers[i].at < this.timers[k].at) k = i;
    const t = this.timers.splice(k, 1)[0];
    this.now = Math.max(this.now, t.at);
    this.steps++;
    t.fn();
    return true;
  }

  clear(): void {
    this.queues.clear();
    this.timers = [];
  }
}

export interface AirFrame {
  what: 'associate' | 'send';
  mac: string;
  associated: boolean;
  /** The bytes carry the watched identifier (e.g. the home MQTT client id). */
  carriesWatched: boolean;
  hostname?: string;
  /** Test's label of the moment (e.g. whether an anonymous session was under way). */
  tag: string;
}

export interface ScheduledBoard {
  board: Board;
  nic: EmuNic;
  ap: EmuAccessPoint;
  air: AirFrame[];
  /** Label attached to every air record from now on. */
  setTag(t: string): void;
  destroy(): void;
}

export function scheduledBoard(s: Scheduler, o: { burnedInMac: string; watch: string; random: (n: number) => Uint8Array; consoleWrite(line: string): void }): ScheduledBoard {
  const nic = new EmuNic(o.burnedInMac, true);
  const ap = new EmuAccessPoint();
  const air: AirFrame[] = [];
  const sockets = new Set<NodeSocket>();
  const watch = Buffer.from(o.watch, 'latin1');
  let tag = '';
  let n = 0;

  const record = (what: AirFrame['what'], bytes: Uint8Array, hostname?: string) =>
    air.push({ what, mac: formatMac(nic.mac), associated: nic.associated, carriesWatched: Buffer.from(bytes).includes(watch), hostname, tag });

  const board: Board = {
    name: 'scheduled',
    radio: {
      canSetMac: () => true,
      // A real driver writes the register at some point during the call: at the call or at its answer.
      setMac(mac, cb) {
        const m = Uint8Array.from(mac);
        const write = () => {
          try {
            nic.setMac(m);
            return undefined;
          } catch (e) {
            return (e as Error).message;
          }
        };
        const early = s.rand() < 0.5;
        const err = early ? write() : undefined;
        s.post('radio' + n++, () => cb(early ? err : write()));
      },
      currentMac: () => nic.mac,
      burnedInMac: () => nic.burnedIn.slice(),
      connect(hostname, expectedMac, cb) {
        s.post('radio' + n++, () => {
          if (!equalBytes(nic.mac, expectedMac)) return cb('MAC register does not hold the expected address');
          nic.associated = true;
          ap.associate(nic.mac, hostname);
          record('associate', new Uint8Array(0), hostname);
          cb();
        });
      },
      disconnect(cb) {
        const early = s.rand() < 0.5;
        if (early) nic.associated = false;
        s.post('radio' + n++, () => {
          nic.associated = false;
          cb();
        });
      },
    },
    net: {
      connect(host: string, port: number, h: SocketHandlers): Socket {
        const ch = 'sock' + n++;
        let closed = false;
        const close = (err?: string) => {
          if (closed) return;
          closed = true;
          h.onClose(err);
        };
        if (!nic.associated) {
          s.post(ch, () => close('radio not associated'));
          return { write() {}, end() {} };
        }
        record('send', new Uint8Array(0));
        const sock = new NodeSocket();
        sockets.add(sock);
        let error: string | undefined;
        sock.on('connect', () => s.post(ch, () => !closed && h.onConnect()));
        sock.on('data', (d: Buffer) => {
          const copy = new Uint8Array(d);
          s.post(ch, () => !closed && h.onData(copy));
        });
        sock.on('error', (e) => (error = error || e.message));
        sock.on('close', () => {
          sockets.delete(sock);
          s.post(ch, () => close(error));
        });
        sock.connect({ host, port });
        return {
          write(data: Uint8Array) {
            if (closed || sock.destroyed) return;
            record('send', data);
            sock.write(Buffer.from(data));
          },
          end() {
            sock.end();
            setTimeout(() => sock.destroy(), 200).unref();
          },
        };
      },
    },
    storage: new EmuStorage(),
    clock: { now: () => s.now, setTimeout: (fn, ms) => s.setTimeout(fn, ms), clearTimeout: (id) => s.clearTimeout(id) },
    random: o.random,
    consoleWrite: o.consoleWrite,
  };

  return {
    board,
    nic,
    ap,
    air,
    setTag(t: string) {
      tag = t;
    },
    destroy() {
      for (const x of sockets) x.destroy();
      sockets.clear();
      s.clear();
    },
  };
}
