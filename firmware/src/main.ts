/**
 * The firmware: defines the global `hood`. The bundle every board runs (firmware/dist/hood.js) is built
 * from boards/espruino-common/boot.ts, which imports this module and then calls `hood.boot(board)` with
 * the board's HAL; the host talks to it with `hood.cmd('<json>')` over the console (events come back as
 * `@hood {json}` lines, see events.ts).
 */
import { fromHex, toHex } from '../../shared/src/bytes';
import type { Board } from './board';
import { loadConfig, pinFederation, pinKey, saveConfig, setCover, type PdaConfig } from './config';
import { consoleEvents, type EventSink } from './events';
import { PdaSession, type SessionHooks } from './session';
import { homeIdentity, homeLinkClass, type HomeIdentity, type HomeLink } from './home';
import { radioOwner } from './link';
import { BOOT_DELAY_MS, joinKeys } from './precompute';
import { appCommand, appForChannel, eachApp, eachBuiltApp, type AppContext } from './apps';
import './apps/index';
import { isLowerHex } from '../../shared/src/text';
import { isValidMssId } from '../../shared/src/protocol/topics';

export const FIRMWARE_VERSION = '0.1.0';

interface Firmware {
  version: string;
  board: Board | null;
  config: PdaConfig | null;
  session: PdaSession | null;
  /** Paper §2.4: 'anonymous' (default, fail-safe) or 'home' (the PDA as itself). */
  mode: 'anonymous' | 'home';
  home: HomeLink | null;
  /** Read at boot, before anything can write the MAC register. */
  homeId: HomeIdentity | null;
  /** A mode switch is waiting for the home link to go down. */
  switching: boolean;
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
  mode: 'anonymous',
  home: null,
  homeId: null,
  switching: false,
  emit: function () {},
  boot: function (board: Board) {
    fw.board = board;
    fw.config = loadConfig(board.storage);
    fw.emit = consoleEvents(board);
    fw.session = null;
    fw.mode = 'anonymous';
    fw.home = null;
    fw.switching = false;
    fw.homeId = homeIdentity(board.radio.burnedInMac ? board.radio.burnedInMac() : board.radio.currentMac());
    fw.emit({ ev: 'boot', version: FIRMWARE_VERSION, board: board.name, canSetMac: board.radio.canSetMac() });
    // The first session's JOIN key pair, computed while idle after boot (precompute.ts), where an
    // anonymous session is possible at all.
    if (board.radio.canSetMac()) joinKeys(board).prepare(BOOT_DELAY_MS);
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

function appContext(): AppContext {
  return {
    board: fw.board!,
    config: fw.config!,
    emit: fw.emit,
    send: function (channel: number, payload: Uint8Array) {
      if (!fw.session) throw new Error('no session');
      fw.session.send(channel, payload);
    },
    state: function () {
      return fw.session ? fw.session.state : 'off';
    },
    tmpId: function () {
      return fw.session ? fw.session.tmpId() : '';
    },
    beaconExtension: function (type: number) {
      return fw.session ? fw.session.beaconExtension(type) : null;
    },
    mss: function () {
      return fw.session ? fw.session.mss() : '';
    },
  };
}

const hooks: SessionHooks = {
  onData: function (channel, payload) {
    const a = appForChannel(channel);
    if (!a || !a.onData) return false;
    a.onData(channel, payload, appContext());
    return true;
  },
  onJoined: function () {
    const ctx = appContext();
    eachApp(function (a) {
      if (a.onJoined) a.onJoined(ctx);
    });
  },
  onResumed: function () {
    const ctx = appContext();
    eachBuiltApp(function (a) {
      if (a.onResumed) a.onResumed(ctx);
    });
  },
  onWiped: function () {
    const ctx = appContext();
    eachBuiltApp(function (a) {
      if (a.onWiped) a.onWiped(ctx);
    });
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
        if (typeof c.mssId !== 'string' || (c.mssId !== '' && !isValidMssId(c.mssId))) throw new Error('mssId');
        cfg.mssId = c.mssId;
      }
      // Cover cells (docs/protocol.md §3.5): {ratePerMin[, answerShare]} or null for off; checked by setCover.
      if (c.cover !== undefined) setCover(cfg, c.cover);
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'config', brokerHost: cfg.brokerHost, brokerPort: cfg.brokerPort, mssId: cfg.mssId, pins: Object.keys(cfg.pins), cover: cfg.cover });
      return;
    case 'pin':
      if (!isLowerHex(c.key, 64)) throw new Error('key must be 64 hex digits');
      pinKey(cfg, c.mssId, fromHex(c.key));
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'pinned', mssId: c.mssId });
      return;
    case 'unpin':
      delete cfg.pins[c.mssId];
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'unpinned', mssId: c.mssId });
      return;
    case 'pin_federation':
      // A federation key vouches for every member MSS (docs/protocol.md §2.3, docs/federation.md).
      if (!isLowerHex(c.key, 64)) throw new Error('key must be 64 hex digits');
      pinFederation(cfg, c.name, fromHex(c.key));
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'pinned_federation', name: c.name });
      return;
    case 'unpin_federation':
      if (typeof c.name !== 'string') throw new Error('name');
      delete cfg.fedPins[c.name];
      saveConfig(board.storage, cfg);
      fw.emit({ ev: 'unpinned_federation', name: c.name });
      return;
    case 'mode':
      return setMode(c.mode);
    case 'start': {
      // Who may take the radio is decided by the radio owner (link.ts): a start while the other mode
      // holds it is refused there with a radio_busy error event.
      if (fw.switching) throw new Error('mode switch in progress');
      if (fw.session && fw.session.state !== 'wiped' && fw.session.state !== 'off') throw new Error('session already running');
      if (fw.home && fw.home.state !== 'off') throw new Error('home link is up; end it first');
      if (fw.mode === 'home') {
        const Home = homeLinkClass();
        const h = new Home(board, cfg, fw.emit, fw.homeId!);
        if (h.start()) fw.home = h;
        return;
      }
      const limits: any = {};
      if (typeof c.joinTimeoutMs === 'number') limits.joinTimeoutMs = c.joinTimeoutMs;
      if (typeof c.maxAttempts === 'number') limits.maxAttempts = c.maxAttempts;
      fw.session = new PdaSession(board, cfg, fw.emit, limits, hooks);
      fw.session.start();
      return;
    }
    case 'handoff':
      // Paper §6.3: take this session (TmpId, paid time, apps' state) to MSS `mssId` under a fresh TmpMAC.
      if (!fw.session) throw new Error('no session');
      if (typeof c.mssId !== 'string' || !isValidMssId(c.mssId)) throw new Error('mssId');
      // Another MSS may sit behind another access point and broker (its address, for this session only).
      if (c.brokerHost !== undefined || c.brokerPort !== undefined) {
        if (typeof c.brokerHost !== 'string' || c.brokerHost.length === 0 || c.brokerHost.length > 253) throw new Error('brokerHost');
        if (typeof c.brokerPort !== 'number' || !(c.brokerPort > 0 && c.brokerPort < 65536) || c.brokerPort % 1 !== 0) throw new Error('brokerPort');
        fw.session.handoff(c.mssId, { host: c.brokerHost, port: c.brokerPort });
      } else fw.session.handoff(c.mssId);
      return;
    case 'send': {
      if (!fw.session) throw new Error('no session');
      if (typeof c.channel !== 'number' || c.channel < 0 || c.channel > 255 || c.channel % 1 !== 0) throw new Error('channel');
      if (typeof c.payload !== 'string' || c.payload.length > 8192) throw new Error('payload');
      fw.session.send(c.channel, fromHex(c.payload));
      return;
    }
    case 'end':
      if (fw.home) fw.home.end(function () {});
      if (fw.session) fw.session.end();
      return;
    case 'status':
      fw.emit({
        ev: 'status',
        version: FIRMWARE_VERSION,
        board: board.name,
        state: fw.session ? fw.session.state : 'off',
        mode: fw.mode,
        home: fw.home ? fw.home.state : 'off',
        radio: radioOwner(board).holder || 'free',
        mac: toHex(board.radio.currentMac()),
        brokerHost: cfg.brokerHost,
        brokerPort: cfg.brokerPort,
        mssId: cfg.mssId,
        pins: Object.keys(cfg.pins),
        fedPins: Object.keys(cfg.fedPins),
      });
      return;
    default: {
      const h = appCommand(c && c.cmd);
      if (!h) throw new Error('unknown command');
      h(c, appContext());
    }
  }
}

/**
 * Paper §2.4 modes. Switching to anonymous starts clean: the home link (its socket, its MQTT client id,
 * the association made with the burned-in MAC) is ended and the radio is down before the switch is
 * reported, so the next anonymous session loads its TmpMAC into a radio that is not associated and
 * carries nothing over from the home identity.
 */
function setMode(mode: unknown): void {
  if (mode !== 'home' && mode !== 'anonymous') throw new Error('mode must be "home" or "anonymous"');
  // The session holds the radio from `start` until its wipe is complete (starting and closing included).
  if (radioOwner(fw.board!).holder === 'anonymous') throw new Error('end the anonymous session first');
  if (fw.switching) throw new Error('mode switch in progress');
  const done = function () {
    fw.switching = false;
    fw.mode = mode;
    fw.emit({ ev: 'mode', mode: mode });
  };
  const h = fw.home;
  fw.home = null;
  if (h && mode === 'anonymous') {
    fw.switching = true;
    h.end(done);
  }
  else if (h) {
    fw.home = h;
    done();
  } else done();
}

(global as any).hood = fw;
