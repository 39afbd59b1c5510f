/**
 * The dashboard's pages and assets, all served by the dashboard itself (no CDN, no external asset, so the
 * strict CSP of server.ts holds: scripts and styles from 'self' only, nothing inline). The overview page is
 * filled by app.js from the server-sent snapshots (snapshot.ts: counts only); the sessions page, which lists
 * TmpIds, is rendered on the server only when the operator opens it.
 */

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');

function shell(title: string, body: string, script = false): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
    '<title>' + esc(title) + '</title><link rel="stylesheet" href="/app.css"></head><body>' + body +
    (script ? '<script src="/app.js"></script>' : '') + '</body></html>'
  );
}

export function loginPage(message = ''): string {
  return shell(
    'hood MSS — log in',
    '<main class="login"><h1>hood MSS dashboard</h1>' +
      (message ? '<p class="bad" id="login-error">' + esc(message) + '</p>' : '') +
      '<form method="post" action="/login"><label>Access token <input type="password" name="token" id="token" autocomplete="off" required></label>' +
      '<button type="submit" id="login">Log in</button></form>' +
      '<p class="hint">The token was printed once when the dashboard was first enabled; delete the token file in the data dir to make a new one.</p></main>',
  );
}

export function unauthorizedPage(): string {
  return shell('hood MSS — 401', '<main class="login"><h1>401 — log in first</h1><p><a href="/login">Log in</a> with the dashboard token.</p></main>');
}

/** One card per concern; app.js fills every element whose id starts with `v-`. */
export function overviewPage(): string {
  const card = (title: string, rows: [string, string][]) =>
    '<section class="card"><h2>' + esc(title) + '</h2><dl>' + rows.map(([id, label]) => '<dt>' + esc(label) + '</dt><dd id="v-' + id + '">–</dd>').join('') + '</dl></section>';
  return shell(
    'hood MSS',
    '<header><h1>hood MSS</h1><span id="status">connecting…</span> <a href="/sessions">sessions (TmpIds)</a></header><main>' +
      card('Sessions', [['sessions', 'open now'], ['joins-accepted', 'joins accepted'], ['joins-refused', 'joins refused'], ['joins-queued', 'JOIN queue'], ['ended', 'ended']]) +
      card('Cells', [['cells-up', 'up'], ['cells-down', 'down'], ['cover-in', 'cover in'], ['cover-out', 'cover out'], ['cells-rejected', 'rejected']]) +
      card('Broker', [['broker-connections', 'connections'], ['broker-rejected', 'dropped']]) +
      card('Payment', [['paid', 'payments'], ['earned', 'earned'], ['till', 'till'], ['pay-refused', 'refused'], ['audit', 'bank audit']]) +
      card('Mail mix', [['mix-out', 'out (Bob → Alice)'], ['mix-in', 'in (Alice → Bob)'], ['mail', 'mail']]) +
      '<section class="card wide"><h2>Sessions over time</h2><svg id="plot-sessions" viewBox="0 0 600 120" role="img" aria-label="sessions over time"></svg></section>' +
      '<section class="card wide"><h2>Cells per second (up, down)</h2><svg id="plot-cells" viewBox="0 0 600 120" role="img" aria-label="cells per second"></svg></section>' +
      '<section class="card wide"><h2>Rejections by reason</h2><dl id="v-reasons"></dl></section></main>',
    true,
  );
}

export interface SessionRow {
  tmpId: string;
  ageSec: number;
  idleSec: number;
  cellsUp: number;
  cellsDown: number;
}

/** The one page with TmpIds: opened on purpose, never pushed, never cached. No TmpMAC, key or coin. */
export function sessionsPage(rows: SessionRow[]): string {
  const tr = rows.map((r) => '<tr><td class="tmpid">' + esc(r.tmpId) + '</td><td>' + r.ageSec + '</td><td>' + r.idleSec + '</td><td>' + r.cellsUp + '</td><td>' + r.cellsDown + '</td></tr>').join('');
  return shell(
    'hood MSS — sessions',
    '<header><h1>Sessions</h1><a href="/">overview</a></header><main><p>' + rows.length + ' open. TmpIds are shown here only; the overview and /metrics never carry them.</p>' +
      '<table id="sessions"><thead><tr><th>TmpId</th><th>age s</th><th>idle s</th><th>cells up</th><th>cells down</th></tr></thead><tbody>' + tr + '</tbody></table></main>',
  );
}

export const APP_CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{display:flex;gap:1em;align-items:baseline;padding:.6em 1em;background:#1d2330;color:#fff}
header a{color:#9cf}
h1{font-size:1.2em;margin:0}h2{font-size:1em;margin:0 0 .4em}
main{display:flex;flex-wrap:wrap;gap:1em;padding:1em}
.card{background:#fff;border-radius:6px;padding:.8em 1em;box-shadow:0 1px 2px #0002;min-width:14em}
.wide{flex-basis:100%}
dl{display:grid;grid-template-columns:auto auto;gap:.1em 1em;margin:0}dt{color:#556}dd{margin:0;font-variant-numeric:tabular-nums}
svg{width:100%;height:auto;background:#fafbfc}
.line-a{fill:none;stroke:#2a6fdb;stroke-width:2}.line-b{fill:none;stroke:#d9822b;stroke-width:2}
.axis{fill:#889;font-size:10px}
.bad{color:#b00}.ok{color:#080}
.login{flex-direction:column;max-width:28em;margin:3em auto}
table{border-collapse:collapse;background:#fff}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:right}.tmpid{font-family:monospace;text-align:left}
`;

/**
 * The overview's script: one EventSource on /events, the numbers set with textContent (never HTML), and two
 * SVG line plots of the last 300 snapshots drawn with DOM calls. ES2017, no dependency.
 */
export const APP_JS = `'use strict';
(function () {
  var NS = 'http://www.w3.org/2000/svg', KEEP = 300, hist = [];
  function $(id) { return document.getElementById(id); }
  function set(id, v) { var e = $('v-' + id); if (e) e.textContent = v === null || v === undefined ? '\\u2013' : String(v); }
  function total(m) { var t = 0; for (var k in m) t += m[k]; return t; }
  function nonzero(m) { var out = []; for (var k in m) if (m[k]) out.push(k + ' ' + m[k]); return out.join(', ') || '0'; }
  function bits(x) { return x === null ? '\\u2013' : x.toFixed(2) + ' bits'; }
  function plot(svg, series, classes) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var n = series[0].length, max = 1;
    series.forEach(function (s) { s.forEach(function (v) { if (v > max) max = v; }); });
    series.forEach(function (s, i) {
      var pts = s.map(function (v, j) { return (n < 2 ? 0 : (j * 600) / (KEEP - 1)).toFixed(1) + ',' + (115 - (v / max) * 105).toFixed(1); });
      var p = document.createElementNS(NS, 'polyline');
      p.setAttribute('points', pts.join(' '));
      p.setAttribute('class', classes[i]);
      svg.appendChild(p);
    });
    var t = document.createElementNS(NS, 'text');
    t.setAttribute('x', '4'); t.setAttribute('y', '12'); t.setAttribute('class', 'axis');
    t.textContent = 'max ' + (Math.round(max * 100) / 100);
    svg.appendChild(t);
  }
  function show(s) {
    set('sessions', s.sessions);
    set('joins-accepted', s.joins.accepted);
    set('joins-refused', nonzero(s.joins.refused));
    set('joins-queued', s.joins.queued);
    set('ended', nonzero(s.ended));
    set('cells-up', s.cells.up); set('cells-down', s.cells.down);
    set('cover-in', s.cells.coverIn); set('cover-out', s.cells.coverOut);
    set('cells-rejected', total(s.cells.rejected));
    set('broker-connections', s.broker.connections);
    set('broker-rejected', s.broker.rejected ? total(s.broker.rejected) : null);
    set('paid', s.payment ? s.payment.paid : null); set('earned', s.payment ? s.payment.earned : null);
    set('till', s.payment ? s.payment.till : null); set('pay-refused', s.payment ? nonzero(s.payment.refused) : null);
    set('audit', s.bank ? (s.bank.audit ? (s.bank.audit.ok ? 'balanced' : s.bank.audit.problems + ' problem(s)') : (s.bank.embedded ? 'pending' : 'external bank')) : null);
    ['out', 'in'].forEach(function (l) {
      var m = s.mix && s.mix[l];
      set('mix-' + l, m ? m.queued + ' queued, ' + m.released + ' released, mean ' + bits(m.meanBits) + ' (theory ' + bits(m.theoryBits) + ')' : null);
    });
    set('mail', s.mail ? s.mail.sent + ' sent, ' + s.mail.delivered + ' delivered, ' + s.mail.stored + ' stored' : null);
    var r = $('v-reasons');
    while (r.firstChild) r.removeChild(r.firstChild);
    [['cell', s.cells.rejected], ['refuse', s.joins.refused], ['broker', s.broker.rejected || {}]].forEach(function (g) {
      for (var k in g[1]) if (g[1][k]) {
        var dt = document.createElement('dt'); dt.textContent = g[0] + ' ' + k;
        var dd = document.createElement('dd'); dd.textContent = String(g[1][k]);
        r.appendChild(dt); r.appendChild(dd);
      }
    });
    var prev = hist.length ? hist[hist.length - 1] : null, dt = prev ? Math.max(0.001, (s.at - prev.at) / 1000) : 1;
    hist.push({ at: s.at, sessions: s.sessions, up: s.cells.up, down: s.cells.down,
      upRate: prev ? Math.max(0, (s.cells.up - prev.up) / dt) : 0, downRate: prev ? Math.max(0, (s.cells.down - prev.down) / dt) : 0 });
    if (hist.length > KEEP) hist.shift();
    plot($('plot-sessions'), [hist.map(function (h) { return h.sessions; })], ['line-a']);
    plot($('plot-cells'), [hist.map(function (h) { return h.upRate; }), hist.map(function (h) { return h.downRate; })], ['line-a', 'line-b']);
  }
  var es = new EventSource('/events');
  es.addEventListener('snapshot', function (e) { $('status').textContent = 'live'; $('status').className = 'ok'; show(JSON.parse(e.data)); });
  es.onerror = function () { $('status').textContent = 'disconnected'; $('status').className = 'bad'; };
})();
`;
