/**
 * Packet fields of a capture, extracted with tshark (`-T fields`): one row per frame, only the fields
 * the leak audit needs. tshark is Wireshark's own dissector, so what the audit sees is what anyone
 * sniffing the medium sees — not what our code believes it sent.
 */
import { execFile } from 'node:child_process';

/** Field list, in output order. */
export const FIELDS = [
  'frame.number', 'frame.time_epoch', 'eth.src', 'eth.dst',
  'arp.src.hw_mac', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4',
  'ip.src', 'ip.dst', 'ipv6.src',
  'udp.srcport', 'udp.dstport', 'tcp.srcport', 'tcp.dstport', 'tcp.stream', 'tcp.flags.syn',
  'dhcp.id', 'dhcp.option.dhcp', 'dhcp.hw.mac_addr', 'dhcp.ip.your', 'dhcp.ip.client',
  'dhcp.option.type', 'dhcp.option.value', 'dhcp.option.hostname', 'dhcp.option.requested_ip_address',
  'dhcp.option.dhcp_server_id', 'dhcp.fqdn.name',
  'mqtt.msgtype', 'mqtt.clientid', 'mqtt.username',
  'icmpv6.opt.linkaddr', 'icmpv6.nd.ns.target_address',
  // Last, so the columns above keep their places: the timing attack (timing.ts) needs the PUBLISH topics.
  'mqtt.topic',
] as const;

export type Field = (typeof FIELDS)[number];
export type Row = { [K in Field]: string };

/** Separator between repeated occurrences of one field in a frame. */
export const AGG = ',';

export interface TsharkOptions {
  /** TCP ports to decode as MQTT besides tshark's default 1883. */
  mqttPorts?: number[];
  timeoutMs?: number;
}

export function parseRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const cols = line.split('\t');
    const r = {} as Row;
    for (let i = 0; i < FIELDS.length; i++) r[FIELDS[i]] = cols[i] ?? '';
    rows.push(r);
  }
  return rows;
}

export function readCapture(file: string, o: TsharkOptions = {}): Promise<Row[]> {
  const args = ['-r', file, '-n', '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=' + AGG, '-E', 'quote=n'];
  for (const p of o.mqttPorts || []) if (p !== 1883) args.push('-d', 'tcp.port==' + p + ',mqtt');
  for (const f of FIELDS) args.push('-e', f);
  return new Promise((resolve, reject) => {
    execFile('tshark', args, { timeout: o.timeoutMs ?? 120_000, maxBuffer: 512 << 20, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error('tshark is not installed (Debian: apt-get install tshark)'));
        const msg = String(stderr).split('\n').filter((l) => l && !/Running as user "root"/.test(l)).join(' ').trim();
        return reject(new Error('tshark cannot read ' + file + ': ' + (msg || err.message)));
      }
      resolve(parseRows(String(stdout)));
    });
  });
}
