/**
 * The dashboard over HTTP against a whole running MSS (embedded broker, bank, till, mail mix) and an emulated
 * PDA running the real bundle in a paid session: 401 without the token on every path, the token file, the
 * login cookie, the CSP, SSE, /metrics names and labels, and — the point of it all — no TmpMAC, key or
 * coin on any page or in /metrics, and TmpIds only on the sessions page.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { endSession } from '../../host/demo/emu-session';
import { silentLogger } from '../../host/common/log';
import { CSP, startDashboard } from '../../host/dashboard/server';
import { TOKEN_FILE } from '../../host/dashboard/auth';
import { BROKER_REJECT_REASONS, CELL_REJECT_REASONS, END_REASONS, MIX_LANES, OTHER, PAY_REFUSE_REASONS, REFUSE_REASONS, RESUME_REFUSE_REASONS } from '../../host/dashboard/reasons';
import { frameData, get, paidSession, readEvents, startFixture, type Fixture } from './fixture';

let f: Fixture;
const bearer = () => ({ Authorization: 'Bearer ' + f.token });
const PATHS = ['/', '/app.js', '/events', '/metrics', '/sessions', '/snapshot.json', '/nope'];

beforeAll(async () => {
  f = await startFixture();
});
afterAll(async () => {
  await f?.stop();
});

describe('dashboard access', () => {
  it('answers 401 on every path without a token, or with a wrong one, with the CSP on the answer', async () => {
    expect(f.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    for (const [i, p] of PATHS.entries()) {
      // Each path from its own loopback address: three wrong tokens per peer stay under the rate limit.
      const variants: Record<string, string>[] = [{}, { Authorization: 'Bearer ' + 'A'.repeat(43) }, { Cookie: 'hood_dashboard=' + f.token.slice(1) + 'x' }, { Authorization: 'Basic ' + f.token }];
      for (const headers of variants) {
        const r = await get(f.url + p, { headers, localAddress: '127.0.1.' + (i + 1) });
        expect(r.status, p + ' ' + JSON.stringify(headers)).toBe(401);
        expect(r.headers['content-security-policy']).toBe(CSP);
        expect(r.headers['www-authenticate']).toMatch(/^Bearer/);
      }
    }
  });

  it('keeps only the SHA-256 of the token, mode 0600; a restart prints no token and the old one still works', async () => {
    const path = join(f.dir, 'mss', TOKEN_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    expect(text.trim()).toBe(createHash('sha256').update(f.token).digest('hex'));
    expect(text).not.toContain(f.token);
    const again = await startDashboard({ src: f.mss, dataDir: join(f.dir, 'mss'), host: '127.0.0.1', port: 0, log: silentLogger() });
    try {
      expect(again.newToken).toBeNull();
      expect((await get(again.url + '/', { headers: bearer() })).status).toBe(200);
    } finally {
      await again.close();
    }
  });

  it('the login form sets an HttpOnly SameSite=Strict cookie that opens the pages; a wrong token does not', async () => {
    const bad = await get(f.url + '/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=' + 'B'.repeat(43), localAddress: '127.0.0.4' });
    expect(bad.status).toBe(401);
    expect(bad.headers['set-cookie']).toBeUndefined();
    const ok = await get(f.url + '/login', { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'token=' + encodeURIComponent(f.token) });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe('/');
    const cookie = String(ok.headers['set-cookie']);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await get(f.url + '/', { headers: { Cookie: cookie.split(';')[0] } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('hood MSS');
    // An oversized login body is not read as a token.
    const big = await get(f.url + '/login', { method: 'POST', body: 'token=' + f.token + '&x=' + 'y'.repeat(5000), localAddress: '127.0.0.4' });
    expect(big.status).toBe(401);
  });

  it('rate-limits a peer that sends wrong tokens (429, even for the right one), other peers unaffected', async () => {
    const d = await startDashboard({ src: f.mss, dataDir: join(f.dir, 'mss'), host: '127.0.0.1', port: 0, log: silentLogger(), maxFailures: 5 });
    try {
      for (let i = 0; i < 5; i++) expect((await get(d.url + '/metrics', { headers: { Authorization: 'Bearer ' + 'C'.repeat(42) + i }, localAddress: '127.0.0.5' })).status).toBe(401);
      expect((await get(d.url + '/metrics', { headers: { Authorization: 'Bearer ' + 'D'.repeat(43) }, localAddress: '127.0.0.5' })).status).toBe(429);
      expect((await get(d.url + '/metrics', { headers: bearer(), localAddress: '127.0.0.5' })).status).toBe(429);
      const login = await get(d.url + '/login', { method: 'POST', body: 'token=' + f.token, localAddress: '127.0.0.5' });
      expect(login.status).toBe(429);
      expect((await get(d.url + '/metrics', { headers: bearer(), localAddress: '127.0.0.6' })).status).toBe(200);
    } finally {
      await d.close();
    }
  });

  it('serves every page with the strict CSP, no inline script or style, no external asset', async () => {
    for (const p of ['/', '/sessions', '/login']) {
      const r = await get(f.url + p, { headers: bearer() });
      expect(r.status).toBe(200);
      expect(r.headers['content-security-policy']).toBe(CSP);
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.body).not.toMatch(/<script(?![^>]*\ssrc="\/app\.js")/);
      expect(r.body).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
      expect(r.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
    expect(CSP).toContain("default-src 'none'");
    expect(CSP).not.toContain('unsafe');
    const js = await get(f.url + '/app.js', { headers: bearer() });
    expect(js.headers['content-type']).toMatch(/^text\/javascript/);
    expect(js.body).not.toMatch(/innerHTML|eval\(|https?:\/\/(?!www\.w3\.org\/2000\/svg')/);
  });
});

describe('live counts and /metrics', () => {
  it('SSE sends a snapshot at once and then every period; the session count follows a PDA in and out', async () => {
    const before = frameData((await readEvents(f.url, bearer(), 1)).frames[0]);
    const s = await paidSession(f);
    const during = await readEvents(f.url, bearer(), 2);
    expect(during.headers['content-type']).toMatch(/^text\/event-stream/);
    const a = frameData(during.frames[0]);
    const b = frameData(during.frames[1]);
    expect(b.at).toBeGreaterThan(a.at);
    expect(a.sessions).toBe(before.sessions + 1);
    expect(a.payment.paid).toBeGreaterThanOrEqual(1);
    expect(a.payment.till).toBeGreaterThanOrEqual(20);
    expect(a.broker.connections).toBeGreaterThanOrEqual(1);
    expect(Object.keys(a.mix).sort()).toEqual(['in', 'out']);
    // The paid session got a session ticket (docs/handoff.md): counted, never shown.
    await expect.poll(async () => frameData((await readEvents(f.url, bearer(), 1)).frames[0]).handoff.ticketsIssued, { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await endSession(s.pda);
    await expect.poll(async () => frameData((await readEvents(f.url, bearer(), 1)).frames[0]).sessions, { timeout: 10_000 }).toBe(before.sessions);
    const after = frameData((await readEvents(f.url, bearer(), 1)).frames[0]);
    expect(after.ended.bye).toBeGreaterThanOrEqual(1);
  });

  it('caps live streams: past the cap a new one is answered 503', async () => {
    const d = await startDashboard({ src: f.mss, dataDir: join(f.dir, 'mss'), host: '127.0.0.1', port: 0, log: silentLogger(), maxEventClients: 2, eventPeriodMs: 100 });
    try {
      const held = [readEvents(d.url, bearer(), 5), readEvents(d.url, bearer(), 5)];
      await new Promise((r) => setTimeout(r, 150));
      const third = await readEvents(d.url, bearer(), 1);
      expect(third.status).toBe(503);
      for (const h of await Promise.all(held)) expect(h.frames).toHaveLength(5);
    } finally {
      await d.close();
    }
  });

  it('/metrics: Prometheus text, every name hood_, labels only reason/direction/lane/stat from fixed sets', async () => {
    const r = await get(f.url + '/metrics', { headers: bearer() });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const names = r.body.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]);
    expect(names.length).toBeGreaterThan(20);
    for (const n of names) expect(n).toMatch(/^hood_[a-z0-9_]+$/);
    for (const n of ['hood_sessions', 'hood_joins_accepted_total', 'hood_cells_rejected_total', 'hood_cover_cells_total', 'hood_payments_total', 'hood_till_balance', 'hood_bank_audit_ok', 'hood_mix_entropy_bits', 'hood_mix_queued', 'hood_broker_connections', 'hood_tickets_issued_total', 'hood_sessions_resumed_total', 'hood_sessions_handed_off_total', 'hood_resumes_refused_total', 'hood_mail_forwarded_total', 'hood_exchange_rounds_total', 'hood_exchange_relayed_total'])
      expect(names).toContain(n);
    const allowed: Record<string, readonly string[]> = {
      reason: [...REFUSE_REASONS, ...CELL_REJECT_REASONS, ...END_REASONS, ...BROKER_REJECT_REASONS, ...PAY_REFUSE_REASONS, ...RESUME_REFUSE_REASONS, OTHER],
      direction: ['in', 'out'],
      kind: ['pickup', 'cover'],
      result: ['ok', 'failed'],
      lane: MIX_LANES,
      stat: ['mean', 'min', 'p10', 'theory'],
    };
    const samples = r.body.split('\n').filter((l) => l.startsWith('hood_') && !l.startsWith('hood_nodejs') && !l.startsWith('hood_process'));
    for (const line of samples) {
      const m = /^[a-z0-9_]+(\{(.*)\})? [-0-9.e+NaInf]+$/.exec(line);
      expect(m, line).not.toBeNull();
      if (!m![2]) continue;
      for (const pair of m![2].split(',')) {
        const [k, v] = pair.split('=');
        expect(Object.keys(allowed), line).toContain(k);
        expect(allowed[k], line).toContain(JSON.parse(v));
      }
    }
    // The audit runs at start: the embedded bank's books balance.
    await expect.poll(async () => /^hood_bank_audit_ok 1$/m.test((await get(f.url + '/metrics', { headers: bearer() })).body), { timeout: 10_000 }).toBe(true);
  });

  it('garbage cells are counted by reason in /metrics and the snapshot, reasons from the fixed set', async () => {
    const before = JSON.parse((await get(f.url + '/snapshot.json', { headers: bearer() })).body);
    f.mss.gw.core.handleUp(new Uint8Array(7));
    f.mss.gw.core.handleUp('x' as unknown as Uint8Array);
    const after = JSON.parse((await get(f.url + '/snapshot.json', { headers: bearer() })).body);
    expect(after.cells.rejected.not_bytes).toBe(before.cells.rejected.not_bytes + 1);
    let total = 0;
    for (const k of Object.keys(after.cells.rejected)) total += after.cells.rejected[k];
    let totalBefore = 0;
    for (const k of Object.keys(before.cells.rejected)) totalBefore += before.cells.rejected[k];
    expect(total).toBe(totalBefore + 2);
  });
});

describe('no identifiers', () => {
  it('no TmpMAC, TmpId, session key, K_BD fingerprint or coin on any page, stream or in /metrics; TmpIds on /sessions only', async () => {
    const s = await paidSession(f);
    const sess = f.mss.gw.core.sessions.findByTmpId(s.tmpId)!;
    expect(sess).toBeDefined();
    const till = f.mss.payment!.till.wallet.proofs();
    expect(till.length).toBeGreaterThan(0);
    const k = sess.keys as unknown as Record<string, Uint8Array>;
    const secrets: string[] = [
      s.tmpMac,
      s.tmpMac.replace(/:/g, ''),
      s.tmpMac.replace(/:/g, '-'),
      sess.kbdId,
      ...Object.keys(k).filter((n) => k[n] instanceof Uint8Array).map((n) => toHex(k[n])),
      ...s.proofs.flatMap((p) => [p.secret, p.C]),
      ...till.flatMap((p) => [p.secret, p.C]),
    ];
    expect(secrets.length).toBeGreaterThan(8);
    const texts: [string, string][] = [];
    for (const p of ['/', '/app.js', '/app.css', '/snapshot.json', '/metrics', '/sessions']) texts.push([p, (await get(f.url + p, { headers: bearer() })).body]);
    texts.push(['/events', (await readEvents(f.url, bearer(), 2)).frames.join('\n')]);
    for (const [p, body] of texts) {
      for (const x of secrets) {
        expect(body.toLowerCase().includes(x.toLowerCase()), p + ' shows a secret').toBe(false);
      }
      if (p !== '/sessions') expect(body.includes(s.tmpId), p + ' shows a TmpId').toBe(false);
    }
    const sessionsPage = texts.find(([p]) => p === '/sessions')![1];
    expect(sessionsPage).toContain(s.tmpId);
    await endSession(s.pda);
  });
});
