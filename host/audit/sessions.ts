/**
 * Grouping the frames of a capture into sessions WITHOUT using the identifiers under test (grouping by
 * MAC would make MAC reuse invisible by construction). A session is one lease lifetime:
 *
 *  1. Infrastructure = the senders of DHCP server replies (UDP source port 67) and of broker traffic
 *     (TCP source port = an MQTT port). Everything else on the medium is a client (a PDA).
 *  2. Each client DHCP transaction that starts a lease — a DISCOVER, or a REQUEST that continues no
 *     recent (60 s) transaction with the same xid and renews no known lease (ciaddr) — opens a session.
 *     The server's ACK with that xid gives the session its lease address.
 *  3. Each MQTT connection (a TCP stream to an MQTT port) joins the latest session whose lease address
 *     is the connection's client address and whose ACK came before the connection's first frame; a
 *     connection with no such lease is a session of its own (a client with a static address).
 *  4. Other client frames: ARP and IPv4 by sender address and time (that lease's window +-5 s);
 *     whatever carries no address (IPv6 link-local chatter, DAD, MLD, IGMP from 0.0.0.0) by time
 *     within 10 s of a session that sent from the same Ethernet source. Frames that fit no session are
 *     "unattributed" — still checked against the home identity.
 */
import type { Row } from './tshark';

export interface Frame {
  no: number;
  t: number;
  row: Row;
  client: boolean;
}

export interface Session {
  id: number;
  start: number;
  end: number;
  leaseIp: string;
  leaseAt: number;
  xids: string[];
  tcpStreams: string[];
  frames: Frame[];
  /** Ethernet sources of the anchoring frames (DHCP and MQTT), used only for rule 4. */
  anchorMacs: string[];
}

export interface Grouping {
  frames: Frame[];
  infraMacs: string[];
  sessions: Session[];
  unattributed: Frame[];
}

const TXN_WINDOW_S = 60;
const ADDR_SLACK_S = 5;
const MAC_SLACK_S = 10;

function first(s: string): string {
  return s.split(',')[0] || '';
}

function num(s: string): number {
  return Number(first(s));
}

export function groupSessions(rows: Row[], mqttPorts: number[]): Grouping {
  const ports = mqttPorts.map(String);
  const infra = new Set<string>();
  for (const r of rows) {
    if (first(r['udp.srcport']) === '67' || ports.indexOf(first(r['tcp.srcport'])) >= 0) infra.add(r['eth.src'].toLowerCase());
  }
  const frames: Frame[] = rows.map((row) => ({ no: num(row['frame.number']), t: Number(row['frame.time_epoch']), row, client: !infra.has(row['eth.src'].toLowerCase()) }));
  frames.sort((a, b) => a.t - b.t || a.no - b.no);
  const sessions: Session[] = [];
  const owner = new Map<Frame, Session>();
  const newSession = (t: number): Session => {
    const s: Session = { id: sessions.length, start: t, end: t, leaseIp: '', leaseAt: 0, xids: [], tcpStreams: [], frames: [], anchorMacs: [] };
    sessions.push(s);
    return s;
  };
  const attach = (f: Frame, s: Session, anchor: boolean) => {
    owner.set(f, s);
    s.frames.push(f);
    if (anchor) {
      s.start = Math.min(s.start, f.t);
      s.end = Math.max(s.end, f.t);
      const m = f.row['eth.src'].toLowerCase();
      if (f.client && m && s.anchorMacs.indexOf(m) < 0) s.anchorMacs.push(m);
    }
  };
  /** The lease of `ip` in force at `t` (latest ACK at or before t); else one ACKed within `slack` after t. */
  const latestLease = (ip: string, t: number, slack: number): Session | undefined => {
    let best: Session | undefined;
    for (const s of sessions) if (s.leaseIp === ip && s.leaseAt <= t && (!best || s.leaseAt > best.leaseAt)) best = s;
    if (best || slack <= 0) return best;
    for (const s of sessions) if (s.leaseIp === ip && s.leaseAt > t && s.leaseAt <= t + slack && (!best || s.leaseAt < best.leaseAt)) best = s;
    return best;
  };

  // Rule 2: DHCP.
  const openByXid = new Map<string, Session>();
  for (const f of frames) {
    const r = f.row;
    const xid = first(r['dhcp.id']).toLowerCase();
    if (!xid) continue;
    const type = num(r['dhcp.option.dhcp']);
    if (f.client && first(r['udp.dstport']) === '67') {
      const open = openByXid.get(xid);
      const recent = open && f.t - open.end <= TXN_WINDOW_S ? open : undefined;
      const ciaddr = first(r['dhcp.ip.client']);
      let s: Session | undefined;
      if (type === 1) s = undefined; // DISCOVER: always a new lease lifetime
      else if (recent) s = recent;
      else if (ciaddr && ciaddr !== '0.0.0.0') s = latestLease(ciaddr, f.t, 0); // RENEW/REBIND/RELEASE
      if (!s) s = newSession(f.t);
      if (s.xids.indexOf(xid) < 0) s.xids.push(xid);
      openByXid.set(xid, s);
      attach(f, s, true);
    } else if (!f.client && first(r['udp.srcport']) === '67') {
      const s = openByXid.get(xid);
      if (!s) continue;
      attach(f, s, true);
      const yi = first(r['dhcp.ip.your']);
      if (type === 5 && yi && yi !== '0.0.0.0') {
        s.leaseIp = yi;
        s.leaseAt = f.t;
      }
    }
  }

  // Rule 3: MQTT connections.
  const streams = new Map<string, Frame[]>();
  for (const f of frames) {
    const st = first(f.row['tcp.stream']);
    if (!st) continue;
    if (ports.indexOf(first(f.row['tcp.dstport'])) < 0 && ports.indexOf(first(f.row['tcp.srcport'])) < 0) continue;
    if (!streams.has(st)) streams.set(st, []);
    streams.get(st)!.push(f);
  }
  for (const [st, fs] of streams) {
    const c = fs.find((f) => f.client && ports.indexOf(first(f.row['tcp.dstport'])) >= 0);
    const clientIp = c ? first(c.row['ip.src']) : '';
    let s = clientIp ? latestLease(clientIp, fs[0].t, 0) : undefined;
    if (!s) s = newSession(fs[0].t);
    s.tcpStreams.push(st);
    for (const f of fs) attach(f, s, true);
  }

  // Rule 4: everything else from clients.
  const unattributed: Frame[] = [];
  for (const f of frames) {
    if (owner.has(f) || !f.client) continue;
    const r = f.row;
    let s: Session | undefined;
    const addr = [first(r['arp.src.proto_ipv4']), first(r['ip.src'])].find((a) => a && a !== '0.0.0.0') || (r['arp.src.proto_ipv4'] === '0.0.0.0' ? first(r['arp.dst.proto_ipv4']) : '');
    if (addr) {
      const cand = latestLease(addr, f.t, ADDR_SLACK_S);
      if (cand && f.t >= cand.start - ADDR_SLACK_S && f.t <= cand.end + ADDR_SLACK_S) s = cand;
    }
    if (!s) {
      const mac = r['eth.src'].toLowerCase();
      let bestD = Infinity;
      for (const x of sessions) {
        if (x.anchorMacs.indexOf(mac) < 0) continue;
        const d = f.t < x.start ? x.start - f.t : f.t > x.end ? f.t - x.end : 0;
        if (d <= MAC_SLACK_S && d < bestD) {
          bestD = d;
          s = x;
        }
      }
    }
    if (s) attach(f, s, false);
    else unattributed.push(f);
  }
  return { frames, infraMacs: [...infra].sort(), sessions, unattributed };
}
