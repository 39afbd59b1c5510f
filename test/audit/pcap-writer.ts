/**
 * A tiny libpcap writer for synthetic captures: Ethernet / IPv4 / TCP frames carrying one MQTT 3.1.1 PUBLISH
 * each (QoS 0), so tests can feed the timing attack a capture that tshark itself dissects.
 */
import { writeFileSync } from 'node:fs';
import { parseMac } from '../../shared/src/tmpmac';

export interface SyntheticPublish {
  /** Seconds since 1970. */
  t: number;
  srcMac: string;
  srcIp: string;
  topic: string;
  payloadLen: number;
}

const MSS_MAC = '02:00:00:00:00:01';
const MSS_IP = '10.77.0.1';

function ip4(s: string): number[] {
  return s.split('.').map(Number);
}

function mqttPublish(topic: string, payloadLen: number): Buffer {
  const t = Buffer.from(topic, 'utf8');
  const rem = 2 + t.length + payloadLen;
  const len: number[] = [];
  let x = rem;
  do {
    let b = x % 128;
    x = Math.floor(x / 128);
    if (x > 0) b |= 128;
    len.push(b);
  } while (x > 0);
  return Buffer.concat([Buffer.from([0x30, ...len, t.length >> 8, t.length & 255]), t, Buffer.alloc(payloadLen, 0xa5)]);
}

export function writePcap(file: string, pkts: SyntheticPublish[]): void {
  const parts: Buffer[] = [];
  const g = Buffer.alloc(24);
  g.writeUInt32LE(0xa1b2c3d4, 0);
  g.writeUInt16LE(2, 4);
  g.writeUInt16LE(4, 6);
  g.writeUInt32LE(262144, 16);
  g.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  parts.push(g);
  const seqs: { [k: string]: number } = {};
  const ports: { [k: string]: number } = {};
  let nextPort = 40000;
  for (const p of pkts.slice().sort((a, b) => a.t - b.t)) {
    const key = p.srcMac + '/' + p.srcIp;
    ports[key] ??= nextPort++;
    seqs[key] ??= 1000;
    const mqtt = mqttPublish(p.topic, p.payloadLen);
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(ports[key], 0);
    tcp.writeUInt16BE(1883, 2);
    tcp.writeUInt32BE(seqs[key], 4);
    tcp.writeUInt32BE(1, 8);
    tcp[12] = 5 << 4;
    tcp[13] = 0x18;
    tcp.writeUInt16BE(65535, 14);
    seqs[key] += mqtt.length;
    const ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip.writeUInt16BE(20 + 20 + mqtt.length, 2);
    ip[8] = 64;
    ip[9] = 6;
    Buffer.from(ip4(p.srcIp)).copy(ip, 12);
    Buffer.from(ip4(MSS_IP)).copy(ip, 16);
    const eth = Buffer.concat([Buffer.from(parseMac(MSS_MAC)), Buffer.from(parseMac(p.srcMac)), Buffer.from([0x08, 0x00])]);
    const frame = Buffer.concat([eth, ip, tcp, mqtt]);
    const h = Buffer.alloc(16);
    const sec = Math.floor(p.t);
    h.writeUInt32LE(sec, 0);
    h.writeUInt32LE(Math.round((p.t - sec) * 1e6), 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    parts.push(h, frame);
  }
  writeFileSync(file, Buffer.concat(parts));
}
