/**
 * A fake Espruino console on serialport's MockBinding, for the protocol layer: it reads the host's
 * REPL lines like Espruino would (DLE lines, `hood.cmd("...")`, `print("@hood "+...)` probes,
 * `require("Storage").write(...)`, `load()`), keeps a Storage map, and answers with console lines
 * mixed with REPL noise (prompts, banner, split chunks). The firmware side is a small handler table,
 * so tests can script answers, silence (cable pulled) or errors.
 */
import vm from 'node:vm';
import { crc32 } from 'node:zlib';
import { SerialPortMock } from 'serialport';
import { decodeCommandLine, LineSplitter } from '../../boards/espruino-common/framing';
import { openSerial } from '../../host/board/transports/serial';

export type Handler = (cmd: any, reply: (ev: Record<string, unknown>) => void) => void;

export interface MockEspruino {
  path: string;
  storage: Map<string, string>;
  /** Every REPL line the host sent. */
  lines: string[];
  handlers: Record<string, Handler>;
  /** Raw bytes out to the host (split into small chunks to exercise reassembly). */
  emit(text: string): void;
  /** Stop answering (the board hangs / the cable is cut on the board side). */
  silent: boolean;
  booted: number;
}

let seq = 0;

/**
 * The MockBinding instance serialport itself uses (the package ships CJS and ESM builds; importing
 * it directly here could load the other one, whose ports serialport would not see).
 */
export const mockBinding = SerialPortMock.binding as unknown as {
  createPort(path: string, opt?: { echo?: boolean; record?: boolean }): void;
  reset(): void;
};

export async function mockEspruino(opts: { version?: string; board?: string } = {}) {
  const path = '/dev/ttyHOODMOCK' + seq++;
  mockBinding.createPort(path, { echo: false, record: false });
  const transport = await openSerial({ path, mock: true });
  const binding = (transport.port as any).port as { write(b: Buffer): Promise<void>; emitData(d: Buffer | string): void };
  const m: MockEspruino = {
    path,
    storage: new Map(),
    lines: [],
    handlers: {},
    silent: false,
    booted: 0,
    emit(text: string) {
      // In 7-byte pieces, as a UART would deliver them in bursts.
      for (let i = 0; i < text.length; i += 7) binding.emitData(Buffer.from(text.slice(i, i + 7), 'latin1'));
    },
  };
  const event = (ev: Record<string, unknown>) => m.emit('>@hood ' + JSON.stringify(ev) + '\r\n');

  const sandbox = vm.createContext({
    process: { env: { BOARD: opts.board ?? 'ESP32', VERSION: opts.version ?? '2v29' } },
    E: { CRC32: (s: string) => crc32(Buffer.from(s, 'latin1')) | 0 },
    require: (name: string) => {
      if (name !== 'Storage') throw new Error('no module ' + name);
      return {
        // Espruino semantics: offset 0 creates a file of `size` bytes; later chunks fill it.
        write(f: string, data: string, offset = 0, size?: number) {
          if (offset === 0) m.storage.set(f, data.padEnd(size ?? data.length, '\xff'));
          else {
            const cur = m.storage.get(f);
            if (cur === undefined || offset + data.length > cur.length) return false;
            m.storage.set(f, cur.slice(0, offset) + data + cur.slice(offset + data.length));
          }
          return true;
        },
        read: (f: string) => m.storage.get(f),
      };
    },
    JSON,
    print: (s: string) => m.emit(s + '\r\n'),
  });

  const split = new LineSplitter((raw) => {
    const line = raw.replace(/^\x10/, '');
    m.lines.push(line);
    if (m.silent) return;
    const json = decodeCommandLine(line);
    if (json !== null) {
      const c = JSON.parse(json);
      const h = m.handlers[c.cmd];
      let ok = true;
      const reply = (ev: Record<string, unknown>) => {
        if (ev.ev === 'error') ok = false;
        event({ ...ev, rid: c.rid });
      };
      if (!h) reply({ ev: 'error', code: 'command_failed', cmd: c.cmd, msg: 'unknown command' });
      else h(c, reply);
      event({ ev: 'done', rid: c.rid, ok });
      return;
    }
    if (line === 'load()') {
      m.booted++;
      m.emit('\r\n ____  banner  ____\r\n');
      event({ ev: 'boot', version: '0.1.0', board: 'esp32-devkitc', canSetMac: false });
      return;
    }
    if (line.startsWith('print(') || line.startsWith('require(')) {
      try {
        vm.runInContext(line, sandbox, { timeout: 1000 });
      } catch (e) {
        m.emit('Uncaught ' + (e as Error).message + '\r\n>');
      }
      return;
    }
    if (line.trim()) m.emit('Uncaught SyntaxError: Got ID expected EOF\r\n>');
  });
  const origWrite = binding.write.bind(binding);
  binding.write = async (b: Buffer) => {
    await origWrite(b);
    setImmediate(() => split.push(b.toString('latin1')));
  };
  m.handlers.status = (c, reply) => reply({ ev: 'status', state: 'off', board: 'esp32-devkitc' });
  return { mock: m, transport };
}
