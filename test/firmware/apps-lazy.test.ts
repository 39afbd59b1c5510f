/**
 * Apps registered with registerLazyApp (firmware/src/apps.ts) have their code made on first use: a
 * command of theirs, a DATA cell on one of their channels, or a session starting. Until then none of
 * their functions exist on the board (docs/crypto-speed.md, variables after boot). These tests pin the
 * dispatch rules: what builds an app, that it is built once, that a session's end never builds one,
 * that names are matched exactly (no inherited property is a command), and that an app whose code
 * does not match its registration is refused.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appCommand, appForChannel, eachApp, eachBuiltApp, registerApp, registerLazyApp, type App } from '../../firmware/src/apps';
import '../../firmware/src/apps/index';

let seq = 0;
function uniq(p: string): string {
  seq++;
  return p + seq;
}

/** Session hooks are called on this file's apps only (the firmware's own need a real context). */
function mine(a: App): boolean {
  return a.name.indexOf('lazy') === 0;
}

/** A lazy app with counters; `builds` counts calls of its factory. */
function lazyApp(commands: string[], channels: number[]) {
  const name = uniq('lazy');
  const s = { name: name, commands: commands, builds: 0, calls: [] as string[], joined: 0, wiped: 0 };
  registerLazyApp(name, commands, channels, function (): App {
    s.builds++;
    const cs: { [c: string]: (c: any) => void } = {};
    for (const c of commands) cs[c] = () => s.calls.push(c);
    return {
      name: name,
      commands: cs,
      channels: channels,
      onData: () => s.calls.push('data'),
      onJoined: () => s.joined++,
      onWiped: () => s.wiped++,
    };
  });
  return s;
}

describe('lazy apps', () => {
  it('the firmware apps register the commands and channels their code has', () => {
    for (const c of ['mail.send', 'mail.pickup', 'mail.forget', 'mail.status', 'pay.now', 'wallet.balance', 'wallet.pending', 'wallet.settle', 'wallet.stage', 'wallet.commit', 'wallet.status', 'wallet.abort', 'wallet.ack']) {
      expect(typeof appCommand(c), c).toBe('function');
    }
    // CH_MAIL_DELIVER, CH_MAIL_CTRL_DOWN and CHANNEL_PAID are claimed (the builder checks them).
    let n = 0;
    for (let ch = 0; ch < 256; ch++) if (appForChannel(ch)) n++;
    expect(n).toBeGreaterThanOrEqual(3);
  });

  it('builds on command, channel or session start, exactly once', () => {
    const c1 = uniq('c.');
    const ch = 200 + (seq % 50);
    const a = lazyApp([c1], [ch]);
    let wipedSeen = 0;
    eachBuiltApp((x) => {
      if (x.name === a.name) wipedSeen++;
    });
    expect(wipedSeen).toBe(0);
    expect(a.builds).toBe(0);
    appCommand(c1)!({}, null as any);
    expect(a.builds).toBe(1);
    expect(a.calls).toEqual([c1]);
    appForChannel(ch)!.onData!(ch, new Uint8Array(0), null as any);
    eachApp((x) => mine(x) && x.onJoined && x.onJoined(null as any));
    eachBuiltApp((x) => mine(x) && x.onWiped && x.onWiped(null as any));
    expect(a.builds).toBe(1);
    expect(a.joined).toBe(1);
    expect(a.wiped).toBe(1);

    const b = lazyApp([uniq('d.')], []);
    eachApp(() => {});
    expect(b.builds).toBe(1);
  });

  it('inherited names and non-strings are never commands', () => {
    lazyApp([uniq('e.')], []);
    for (const bad of ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf', '', undefined, null, 3, {}]) {
      expect(appCommand(bad as any)).toBeNull();
    }
  });

  it('random sequences of commands, session starts and ends build each app once, on first use only', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })), { maxLength: 40 }), (ops) => {
        const apps = [0, 1, 2].map((i) => lazyApp([uniq('r' + i + '.')], []));
        const used = [false, false, false];
        const calls = [0, 0, 0];
        let sessions = 0;
        const wiped = [0, 0, 0];
        for (const [op, i] of ops) {
          if (op === 0) {
            appCommand(apps[i].commands[0])!({}, null as any);
            used[i] = true;
            calls[i]++;
          } else if (op === 1) {
            eachApp((x) => mine(x) && x.onJoined && x.onJoined(null as any));
            used[0] = used[1] = used[2] = true;
            sessions++;
          } else if (op === 2) {
            eachBuiltApp((x) => mine(x) && x.onWiped && x.onWiped(null as any));
            // A session end reaches only apps already built.
            for (let k = 0; k < 3; k++) if (used[k]) wiped[k]++;
          } else {
            expect(appCommand(apps[i].commands[0] + 'x')).toBeNull();
          }
          for (let k = 0; k < 3; k++) {
            expect(apps[k].builds).toBe(used[k] ? 1 : 0);
            expect(apps[k].calls.length).toBe(calls[k]);
            expect(apps[k].joined).toBe(sessions);
            expect(apps[k].wiped).toBe(wiped[k]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
  // Last: the refused apps stay registered and would make every later session start throw.
  it('refuses an app whose code does not match its registration, and a second app of one name', () => {
    const name = uniq('bad');
    registerLazyApp(name, [name + '.a'], [], () => ({ name: name, commands: { [name + '.b']: () => {} } }));
    expect(() => appCommand(name + '.a')).toThrow(/does not match its registration/);
    const other = uniq('ch');
    registerLazyApp(other, [], [251], () => ({ name: other, channels: [252] }));
    expect(() => appForChannel(251)).toThrow(/does not match/);
    expect(() => registerLazyApp(name, [], [], () => ({ name: name }))).toThrow(/registered twice/);
    expect(() => registerApp({ name: name })).toThrow(/registered twice/);
  });
});
