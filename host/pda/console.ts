/**
 * The console a person types into: one JSON command per line in, every PDA event out as one JSON
 * line. Shared by `hood board console` (a board or the Linux interpreter) and `hood pda` (the emulated
 * board), so a session by hand reads the same everywhere. It ends at end of input, a stop signal or
 * when the board goes away; before it lets go of the board it ends a running session and waits for
 * the wipe (paper step 8: nothing of the session survives it).
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { PdaEvent } from '../../boards/espruino-common/framing';
import type { BoardLink } from '../board/link';
import { watchSignals } from '../cli/signals';

export interface ConsoleIo {
  input: Readable;
  /** Event lines. */
  output: Writable;
  /** Notices and errors for the person at the console. */
  notices: Writable;
}

/** Session states in which the PDA holds session secrets (firmware/src/session.ts). */
const LIVE = ['listening', 'joining', 'in_session', 'closing'];

/** Parse one typed line into a console command; an Error names what is wrong. */
export function parseConsoleLine(line: string): Record<string, unknown> | Error {
  let cmd: unknown;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    return new Error('not JSON (' + (e as Error).message + '); type e.g. {"cmd":"status"}');
  }
  if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) return new Error('a command is a JSON object, e.g. {"cmd":"status"}');
  const c = cmd as Record<string, unknown>;
  if (typeof c.cmd !== 'string' || c.cmd === '') return new Error('the object needs a "cmd" name, e.g. {"cmd":"status"}');
  // The link numbers requests itself: a typed rid would be taken for another request's answer.
  if ('rid' in c) return new Error('"rid" is set by the console, leave it out');
  return c;
}

/**
 * Run the console on `link` until end of input, SIGINT/SIGTERM or the link closing. Returns why it
 * ended. The caller closes the link afterwards.
 */
export async function runConsole(
  link: BoardLink,
  io: ConsoleIo,
  o: { show?: (e: PdaEvent) => boolean; wipeTimeoutMs?: number } = {},
): Promise<'eof' | 'signal' | 'closed'> {
  let state = 'off';
  const off = link.onEvent((e) => {
    if (e.ev === 'state' && typeof e.state === 'string') state = e.state;
    if (e.ev === 'wiped') state = 'wiped';
    if (!o.show || o.show(e)) io.output.write(JSON.stringify(e) + '\n');
  });
  const rl = createInterface({ input: io.input, terminal: false });
  const signals = watchSignals();
  let eof!: () => void;
  const ended = new Promise<'eof'>((r) => (eof = () => r('eof')));
  const closed = new Promise<'closed'>((r) => link.onClose(() => r('closed')));
  rl.on('close', eof);
  rl.on('line', (line) => {
    const t = line.trim();
    if (!t) return;
    const cmd = parseConsoleLine(t);
    if (cmd instanceof Error) {
      io.notices.write('not a command: ' + cmd.message + '\n');
      return;
    }
    link.request(cmd).catch((e) => io.notices.write((e as Error).message + '\n'));
  });
  const why = await Promise.race([ended, closed, signals.signal.then(() => 'signal' as const)]);
  signals.off();
  rl.removeListener('close', eof);
  rl.close();
  if (why !== 'closed') {
    try {
      // Ask rather than trust the events seen: a session may have started before this console.
      const st = (await link.command({ cmd: 'status' }, 5000)).find((e) => e.ev === 'status');
      if (st && typeof st.state === 'string') state = st.state;
      if (LIVE.indexOf(state) >= 0) {
        io.notices.write('ending the session (BYE, then wipe)\n');
        const since = link.events.length;
        await link.request({ cmd: 'end' });
        await link.waitFor('wiped', o.wipeTimeoutMs ?? 15_000, since);
      }
    } catch (e) {
      io.notices.write('could not end the session cleanly: ' + (e as Error).message + '\n');
    }
  }
  off();
  return why;
}
