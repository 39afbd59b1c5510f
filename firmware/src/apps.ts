/**
 * Firmware applications: payment, mail and the like plug in here instead of growing the session
 * machine. An app may add console commands, handle DATA channels, and react to a session starting or
 * ending (it must erase its own per-session state in onWiped). Espruino-safe: plain arrays/objects.
 */
import type { Board } from './board';
import type { PdaConfig } from './config';
import type { EventSink } from './events';

export interface AppContext {
  board: Board;
  config: PdaConfig;
  emit: EventSink;
  /** Send DATA on a channel in the current session (throws if there is none). */
  send(channel: number, payload: Uint8Array): void;
  /** Current session state name ('off' if none). */
  state(): string;
  /** TmpId of the current session, '' if none. */
  tmpId(): string;
  /** A beacon extension of the MSS of the current session (docs/protocol.md §2), or null. */
  beaconExtension(type: number): Uint8Array | null;
  /** The MSS of the current session as `<mssId>/<identity key hex>`, '' if none (pending coins go back only there). */
  mss(): string;
}

/**
 * One firmware application. It registers itself once at load (firmware/src/apps/index.ts imports
 * every app for that side effect), with registerApp or, to have its code made only on first use,
 * registerLazyApp, and is then called by the session machine: console commands by
 * name, DATA cells of the channels it claims, and the session's start (`onJoined`) and end
 * (`onWiped`). What an app keeps for a session it must erase in `onWiped`: the PDA forgets a session
 * entirely when it ends (paper §6.2). Written in the Espruino subset: plain functions and arrays.
 *
 * @example
 * ```ts
 * let sent = 0; // per-session state
 * registerApp({
 *   name: 'ping',
 *   channels: [CHANNEL_ECHO],
 *   commands: {
 *     // console: {"cmd":"ping","text":"hi"}
 *     ping: function (c, ctx) {
 *       ctx.send(CHANNEL_ECHO, utf8Encode(String(c.text)));
 *       sent++;
 *     },
 *   },
 *   onData: function (channel, payload, ctx) {
 *     ctx.emit({ ev: 'pong', bytes: payload.length, sent: sent });
 *   },
 *   onWiped: function () {
 *     sent = 0;
 *   },
 * });
 * ```
 */
export interface App {
  /** Unique among the registered apps. */
  name: string;
  /** Console commands this app adds: `{"cmd": <name>, ...}`. */
  commands?: { [cmd: string]: (c: any, ctx: AppContext) => void };
  /** DATA channels this app handles. */
  channels?: number[];
  /** A DATA cell on one of `channels` in the current session. */
  onData?(channel: number, payload: Uint8Array, ctx: AppContext): void;
  /** The MSS accepted a JOIN: a session with a TmpId is up. */
  onJoined?(ctx: AppContext): void;
  /** The session went on under the same TmpId at another MSS or after a restart (docs/handoff.md); state stays. */
  onResumed?(ctx: AppContext): void;
  /** The session ended and its keys are erased; erase this app's session state too. */
  onWiped?(ctx: AppContext): void;
}

/**
 * One registered app. An app registered lazily (registerLazyApp) lists its command names and channels
 * up front and has its code made by `build` on first use: its first command, a DATA cell on one of its
 * channels, or the first session's start. Until then none of its functions exist: on Espruino every
 * function that exists costs variables (docs/crypto-speed.md, variables after boot).
 */
interface Entry {
  name: string;
  commands: string[];
  channels: number[];
  build: (() => App) | null;
  app: App | null;
}

const entries: Entry[] = [];

function add(e: Entry): void {
  for (let i = 0; i < entries.length; i++) if (entries[i].name === e.name) throw new Error('app ' + e.name + ' registered twice');
  entries.push(e);
}

export function registerApp(a: App): void {
  add({ name: a.name, commands: a.commands ? Object.keys(a.commands) : [], channels: a.channels || [], build: null, app: a });
}

/**
 * Register an app whose code is made on first use. `commands` and `channels` must be exactly those of
 * the App that `build` returns (checked when it is built).
 */
export function registerLazyApp(name: string, commands: string[], channels: number[], build: () => App): void {
  add({ name: name, commands: commands, channels: channels, build: build, app: null });
}

function appOf(e: Entry): App {
  if (e.app) return e.app;
  const a = e.build!();
  const cs = a.commands ? Object.keys(a.commands) : [];
  const ch = a.channels || [];
  if (a.name !== e.name || cs.join() !== e.commands.join() || ch.join() !== e.channels.join()) throw new Error('app ' + e.name + ' does not match its registration');
  e.app = a;
  e.build = null;
  return a;
}

export function appCommand(cmd: string): ((c: any, ctx: AppContext) => void) | null {
  for (let i = 0; i < entries.length; i++) if (entries[i].commands.indexOf(cmd) >= 0) return appOf(entries[i]).commands![cmd];
  return null;
}

export function appForChannel(channel: number): App | null {
  for (let i = 0; i < entries.length; i++) if (entries[i].channels.indexOf(channel) >= 0) return appOf(entries[i]);
  return null;
}

/** Every app, built if it was not yet (a session starts). */
export function eachApp(fn: (a: App) => void): void {
  for (let i = 0; i < entries.length; i++) fn(appOf(entries[i]));
}

/** Every app already built: one never built holds no session state (a session ends). */
export function eachBuiltApp(fn: (a: App) => void): void {
  for (let i = 0; i < entries.length; i++) if (entries[i].app) fn(entries[i].app!);
}
