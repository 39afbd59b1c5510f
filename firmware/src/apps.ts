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
 * every app for that side effect) and is then called by the session machine: console commands by
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
  /** The session ended and its keys are erased; erase this app's session state too. */
  onWiped?(ctx: AppContext): void;
}

const apps: App[] = [];

export function registerApp(a: App): void {
  for (let i = 0; i < apps.length; i++) if (apps[i].name === a.name) throw new Error('app ' + a.name + ' registered twice');
  apps.push(a);
}

export function appCommand(cmd: string): ((c: any, ctx: AppContext) => void) | null {
  for (let i = 0; i < apps.length; i++) {
    const cs = apps[i].commands;
    if (cs && Object.prototype.hasOwnProperty.call(cs, cmd)) return cs[cmd];
  }
  return null;
}

export function appForChannel(channel: number): App | null {
  for (let i = 0; i < apps.length; i++) if (apps[i].channels && apps[i].channels!.indexOf(channel) >= 0) return apps[i];
  return null;
}

export function eachApp(fn: (a: App) => void): void {
  for (let i = 0; i < apps.length; i++) fn(apps[i]);
}
