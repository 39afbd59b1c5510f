/**
 * Firmware entry. The bundle built from this file (firmware/dist/hood.js) is what runs on every board:
 * it defines the global `hood`; the board's HAL calls `hood.boot(board)` and the host talks to it with
 * `hood.cmd('<json>')` over the console (events come back as `@hood {json}` lines, see events.ts).
 */
import { fromHex, toHex } from '../../shared/src/bytes';
import type { Board } from './board';
import { loadConfig, pinKey, saveConfig, type PdaConfig } from './config';
import { consoleEvents, type EventSink } from './events';
import { PdaSession } from './session';

export const FIRMWARE_VERSION = '0.1.0';

interface Firmware {
  version: string;
  board: Board | null;
  config: PdaConfig | null;
  session: PdaSession | null;
  emit: EventSink;
  boot(board: Board): void;
  cmd(line: string): void;
}

function requireBooted(fw: Firmware): Board {
  if (!fw.board) throw new Error('not booted');
  return fw.board;
}

const fw: Firmware = {
  version: FIRMWARE_VERSION,
  board: null,
  config: null,
  session: null,
  emit: function () {},
  boot: function (board: Board) {
    fw.board = board;
    fw.config = loadConfig(board.storage);
    fw.emit = consoleEvents(board);
    fw.session = null;
    fw.emit({ ev: 'boot', version: FIRMWARE_VERSION, board: board.name, canSetMac: board.radio.canSetMac() });
  },
  /** One console command (JSON). Errors become `error` events; nothing here may throw to the REPL. */
  cmd: function (line: string) {
    let c: any;
    try {
      c = JSON.parse(line);
    } catch (e) {
      fw.emit({ ev: 'error', code: 'bad_command', msg: 'not JSON' });
      return;
    }
    try {
      run(c);
    } catch (e) {
      fw.emit({ ev: 'error', code: 'command_failed', cmd: c && c.cmd, msg: (e as Error).message });
    }
  },
};

function run(c: any): void {
  const board = requireBooted(fw);
  const cfg = fw.config!;
  switch (c && c.cmd) {
    case 'config':
      if (c.brokerHost !== undefined) {
        if (typeof c.brokerHost !== 'string' || c.brokerHost.length === 0 || c.brokerHost.length > 253) throw new Error('brokerHost');
        cfg.brokerHost = c.brokerHost;
      }
      if (c.brokerPort !== undefined) {
        if (typeof c.brokerPort !== 'number' || !(c.brokerPort > 0 && c.brokerPort < 65536) || c.brokerPort % 1 !== 0) throw new Error('brokerPort');
        cfg.brokerPort = c.brokerPort;
      }
      if (c.mssId !== undefined) {
        if (typeof c.mssId !== 'string' || (c.mssId !== '' && !/^[a-z0-9][a-z0-9-]{0,31}$/.test(c.mssId))) throw new Error('mssId');
        cfg.mssId = c.mssId;
      }
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'config', brokerHost: cfg.brokerHost, brokerPort: cfg.brokerPort, mssId: cfg.mssId, pins: Object.keys(cfg.pins) });
      return;
    case 'pin':
      if (typeof c.key !== 'string' || !/^[0-9a-f]{64}$/.test(c.key)) throw new Error('key must be 64 hex digits');
      pinKey(cfg, c.mssId, fromHex(c.key));
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'pinned', mssId: c.mssId });
      return;
    case 'unpin':
      delete cfg.pins[c.mssId];
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'unpinned', mssId: c.mssId });
      return;
    case 'start': {
      if (fw.session && fw.session.state !== 'wiped' && fw.session.state !== 'off') throw new Error('session already running');
      const limits: any = {};
      if (typeof c.joinTimeoutMs === 'number') limits.joinTimeoutMs = c.joinTimeoutMs;
      if (typeof c.maxAttempts === 'number') limits.maxAttempts = c.maxAttempts;
      fw.session = new PdaSession(board, cfg, fw.emit, limits);
      fw.session.start();
      return;
    }
    case 'send': {
      if (!fw.session) throw new Error('no session');
      if (typeof c.channel !== 'number' || c.channel < 0 || c.channel > 255 || c.channel % 1 !== 0) throw new Error('channel');
      if (typeof c.payload !== 'string' || c.payload.length > 8192) throw new Error('payload');
      fw.session.send(c.channel, fromHex(c.payload));
      return;
    }
    case 'end':
      if (fw.session) fw.session.end();
      return;
    case 'status':
      fw.emit({
        ev: 'status',
        version: FIRMWARE_VERSION,
        board: board.name,
        state: fw.session ? fw.session.state : 'off',
        mac: toHex(board.radio.currentMac()),
        brokerHost: cfg.brokerHost,
        brokerPort: cfg.brokerPort,
        mssId: cfg.mssId,
        pins: Object.keys(cfg.pins),
      });
      return;
    default:
      throw new Error('unknown command');
  }
}

(global as any).hood = fw;
