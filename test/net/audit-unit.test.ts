/** The audit's building blocks and the netns board's pure parts, with hand-made inputs (no root needed). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { auditCaptures, auditRows } from '../../host/audit/audit';
import { eui64Iid, expandIpv6, homeMatch, ipv6Iid, isLocalUnicast, normMac } from '../../host/audit/identifiers';
import { FIELDS, parseRows, type Row } from '../../host/audit/tshark';
import { parseBound } from '../../boards/netns/dhcp';
import { hardwareClientId, parseLeakKind, pinConnectClientId } from '../../boards/netns/leaks';
import { randomSourcePort } from '../../boards/netns/board';
import { encodeConnect } from '../../firmware/src/mqtt/packets';
import { isRunPrefix, prefixOf, runNames } from '../../host/lab/names';

describe('identifiers', () => {
  it('normalises MACs and classifies them', () => {
    expect(normMac('24-0A-C4-12-34-56')).toBe('24:0a:c4:12:34:56');
    expect(normMac('240ac4123456')).toBe('24:0a:c4:12:34:56');
    expect(normMac('24:0a:c4:12:34')).toBeNull();
    expect(normMac('zz:0a:c4:12:34:56')).toBeNull();
    expect(isLocalUnicast('26:00:00:00:00:01')).toBe(true);
    expect(isLocalUnicast('24:0a:c4:12:34:56')).toBe(false); // globally administered
    expect(isLocalUnicast('27:00:00:00:00:01')).toBe(false); // multicast
  });

  it('takes IPv6 interface ids and derives EUI-64 ones (RFC 4291 app. A)', () => {
    expect(expandIpv6('fe80::1')).toBe('fe800000000000000000000000000001');
    expect(ipv6Iid('fe80::2411:22ff:fe33:4455')).toBe('241122fffe334455');
    expect(ipv6Iid('::')).toBeNull();
    expect(ipv6Iid('not-an-address')).toBeNull();
    expect(ipv6Iid('::ffff:10.0.0.1')).toBe('0000ffff0a000001');
    expect(eui64Iid('24:0a:c4:12:34:56')).toBe('260ac4fffe123456');
  });

  it('matches values derived from the home identity, and not random ones', () => {
    const home = { burnedIn: ['24:0a:c4:12:34:56'], ids: ['My-Phone'] };
    expect(homeMatch('mac', '24:0a:c4:12:34:56', home)).toMatch(/burned-in/);
    expect(homeMatch('dhcp-client-id', '01240ac4123456', home)).toMatch(/contains burned-in/);
    expect(homeMatch('ipv6-iid', '260ac4fffe123456', home)).toMatch(/EUI-64/);
    expect(homeMatch('dhcp-hostname', 'esp32-123456', home)).toMatch(/NIC-specific/);
    expect(homeMatch('dhcp-hostname', 'my-phone', home)).toMatch(/home identifier/);
    expect(homeMatch('mqtt-client-id', 'c9f8e7d6c5b4a3f2e1d', home)).toBeNull();
    expect(homeMatch('mac', '26:0a:c4:12:34:57', home)).toBeNull();
  });
});

/** A synthetic tshark row. */
function row(f: Partial<Record<(typeof FIELDS)[number], string>>): Row {
  const r = {} as Row;
  for (const k of FIELDS) r[k] = f[k] ?? '';
  return r;
}

const SRV = '02:00:00:00:00:01';
function dhcpLease(t: number, mac: string, xid: string, ip: string, extra: Partial<Record<(typeof FIELDS)[number], string>> = {}): Row[] {
  const base = { 'udp.srcport': '68', 'udp.dstport': '67', 'dhcp.id': xid, 'dhcp.hw.mac_addr': mac, 'eth.src': mac, ...extra };
  return [
    row({ 'frame.number': String(t * 10), 'frame.time_epoch': String(t), ...base, 'dhcp.option.dhcp': '1' }),
    row({ 'frame.number': String(t * 10 + 1), 'frame.time_epoch': String(t + 0.1), 'eth.src': SRV, 'udp.srcport': '67', 'udp.dstport': '68', 'dhcp.id': xid, 'dhcp.option.dhcp': '5', 'dhcp.ip.your': ip }),
  ];
}
function mqttConnect(t: number, mac: string, ip: string, stream: string, clientId: string): Row[] {
  return [
    row({ 'frame.number': String(t * 10 + 2), 'frame.time_epoch': String(t + 0.2), 'eth.src': mac, 'ip.src': ip, 'tcp.srcport': '50000', 'tcp.dstport': '1883', 'tcp.stream': stream, 'tcp.flags.syn': '1' }),
    row({ 'frame.number': String(t * 10 + 3), 'frame.time_epoch': String(t + 0.3), 'eth.src': SRV, 'ip.src': '10.0.0.1', 'tcp.srcport': '1883', 'tcp.dstport': '50000', 'tcp.stream': stream }),
    row({ 'frame.number': String(t * 10 + 4), 'frame.time_epoch': String(t + 0.4), 'eth.src': mac, 'ip.src': ip, 'tcp.srcport': '50000', 'tcp.dstport': '1883', 'tcp.stream': stream, 'mqtt.msgtype': '1', 'mqtt.clientid': clientId }),
  ];
}

describe('auditRows on synthetic captures', () => {
  it('two clean sessions: no leak; the same port twice is only a coincidence', () => {
    const rows = [...dhcpLease(1, '26:00:00:00:00:01', '0x1', '10.0.0.5'), ...mqttConnect(1, '26:00:00:00:00:01', '10.0.0.5', '0', 'a1'),
      ...dhcpLease(5, '2a:00:00:00:00:02', '0x2', '10.0.0.6'), ...mqttConnect(5, '2a:00:00:00:00:02', '10.0.0.6', '1', 'b2')];
    const r = auditRows('x', rows, { burnedIn: ['24:0a:c4:12:34:56'] });
    expect(r.leaks).toEqual([]);
    expect(r.sessionCount).toBe(2);
    expect(r.coincidences).toEqual([{ kind: 'tcp-src-port', value: '50000', sessions: [0, 1] }]);
    expect(r.infrastructureMacs).toEqual([SRV]);
  });

  it('a MAC kept across two leases links them (sessions are not grouped by MAC)', () => {
    const m = '26:00:00:00:00:01';
    const rows = [...dhcpLease(1, m, '0x1', '10.0.0.5'), ...mqttConnect(1, m, '10.0.0.5', '0', 'a1'), ...dhcpLease(5, m, '0x2', '10.0.0.6'), ...mqttConnect(5, m, '10.0.0.6', '1', 'b2')];
    const r = auditRows('x', rows, { burnedIn: [] });
    expect(r.sessionCount).toBe(2);
    expect(r.leaks.map((l) => [l.reason, l.kind, l.value, l.sessions])).toEqual([['reused', 'mac', m, [0, 1]]]);
  });

  it('reports a burned-in MAC even in a frame that belongs to no session, and a global MAC', () => {
    const rows = [row({ 'frame.number': '1', 'frame.time_epoch': '1', 'eth.src': '24:0a:c4:12:34:56', 'ipv6.src': '::' })];
    const r = auditRows('x', rows, { burnedIn: ['24:0a:c4:12:34:56'] });
    expect(r.unattributed.frames).toBe(1);
    expect(r.leaks.map((l) => l.reason)).toEqual(['home']);
    const r2 = auditRows('x', [row({ 'frame.number': '1', 'frame.time_epoch': '1', 'eth.src': '00:11:22:33:44:55' })], { burnedIn: [] });
    expect(r2.leaks.map((l) => l.reason)).toEqual(['global-mac']);
  });

  it('a DHCP client asking for its old address in a DISCOVER is a leak', () => {
    const rows = [
      ...dhcpLease(1, '26:00:00:00:00:01', '0x1', '10.0.0.5', { 'dhcp.option.requested_ip_address': '10.0.0.9' }),
      ...dhcpLease(5, '2a:00:00:00:00:02', '0x2', '10.0.0.6', { 'dhcp.option.requested_ip_address': '10.0.0.9' }),
    ];
    const r = auditRows('x', rows, { burnedIn: [] });
    expect(r.leaks.map((l) => [l.kind, l.value])).toEqual([['dhcp-requested-ip', '10.0.0.9']]);
  });

  it('rejects a malformed --burned-in value', () => {
    expect(() => auditRows('x', [], { burnedIn: ['nope'] })).toThrow(/bad --burned-in/);
  });

  it('parses tshark field output (tabs, missing trailing columns)', () => {
    const rows = parseRows('1\t1.5\t26:00:00:00:00:01\n\n2\t2.5');
    expect(rows).toHaveLength(2);
    expect(rows[0]['eth.src']).toBe('26:00:00:00:00:01');
    expect(rows[1]['eth.src']).toBe('');
  });
});

describe('netns board pieces', () => {
  it('parses the udhcpc event line, and refuses garbage', () => {
    expect(parseBound('HOOD_DHCP deconfig ip= mask= router= serverid= lease=\nHOOD_DHCP bound ip=10.77.0.135 mask=24 router=10.77.0.1 serverid=10.77.0.1 lease=120\n')).toEqual({
      ip: '10.77.0.135', prefixLen: 24, router: '10.77.0.1', server: '10.77.0.1', leaseSec: 120,
    });
    expect(parseBound('HOOD_DHCP bound ip=10.77.0.135; rm -rf / mask=24 router= serverid= lease=1')).toBeNull();
    expect(parseBound('HOOD_DHCP bound ip=10.77.0.135 mask=99 router= serverid= lease=1')).toBeNull();
    expect(parseBound('')).toBeNull();
  });

  it('draws source ports from the dynamic range', () => {
    let i = 0;
    const seq = [new Uint8Array([0xff, 0xff]), new Uint8Array([0, 0])];
    expect(randomSourcePort(() => seq[i++])).toBe(49152 + 0x3fff);
    expect(randomSourcePort(() => new Uint8Array([0x12, 0x34]))).toBe(49152 + 0x1234);
  });

  it('the mqtt-client-id leak pins the id in a CONNECT and leaves other packets alone', () => {
    const burned = new Uint8Array([0x24, 0x0a, 0xc4, 1, 2, 3]);
    const a = pinConnectClientId(encodeConnect({ clientId: 'c0123456789abcdef01', keepaliveSec: 30 }), burned);
    const b = pinConnectClientId(encodeConnect({ clientId: 'cfedcba9876543210ff', keepaliveSec: 30 }), burned);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(Buffer.from(a).toString('latin1')).toContain('L240ac4010203');
    const pub = new Uint8Array([0x30, 2, 0, 0]);
    expect(pinConnectClientId(pub, burned)).toBe(pub);
    expect(pinConnectClientId(new Uint8Array([0x10, 5, 0]), burned)).toEqual(new Uint8Array([0x10, 5, 0]));
    expect(Array.from(hardwareClientId(burned))).toEqual([1, 0x24, 0x0a, 0xc4, 1, 2, 3]);
    expect(() => parseLeakKind('everything')).toThrow(/unknown leak kind/);
  });

  it('run names: prefixes carry the pid, names map back to their run only', () => {
    const n = runNames('hoodlab-123-abcdef');
    expect(n.pda(2)).toBe('hoodlab-123-abcdef-pda2');
    expect(prefixOf(n.air)).toBe('hoodlab-123-abcdef');
    expect(prefixOf('hoodlab-123-abcdef')).toBeNull();
    expect(prefixOf('other-ns')).toBeNull();
    expect(isRunPrefix('hoodlab-123-abcdeg')).toBe(false);
    expect(() => runNames('x; rm -rf /')).toThrow();
  });
});

describe('auditCaptures: the air at several MSSs', () => {
  const mac = (i: number) => '26:00:00:00:' + (i >> 8).toString(16).padStart(2, '0') + ':' + (i & 255).toString(16).padStart(2, '0');

  it('sessions at two MSSs with fresh identifiers do not link; each session names its capture', () => {
    const a = [...dhcpLease(1, mac(1), '0x1', '10.0.0.5'), ...mqttConnect(1, mac(1), '10.0.0.5', '0', 'a1')];
    const b = [...dhcpLease(9, mac(2), '0x2', '10.0.0.5'), ...mqttConnect(9, mac(2), '10.0.0.5', '0', 'b2')];
    const r = auditCaptures([{ file: 'mss-a.pcap', rows: a }, { file: 'mss-b.pcap', rows: b }], { burnedIn: ['24:0a:c4:12:34:56'] });
    expect(r.ok).toBe(true);
    expect(r.files).toEqual(['mss-a.pcap', 'mss-b.pcap']);
    expect(r.sessions.map((x) => [x.id, x.capture])).toEqual([[0, 'mss-a.pcap'], [1, 'mss-b.pcap']]);
    // The same lease address and the same TCP stream number at both MSSs are not identifiers of the PDA.
    expect(r.leaks).toEqual([]);
  });

  it('a TmpMAC or MQTT client id kept across the hand-off links the two MSSs', () => {
    const a = [...dhcpLease(1, mac(1), '0x1', '10.0.0.5'), ...mqttConnect(1, mac(1), '10.0.0.5', '0', 'same-id')];
    const b = [...dhcpLease(9, mac(1), '0x2', '10.0.1.5'), ...mqttConnect(9, mac(1), '10.0.1.5', '0', 'same-id')];
    const r = auditCaptures([{ file: 'a', rows: a }, { file: 'b', rows: b }], { burnedIn: [] });
    expect(r.ok).toBe(false);
    const byKind = Object.fromEntries(r.leaks.map((l) => [l.kind, l]));
    expect(Object.keys(byKind).sort()).toEqual(['mac', 'mqtt-client-id']);
    for (const l of r.leaks) {
      expect(l.reason).toBe('reused');
      expect(l.sessions).toEqual([0, 1]);
      expect(l.detail).toMatch(/across 2 captures \(a, b\): links sessions at different MSSs/);
    }
  });

  it("a session's TmpMAC in a frame outside any session of the OTHER air links the two; in its own air it does not", () => {
    const a = [...dhcpLease(1, mac(1), '0x1', '10.0.0.5'), ...mqttConnect(1, mac(1), '10.0.0.5', '0', 'a1')];
    const b = [...dhcpLease(9, mac(2), '0x2', '10.0.1.5'), ...mqttConnect(9, mac(2), '10.0.1.5', '0', 'b2')];
    // A straggler of the first session (an IPv6 report as its addresses go), no DHCP or MQTT of its own.
    const straggler = row({ 'frame.number': '85', 'frame.time_epoch': '8.5', 'eth.src': mac(1), 'eth.dst': '33:33:00:00:00:16' });
    const own = auditCaptures([{ file: 'a', rows: [...a, straggler] }, { file: 'b', rows: b }], { burnedIn: [] });
    expect(own.leaks).toEqual([]);
    const other = auditCaptures([{ file: 'a', rows: a }, { file: 'b', rows: [straggler, ...b] }], { burnedIn: [] });
    expect(other.ok).toBe(false);
    expect(other.leaks).toHaveLength(1);
    expect(other.leaks[0]).toMatchObject({ reason: 'reused', kind: 'mac', value: mac(1), sessions: [0, 'unattributed'] });
    expect(other.leaks[0].detail).toMatch(/outside any session in b .*links the airs of two MSSs/);
  });

  it('random captures: no leak while every session is fresh; one identifier carried between two sessions is found, wherever they are', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 2, maxLength: 4 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('mac', 'mqtt-client-id'),
        (perCapture, pickA, pickB, kind) => {
          let n = 0;
          const plan: { capture: number; n: number; mac: string; id: string; t: number }[] = [];
          perCapture.forEach((count, capture) => {
            for (let k = 0; k < count; k++) {
              n++;
              plan.push({ capture, n, mac: mac(n), id: 'id' + n, t: 10 * k + 1 });
            }
          });
          const build = () =>
            perCapture.map((_, capture) => ({
              file: 'mss' + capture,
              rows: plan.filter((p) => p.capture === capture).flatMap((p, k) => [...dhcpLease(p.t, p.mac, '0x' + p.n.toString(16), '10.0.0.' + (5 + k)), ...mqttConnect(p.t, p.mac, '10.0.0.' + (5 + k), String(k), p.id)]),
            }));
          const clean = auditCaptures(build(), { burnedIn: [] });
          expect(clean.sessionCount).toBe(plan.length);
          expect(clean.leaks).toEqual([]);
          // Carry one identifier of session i into session j (i != j).
          const i = pickA % plan.length;
          const j = (i + 1 + (pickB % (plan.length - 1))) % plan.length;
          if (kind === 'mac') plan[j].mac = plan[i].mac;
          else plan[j].id = plan[i].id;
          const r = auditCaptures(build(), { burnedIn: [] });
          expect(r.leaks).toHaveLength(1);
          expect(r.leaks[0]).toMatchObject({ reason: 'reused', kind, value: kind === 'mac' ? plan[i].mac : plan[i].id });
          const ids = r.sessions.filter((x) => (kind === 'mac' ? x.identifiers.mac : x.identifiers['mqtt-client-id'])?.includes(r.leaks[0].value)).map((x) => x.id);
          expect(r.leaks[0].sessions).toEqual(ids);
          expect(ids).toHaveLength(2);
          expect(/across 2 captures/.test(r.leaks[0].detail)).toBe(plan[i].capture !== plan[j].capture);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses an empty list of captures', () => {
    expect(() => auditCaptures([], { burnedIn: [] })).toThrow(/no capture/);
  });
});
