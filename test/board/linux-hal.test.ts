/** The Espruino-Linux "radio": the harness is asked over the console; no answer or a wrong one fails the step. */
import { describe, expect, it } from 'vitest';
import { harnessRadio, RADIO_TIMEOUT_MS } from '../../boards/espruino-linux/harness-radio';
import { createLinuxBoard } from '../../boards/espruino-linux/hal';
import { hwRandom } from '../../boards/espruino-common/basics';

function fakeClock() {
  const timers: { fn: () => void; at: number; id: number }[] = [];
  let now = 0;
  let id = 1;
  return {
    clock: {
      now: () => now,
      setTimeout: (fn: () => void, ms: number) => (timers.push({ fn, at: now + ms, id: id }), id++),
      clearTimeout: (i: number) => {
        const k = timers.findIndex((t) => t.id === i);
        if (k >= 0) timers.splice(k, 1);
      },
    },
    advance(ms: number) {
      now += ms;
      for (const t of timers.filter((x) => x.at <= now)) {
        timers.splice(timers.indexOf(t), 1);
        t.fn();
      }
    },
  };
}

const MAC = new Uint8Array([0x06, 1, 2, 3, 4, 5]);

describe('Espruino-Linux harness radio', () => {
  it('asks the harness to load the TmpMAC and trusts only the MAC it reports back', () => {
    const c = fakeClock();
    const out: any[] = [];
    const r = harnessRadio((e) => out.push(e), c.clock);
    const results: (string | undefined)[] = [];
    r.radio.setMac(MAC, (e) => results.push(e));
    expect(out[0]).toMatchObject({ ev: 'radio', op: 'set_mac', mac: '06:01:02:03:04:05' });
    r.onAnswer({ req: out[0].req, ok: true, mac: '06:01:02:03:04:05' }, null as any);
    expect(results).toEqual([undefined]);
    expect(Array.from(r.radio.currentMac())).toEqual(Array.from(MAC));

    r.radio.setMac(MAC, (e) => results.push(e));
    r.onAnswer({ req: out[1].req, ok: true, mac: '06:01:02:03:04:06' }, null as any);
    r.radio.setMac(MAC, (e) => results.push(e));
    r.onAnswer({ req: out[2].req, ok: true, mac: 'garbage' }, null as any);
    r.radio.setMac(MAC, (e) => results.push(e));
    r.onAnswer({ req: out[3].req, ok: false, error: 'busy' }, null as any);
    expect(results.slice(1)).toEqual(['radio harness loaded a different MAC', 'radio harness reported a bad MAC', 'busy']);
    expect(() => r.onAnswer({ req: 999, ok: true }, null as any)).toThrow(/no such radio request/);
    expect(() => r.onAnswer({ req: out[0].req, ok: true }, null as any)).toThrow(); // answered once only
  });

  it('fails a request the harness never answers (no harness: no session)', () => {
    const c = fakeClock();
    const out: any[] = [];
    const r = harnessRadio((e) => out.push(e), c.clock);
    const results: (string | undefined)[] = [];
    r.radio.connect('habc', new Uint8Array(6), (e) => results.push(e)); // the register as booted: unknown, zero
    expect(out[0]).toMatchObject({ op: 'associate', hostname: 'habc', mac: '00:00:00:00:00:00' });
    c.advance(RADIO_TIMEOUT_MS - 1);
    expect(results).toEqual([]);
    c.advance(1);
    expect(results).toEqual(['radio harness did not answer associate']);
  });

  it('associates only with the expected address: refused before asking, or when the harness reports another', () => {
    const c = fakeClock();
    const out: any[] = [];
    const r = harnessRadio((e) => out.push(e), c.clock);
    const results: (string | undefined)[] = [];
    r.radio.connect('habc', MAC, (e) => results.push(e)); // register never loaded with MAC
    expect(out).toEqual([]);
    r.radio.setMac(MAC, () => undefined);
    r.onAnswer({ req: out[0].req, ok: true, mac: '06:01:02:03:04:05' }, null as any);
    r.radio.connect('habc', MAC, (e) => results.push(e));
    expect(out[1]).toMatchObject({ op: 'associate', mac: '06:01:02:03:04:05' });
    r.onAnswer({ req: out[1].req, ok: true, mac: '24:0a:c4:12:34:56' }, null as any);
    r.radio.connect('habc', MAC, (e) => results.push(e));
    r.onAnswer({ req: out[2].req, ok: true, mac: '06:01:02:03:04:05' }, null as any);
    expect(results).toEqual(['MAC register does not hold the expected address', 'radio harness associated with a different MAC', undefined]);
  });

  it('builds the board from Espruino modules; randomness is E.hwRand, refusing to run without it', () => {
    const printed: string[] = [];
    let calls = 0;
    const E = { hwRand: () => (calls++, 0x01020304 | 0) };
    const b = createLinuxBoard({ net: { connect: () => ({}) as any }, storage: { read: () => undefined, write: () => true, erase: () => undefined, list: () => [] }, E, print: (s) => printed.push(s) });
    expect(b.name).toBe('espruino-linux');
    expect(Array.from(b.random(6))).toEqual([4, 3, 2, 1, 4, 3]);
    expect(calls).toBe(2);
    expect(() => hwRandom({} as any)).toThrow(/hwRand/);
  });
});
