/**
 * The leak audit: read a capture, group its frames into sessions (sessions.ts), collect every
 * identifier each session's client frames carry (identifiers.ts), and report
 *   - `reused`:        a strong identifier seen in more than one session (the sessions are linkable),
 *   - `home`:          an identifier equal to, or derived from, a home identifier (burned-in MAC,
 *                      --home-id values) outside a home session,
 *   - `global-mac`:    a client source MAC that is not unicast + locally administered (a TmpMAC never is).
 * With `allowHome`, sessions carrying a home identifier are home-mode sessions (paper §2.4): their
 * home identifiers are expected, but nothing may link them to an anonymous session, and anonymous
 * sessions may not link to each other.
 */
import { STRONG_KINDS, expandIpv6, homeMatch, ipv6Iid, isLocalUnicast, isStrong, normMac, type HomeIdentity, type IdKind } from './identifiers';
import { groupSessions, type Frame, type Session } from './sessions';
import { readCapture, type Row } from './tshark';

export interface AuditOptions {
  burnedIn: string[];
  homeIds?: string[];
  mqttPorts?: number[];
  allowHome?: boolean;
}

export interface Sighting {
  kind: IdKind;
  value: string;
  frame: number;
}

export interface SessionReport {
  id: number;
  /** The capture (the air at one MSS) the session was seen in. */
  capture: string;
  mode: 'anonymous' | 'home';
  start: number;
  end: number;
  frames: number;
  leaseIp: string;
  dhcpXids: string[];
  mqttConnections: number;
  identifiers: { [kind: string]: string[] };
}

export interface Leak {
  reason: 'reused' | 'home' | 'global-mac';
  kind: IdKind;
  value: string;
  sessions: (number | 'unattributed')[];
  frames: number[];
  detail: string;
}

export interface AuditReport {
  /** The capture files, comma-separated (`files` lists them). */
  file: string;
  files: string[];
  ok: boolean;
  packets: number;
  clientPackets: number;
  infrastructureMacs: string[];
  sessionCount: number;
  homeSessions: number;
  /** Distinct (kind, value) pairs checked, and how many times identifiers were seen. */
  identifiersChecked: number;
  sightings: number;
  byKind: { [kind: string]: number };
  leaks: Leak[];
  /** Weak identifiers seen in several sessions: reported, not leaks (a 16-bit port repeats by chance). */
  coincidences: { kind: IdKind; value: string; sessions: number[] }[];
  unattributed: { frames: number; identifiers: number };
  sessions: SessionReport[];
  definition: string;
}

function all(s: string): string[] {
  return s ? s.split(',').filter((x) => x !== '') : [];
}

function hexOfOption(r: Row, code: number): string[] {
  const types = all(r['dhcp.option.type']);
  const vals = all(r['dhcp.option.value']);
  const out: string[] = [];
  for (let i = 0; i < types.length && i < vals.length; i++) if (Number(types[i]) === code) out.push(vals[i].toLowerCase().replace(/:/g, ''));
  return out;
}

/** Every identifier a client frame carries. */
export function frameIdentifiers(f: Frame, mqttPorts: number[]): Sighting[] {
  const r = f.row;
  const out: Sighting[] = [];
  const add = (kind: IdKind, v: string | null | undefined) => {
    if (v) out.push({ kind, value: v, frame: f.no });
  };
  add('mac', normMac(r['eth.src']));
  for (const m of all(r['arp.src.hw_mac'])) add('mac', normMac(m));
  for (const m of all(r['icmpv6.opt.linkaddr'])) add('mac', normMac(m));
  for (const s of all(r['ipv6.src'])) add('ipv6-iid', ipv6Iid(s));
  // DAD (RFC 4862 §5.4): the tentative address is the NS target, sent from ::.
  if (all(r['ipv6.src']).some((s) => expandIpv6(s) === '0'.repeat(32))) for (const s of all(r['icmpv6.nd.ns.target_address'])) add('ipv6-iid', ipv6Iid(s));
  if (r['dhcp.id'] && all(r['udp.dstport'])[0] === '67') {
    add('dhcp-xid', all(r['dhcp.id'])[0].toLowerCase());
    add('mac', normMac(r['dhcp.hw.mac_addr']));
    for (const v of hexOfOption(r, 61)) add('dhcp-client-id', v);
    for (const h of all(r['dhcp.option.hostname'])) add('dhcp-hostname', h.toLowerCase());
    for (const h of all(r['dhcp.fqdn.name'])) add('dhcp-fqdn', h.toLowerCase());
    const type = Number(all(r['dhcp.option.dhcp'])[0]);
    // Option 50 is the client's own choice in a DISCOVER and in an INIT-REBOOT REQUEST (no server id).
    if (type === 1 || (type === 3 && !r['dhcp.option.dhcp_server_id'])) for (const ip of all(r['dhcp.option.requested_ip_address'])) add('dhcp-requested-ip', ip);
  }
  const dport = all(r['tcp.dstport'])[0];
  if (dport && mqttPorts.indexOf(Number(dport)) >= 0) {
    // MQTT CONNECT (type 1) carries the client id and user name.
    if (r['mqtt.clientid']) add('mqtt-client-id', r['mqtt.clientid']);
    if (r['mqtt.username']) add('mqtt-username', r['mqtt.username']);
    if (all(r['tcp.flags.syn'])[0] === '1' || all(r['tcp.flags.syn'])[0] === 'True') add('tcp-src-port', all(r['tcp.srcport'])[0]);
  }
  return out;
}

export const SESSION_DEFINITION =
  'A session is one DHCP lease lifetime: a client DHCP transaction that starts a lease (DISCOVER, or a REQUEST continuing no ' +
  'recent transaction), the MQTT connections from the leased address after its ACK, and the client frames sent from that ' +
  'address (or, lacking an address, from a source MAC of those frames) within seconds of it. A connection from an address ' +
  'no lease explains is a session of its own. See docs/testbed.md.';

export function auditRows(file: string, rows: Row[], o: AuditOptions): AuditReport {
  return auditCaptures([{ file, rows }], o);
}

/** One capture's frames, as read by tshark. */
export interface Capture {
  file: string;
  rows: Row[];
}

/**
 * Several captures at once: the air at several MSSs (hand-off, paper §6.3). Each capture is grouped
 * into sessions on its own (its own DHCP server and broker); then every identifier is indexed over
 * the sessions of all captures, so one seen at two MSSs is a `reused` leak that links a session at
 * one MSS to a session at the other. Timing is not an identifier: an observer of both airs can
 * still correlate a session ending at one MSS with one starting at the other (docs/testbed.md).
 */
export function auditCaptures(captures: Capture[], o: AuditOptions): AuditReport {
  if (captures.length === 0) throw new Error('no capture to audit');
  const mqttPorts = o.mqttPorts && o.mqttPorts.length ? o.mqttPorts : [1883];
  const home: HomeIdentity = { burnedIn: o.burnedIn.map((m) => normMac(m)).filter((m): m is string => !!m), ids: o.homeIds || [] };
  if (home.burnedIn.length !== o.burnedIn.length) throw new Error('bad --burned-in MAC (expected aa:bb:cc:dd:ee:ff)');
  const groups = captures.map((c) => groupSessions(c.rows, mqttPorts));
  // Session ids are renumbered across captures (0..n-1 in capture order) so that a leak names each
  // session once; captureOf says where each was seen.
  const captureOf = new Map<Session, number>();
  let nextId = 0;
  for (let ci = 0; ci < groups.length; ci++) {
    for (const s of groups[ci].sessions) {
      s.id = nextId++;
      captureOf.set(s, ci);
    }
  }
  const g = {
    sessions: groups.flatMap((x) => x.sessions),
    unattributed: groups.flatMap((x) => x.unattributed),
    frames: groups.flatMap((x) => x.frames),
    infraMacs: [...new Set(groups.flatMap((x) => x.infraMacs))],
  };

  const perSession = new Map<Session, Sighting[]>();
  for (const s of g.sessions) perSession.set(s, s.frames.filter((f) => f.client).flatMap((f) => frameIdentifiers(f, mqttPorts)));
  // Each unattributed sighting keeps the capture it was seen in: one in one air that names a session of
  // another air (a PDA's last frames under its old TmpMAC reaching the next MSS's air) links the two.
  const unattributed = groups.flatMap((x, ci) => x.unattributed.flatMap((f) => frameIdentifiers(f, mqttPorts).map((y) => ({ ...y, capture: ci }))));

  const isHomeSession = new Map<Session, boolean>();
  for (const s of g.sessions) isHomeSession.set(s, !!o.allowHome && perSession.get(s)!.some((x) => homeMatch(x.kind, x.value, home) !== null));

  const leaks: Leak[] = [];
  const key = (k: string, v: string) => k + '\u0000' + v;
  const index = new Map<string, { kind: IdKind; value: string; sessions: Session[]; frames: number[] }>();
  let sightings = 0;
  const byKind: { [k: string]: number } = {};
  for (const s of g.sessions) {
    for (const x of perSession.get(s)!) {
      sightings++;
      const k = key(x.kind, x.value);
      let e = index.get(k);
      if (!e) {
        e = { kind: x.kind, value: x.value, sessions: [], frames: [] };
        index.set(k, e);
        byKind[x.kind] = (byKind[x.kind] || 0) + 1;
      }
      if (e.sessions.indexOf(s) < 0) e.sessions.push(s);
      if (e.frames.length < 5) e.frames.push(x.frame);
    }
  }
  const coincidences: AuditReport['coincidences'] = [];
  for (const e of index.values()) {
    const anon = e.sessions.filter((s) => !isHomeSession.get(s));
    // Shared only among home sessions: that is home mode being itself.
    if (e.sessions.length > 1 && anon.length > 0) {
      if (isStrong(e.kind)) {
        const where = [...new Set(e.sessions.map((s) => captureOf.get(s)!))];
        const across = where.length > 1 ? ' across ' + where.length + ' captures (' + where.map((ci) => captures[ci].file).join(', ') + '): links sessions at different MSSs' : '';
        leaks.push({ reason: 'reused', kind: e.kind, value: e.value, sessions: e.sessions.map((s) => s.id), frames: e.frames, detail: 'seen in ' + e.sessions.length + ' sessions' + across });
      } else coincidences.push({ kind: e.kind, value: e.value, sessions: e.sessions.map((s) => s.id) });
    }
    const why = homeMatch(e.kind, e.value, home);
    if (why && anon.length > 0) leaks.push({ reason: 'home', kind: e.kind, value: e.value, sessions: anon.map((s) => s.id), frames: e.frames, detail: why });
    if (e.kind === 'mac' && !isLocalUnicast(e.value) && anon.length > 0) {
      leaks.push({ reason: 'global-mac', kind: 'mac', value: e.value, sessions: anon.map((s) => s.id), frames: e.frames, detail: 'client MAC is not unicast + locally administered' });
    }
  }
  const seenU = new Set<string>();
  for (const x of unattributed) {
    sightings++;
    const k = key(x.kind, x.value);
    if (seenU.has(k)) continue;
    seenU.add(k);
    if (!index.has(k)) byKind[x.kind] = (byKind[x.kind] || 0) + 1;
    const why = homeMatch(x.kind, x.value, home);
    // A home identifier outside any session is a leak unless home sessions are allowed and it is theirs.
    const homeOk = o.allowHome && [...index.values()].some((e) => e.kind === x.kind && e.value === x.value && e.sessions.some((s) => isHomeSession.get(s)));
    if (why && !homeOk) leaks.push({ reason: 'home', kind: x.kind, value: x.value, sessions: ['unattributed'], frames: [x.frame], detail: why });
    else if (x.kind === 'mac' && !isLocalUnicast(x.value) && !homeOk) {
      leaks.push({ reason: 'global-mac', kind: 'mac', value: x.value, sessions: ['unattributed'], frames: [x.frame], detail: 'client MAC is not unicast + locally administered' });
    }
  }
  const crossed = new Set<string>();
  for (const x of unattributed) {
    if (!isStrong(x.kind)) continue;
    const e = index.get(key(x.kind, x.value));
    const elsewhere = e ? e.sessions.filter((s) => captureOf.get(s) !== x.capture && !isHomeSession.get(s)) : [];
    const k = key(x.kind, x.value) + '\u0000' + x.capture;
    if (elsewhere.length === 0 || crossed.has(k)) continue;
    crossed.add(k);
    leaks.push({
      reason: 'reused',
      kind: x.kind,
      value: x.value,
      sessions: [...elsewhere.map((s) => s.id), 'unattributed'],
      frames: [x.frame, ...e!.frames].slice(0, 5),
      detail: 'seen outside any session in ' + captures[x.capture].file + ' and in a session of another capture: links the airs of two MSSs',
    });
  }
  const distinct = new Set([...index.keys(), ...seenU]);

  const sessions: SessionReport[] = g.sessions.map((s) => {
    const ids: { [k: string]: string[] } = {};
    for (const x of perSession.get(s)!) {
      if (!ids[x.kind]) ids[x.kind] = [];
      if (ids[x.kind].indexOf(x.value) < 0) ids[x.kind].push(x.value);
    }
    return {
      id: s.id,
      capture: captures[captureOf.get(s)!].file,
      mode: isHomeSession.get(s) ? 'home' : 'anonymous',
      start: s.start,
      end: s.end,
      frames: s.frames.length,
      leaseIp: s.leaseIp,
      dhcpXids: s.xids,
      mqttConnections: s.tcpStreams.length,
      identifiers: ids,
    };
  });
  return {
    file: captures.map((c) => c.file).join(', '),
    files: captures.map((c) => c.file),
    ok: leaks.length === 0,
    packets: g.frames.length,
    clientPackets: g.frames.filter((f) => f.client).length,
    infrastructureMacs: g.infraMacs,
    sessionCount: g.sessions.length,
    homeSessions: sessions.filter((s) => s.mode === 'home').length,
    identifiersChecked: distinct.size,
    sightings,
    byKind,
    leaks,
    coincidences,
    unattributed: { frames: g.unattributed.length, identifiers: seenU.size },
    sessions,
    definition: SESSION_DEFINITION,
  };
}

export async function auditPcap(file: string | string[], o: AuditOptions): Promise<AuditReport> {
  const files = typeof file === 'string' ? [file] : file;
  const captures: Capture[] = [];
  for (const f of files) captures.push({ file: f, rows: await readCapture(f, { mqttPorts: o.mqttPorts }) });
  return auditCaptures(captures, o);
}

export { STRONG_KINDS };
