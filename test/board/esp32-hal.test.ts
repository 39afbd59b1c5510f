/**
 * The ESP32 DevKitC HAL against test doubles of Espruino's Wifi / net / Storage / E / ESP32, driven
 * by the firmware (TypeScript source, as the bundle is built from it): the MAC is written before
 * any association, hostnames are random, randomness comes from E.hwRand only, and without the
 * native setStaMac call anonymous mode is refused before the radio does anything.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEsp32Board, ESPRUINO_WIFI_CONFIG, WIFI_KEY } from '../../boards/esp32-devkitc/hal';
import { findMacWriter } from '../../boards/esp32-devkitc/mac-ext';
import { isLocallyAdministered, isUnicast, parseMac } from '../../shared/src/tmpmac';

const BURNED_IN = '24:0a:c4:12:34:56';

function doubles(o: { withExt?: boolean; extThrows?: boolean; readbackBurnedIn?: boolean; hostname?: boolean } = {}) {
  const log: string[] = [];
  let mac = BURNED_IN;
  const files = new Map<string, string>();
  files.set(ESPRUINO_WIFI_CONFIG, '{"ssid":"home"}');
  files.set(WIFI_KEY, JSON.stringify({ ssid: 'lab', password: 'pw' }));
  let hw = 0;
  const d = {
    wifi: {
      connect: (ssid: string, _o: unknown, cb: (e: string | null) => void) => {
        log.push('connect ' + ssid + ' ' + mac);
        setImmediate(() => cb('no AP in a test'));
      },
      disconnect: (cb?: () => void) => {
        log.push('disconnect');
        if (cb) setImmediate(cb);
      },
      getIP: () => ({ mac: o.readbackBurnedIn ? BURNED_IN : mac }),
      setHostname: o.hostname === false ? undefined : (h: string, cb?: () => void) => {
        log.push('hostname ' + h);
        if (cb) setImmediate(cb);
      },
    },
    net: {
      connect: () => {
        log.push('tcp');
        throw new Error('no TCP in this test');
      },
    },
    storage: {
      read: (k: string) => files.get(k),
      write: (k: string, v: string) => (files.set(k, v), true),
      erase: (k: string) => {
        log.push('erase ' + k);
        files.delete(k);
      },
      list: () => [...files.keys()],
      compact: () => log.push('compact'),
    },
    E: {
      hwRand: () => {
        hw++;
        return randomBytes(4).readInt32LE(0);
      },
    },
    esp32: o.withExt
      ? {
          setStaMac: (m: string) => {
            log.push('setStaMac ' + m);
            if (o.extThrows) throw new Error('ESP_ERR_WIFI_MODE');
            mac = m;
            return true;
          },
        }
      : { reboot: () => undefined },
    print: (s: string) => log.push('print ' + s),
  };
  return { d, log, files, hwCount: () => hw };
}

let hood: any;
beforeAll(async () => {
  await import('../../boards/espruino-common/boot');
  hood = (globalThis as any).hood;
});
afterEach(() => {
  vi.restoreAllMocks();
  if (hood?.session) hood.session = null;
});

const events = (log: string[]) => log.filter((l) => l.startsWith('print @hood ')).map((l) => JSON.parse(l.slice('print @hood '.length)));
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('ESP32 DevKitC HAL (test doubles)', () => {
  it('finds the native MAC-write call only when the extension is built in', () => {
    expect(findMacWriter(undefined)).toBeNull();
    expect(findMacWriter({ reboot() {} })).toBeNull();
    expect(findMacWriter({ setStaMac: 'no' })).toBeNull();
    expect(findMacWriter({ setStaMac: () => true })).not.toBeNull();
  });

  it('erases Espruino\'s saved Wi-Fi config at boot (it would auto-connect with the burned-in MAC)', () => {
    const { d, files, log } = doubles({ withExt: true });
    createEsp32Board(d as any);
    expect(files.has(ESPRUINO_WIFI_CONFIG)).toBe(false);
    expect(log).toEqual(['erase ' + ESPRUINO_WIFI_CONFIG, 'compact']);
  });

  it('without the extension: refuses anonymous mode, nothing touches the radio', async () => {
    const { d, log } = doubles({ withExt: false });
    const board = createEsp32Board(d as any);
    expect(board.radio.canSetMac()).toBe(false);
    hood.boot(board);
    hood.cmd(JSON.stringify({ cmd: 'start' }));
    await settle();
    const ev = events(log);
    expect(ev.find((e) => e.ev === 'boot')).toMatchObject({ canSetMac: false, board: 'esp32-devkitc' });
    expect(ev.find((e) => e.ev === 'error')).toMatchObject({ code: 'no_mac_write' });
    expect(log.some((l) => /^(connect|hostname|tcp|disconnect)/.test(l))).toBe(false);
    // And the HAL itself refuses a direct write.
    const err = await new Promise((r) => board.radio.setMac(new Uint8Array([2, 0, 0, 0, 0, 1]), r));
    expect(String(err)).toMatch(/setStaMac/);
  });

  it('with the extension: disconnect, write TmpMAC, read it back, random hostname, then associate', async () => {
    const { d, log, hwCount } = doubles({ withExt: true });
    const mathRandom = vi.spyOn(Math, 'random');
    hood.boot(createEsp32Board(d as any));
    log.length = 0;
    hood.cmd(JSON.stringify({ cmd: 'start', maxAttempts: 1 }));
    await settle();
    const radio = log.filter((l) => !l.startsWith('print'));
    expect(radio[0]).toBe('disconnect');
    expect(radio[1]).toMatch(/^setStaMac /);
    const tmp = radio[1].slice('setStaMac '.length);
    expect(isUnicast(parseMac(tmp)) && isLocallyAdministered(parseMac(tmp))).toBe(true);
    expect(radio[2]).toMatch(/^hostname h[0-9a-f]{12}$/);
    expect(radio[3]).toBe('connect lab ' + tmp);
    expect(log.some((l) => l.includes(BURNED_IN) && l.startsWith('connect'))).toBe(false);
    expect(hwCount()).toBeGreaterThan(0);
    expect(mathRandom).not.toHaveBeenCalled();
  });

  it('fails closed when the write throws or the register does not read back the TmpMAC', async () => {
    for (const o of [{ extThrows: true }, { readbackBurnedIn: true }]) {
      const { d, log } = doubles({ withExt: true, ...o });
      hood.boot(createEsp32Board(d as any));
      hood.cmd(JSON.stringify({ cmd: 'start', maxAttempts: 1 }));
      await settle();
      expect(log.some((l) => l.startsWith('connect') || l.startsWith('hostname') || l === 'tcp')).toBe(false);
      expect(events(log).some((e) => e.ev === 'error' || e.ev === 'wiped' || e.ev === 'failed')).toBe(true);
    }
  });

  it('stores Wi-Fi credentials through the wifi command, validating them, never echoing the password', () => {
    const { d, files, log } = doubles({ withExt: true });
    hood.boot(createEsp32Board(d as any));
    hood.cmd(JSON.stringify({ cmd: 'wifi', ssid: 'cafe', password: 'hunter22' }));
    expect(JSON.parse(files.get(WIFI_KEY)!)).toEqual({ ssid: 'cafe', password: 'hunter22' });
    hood.cmd(JSON.stringify({ cmd: 'wifi', ssid: 'x'.repeat(33) }));
    hood.cmd(JSON.stringify({ cmd: 'wifi', ssid: 'ok', password: 7 }));
    const ev = events(log);
    expect(ev.filter((e) => e.ev === 'error')).toHaveLength(2);
    expect(JSON.stringify(ev)).not.toContain('hunter22');
  });
});
