/**
 * The lab's federation (paper §6.3, docs/federation.md): two MSSs, `lab-a` and `lab-b`, each on its own
 * air, admitted by a federation key made for the run. The key, the signed list and both MSSs' identity
 * keys live in the run's work directory and go with it. The MSS-to-MSS endpoints listen on a link of their
 * own between the two MSS namespaces (the backbone), which is on neither air and is never captured.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { generateFederationKey, loadFederationKey } from '../federation/keys';
import { signFederationList } from '../federation/list';
import { loadOrCreateMssKeys } from '../mss/keys';

export const LAB_FEDERATION = 'lab';
/** The MSS-to-MSS port on the backbone. */
export const PEER_PORT = 3350;

/** One MSS of the lab: its air (bridge, subnet) and its end of the backbone. */
export interface LabMssSite {
  mssId: string;
  /** Namespace suffix (names.ts). */
  nsName: string;
  bridge: string;
  /** The MSS's veth end on the bridge, in the air namespace. */
  airPort: string;
  subnet: string;
  ip: string;
  backboneIp: string;
}

export const SITES: LabMssSite[] = [
  { mssId: 'lab-a', nsName: 'mss', bridge: 'br0', airPort: 'mss0', subnet: '10.77.0', ip: '10.77.0.1', backboneIp: '10.79.0.1' },
  { mssId: 'lab-b', nsName: 'mssb', bridge: 'br1', airPort: 'mss1', subnet: '10.78.0', ip: '10.78.0.1', backboneIp: '10.79.0.2' },
];
/** The backbone is a /30: two ends, nothing else. */
export const BACKBONE_PREFIX_LEN = 30;

export interface LabFederation {
  listFile: string;
  /** The federation's public key, hex: what each PDA pins. */
  keyHex: string;
}

/** Make the federation key and the signed list naming each site's MSS (data dir `dataDirs[i]`). */
export function makeLabFederation(dir: string, dataDirs: string[]): LabFederation {
  const members = SITES.map((s, i) => {
    mkdirSync(dataDirs[i], { recursive: true, mode: 0o700 });
    return { mssId: s.mssId, identityKey: loadOrCreateMssKeys(dataDirs[i]).identityPublic, url: 'http://' + s.backboneIp + ':' + PEER_PORT };
  });
  const keyFile = join(dir, 'federation.key');
  const pub = generateFederationKey(keyFile);
  const listFile = join(dir, 'federation.json');
  writeFileSync(listFile, JSON.stringify(signFederationList({ name: LAB_FEDERATION, key: loadFederationKey(keyFile), members }), null, 2) + '\n', { mode: 0o600 });
  return { listFile, keyHex: Buffer.from(pub).toString('hex') };
}

/** Capture file of site `i`: FILE for the first air, FILE with `-b` before its extension for the second. */
export function sitePcap(file: string, i: number): string {
  if (i === 0) return file;
  // A dot file (`.pcap`) is all extension: the format dumpcap picks from the name must stay the same.
  const name = basename(file);
  const ext = extname(file) || (name.startsWith('.') ? name : '');
  return file.slice(0, file.length - ext.length) + '-' + String.fromCharCode(97 + i) + ext;
}
