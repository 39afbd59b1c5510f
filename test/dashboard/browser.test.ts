/**
 * The dashboard in a real browser: Debian's Chromium, headless, driven by puppeteer-core (which never
 * downloads a browser). The operator is refused without the token, logs in through the form, and watches a
 * session appear when an emulated PDA (real firmware bundle, real gateway and broker) joins and vanish after
 * its BYE; the page runs under its strict CSP without a single violation. A screenshot is kept in
 * test-artifacts/. Chromium must be installed: without it this test fails, it does not skip.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../host/common/log';
import { endSession, joinSession, pdaFor } from '../../host/demo/emu-session';
import { startMss, type RunningMss } from '../../host/mss/start';
import type { EmuPda } from '../../boards/emu/emu-pda';
import { BUNDLE } from '../helpers/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));

/** Wait until the element's text is `v` (an expression string: this file is typed without the DOM library). */
const textIs = (page: Page, id: string, v: string) =>
  page.waitForFunction('document.getElementById(' + JSON.stringify(id) + ').textContent === ' + JSON.stringify(v), { timeout: 10_000 });

let dir: string;
let mss: RunningMss;
let browser: Browser | undefined;
const pdas: EmuPda[] = [];

beforeAll(async () => {
  dir = testDir('hood-dash-browser-');
  mss = await startMss({ dataDir: join(dir, 'mss'), log: silentLogger(), listen: { host: '127.0.0.1', port: 0 }, tickMs: 200, payment: false, mail: false, dashboard: { host: '127.0.0.1', port: 0 } });
});
afterAll(async () => {
  for (const p of pdas) p.powerOff();
  await browser?.close();
  await mss?.stop();
  removeTestDir(dir);
});

describe('dashboard in Chromium', () => {
  it('401 without the token; after login a session appears on join and vanishes after BYE; no CSP violation', async () => {
    expect(existsSync(CHROMIUM), CHROMIUM + ' is missing: apt-get install chromium').toBe(true);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
      userDataDir: testDir('hood-chromium-'),
    });
    const page = await browser.newPage();
    await page.setViewport({ width: 1100, height: 900 });
    const violations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text());
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(mss.dashboard!.url)) external.push(r.url());
    });

    const url = mss.dashboard!.url;
    const denied = await page.goto(url + '/');
    expect(denied!.status()).toBe(401);
    expect(await page.$eval('h1', (e) => e.textContent)).toMatch(/401/);

    await page.goto(url + '/login');
    await page.type('#token', 'W'.repeat(43));
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    expect(await page.$eval('#login-error', (e) => e.textContent)).toMatch(/Wrong token/);

    await page.type('#token', mss.dashboard!.newToken!);
    await Promise.all([page.waitForNavigation(), page.click('#login')]);
    expect(new URL(page.url()).pathname).toBe('/');
    const cookie = (await page.cookies()).find((c) => c.name === 'hood_dashboard')!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe('Strict');
    await textIs(page, 'status', 'live');
    await textIs(page, 'v-sessions', '0');

    const pda = pdaFor(mss.gw, BUNDLE);
    pdas.push(pda);
    const joined = await joinSession(pda);
    await textIs(page, 'v-sessions', '1');
    expect(await page.$eval('#v-joins-accepted', (e) => e.textContent)).toBe('1');
    // The plot is drawn: a polyline in the sessions SVG, made by the dashboard's own script.
    await page.waitForFunction("document.querySelectorAll('#plot-sessions polyline').length === 1", { timeout: 10_000 });
    const text = await page.content();
    expect(text).not.toContain(joined.tmpId);
    expect(text.toLowerCase()).not.toContain(String(joined.tmpMac).toLowerCase());
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });

    await endSession(pda);
    await textIs(page, 'v-sessions', '0');
    expect(await page.$eval('#v-ended', (e) => e.textContent)).toMatch(/bye 1/);

    // The sessions page is where a TmpId may be seen, on purpose; the cookie opens it too.
    const pda2 = pdaFor(mss.gw, BUNDLE);
    pdas.push(pda2);
    const j2 = await joinSession(pda2);
    await page.goto(url + '/sessions');
    expect(await page.$eval('#sessions tbody', (e) => e.textContent)).toContain(j2.tmpId);
    await endSession(pda2);

    expect(violations).toEqual([]);
    expect(external).toEqual([]);
  });
});
