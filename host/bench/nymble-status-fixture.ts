/**
 * The input of the firmware bench's Extended Nymble measurement (§2.7, the PDA checks its own status
 * before presenting a ticket): a blacklist as an MSS sends it in its ticket request, signed by an NM
 * key made for the run, as full as one cell carries (docs/nymble.md §13), and two nymble*s — one on
 * the list, one not. The host signs (node:crypto); the PDA only verifies.
 */
import { createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { blacklistSignedBytes, encodeBlacklist } from '../../shared/src/nymble/blacklist';
import { NYMBLE_LEN } from '../../shared/src/nymble/ticket';

/** Entries of the measured list: the most that fit in the request cell of a 512-byte cell. */
export const NYMBLE_BENCH_ENTRIES = 11;

export interface NymbleStatusFixture {
  sid: string;
  w: number;
  t: number;
  version: number;
  entries: number;
  listHex: string;
  nmPublicKeyHex: string;
  listedHex: string;
  clearHex: string;
}

export function nymbleStatusFixture(): NymbleStatusFixture {
  const { privateKey } = generateKeyPairSync('ed25519');
  const raw = createPublicKey(privateKey).export({ format: 'jwk' }).x as string;
  const entries: Uint8Array[] = [];
  for (let i = 0; i < NYMBLE_BENCH_ENTRIES; i++) entries.push(new Uint8Array(randomBytes(NYMBLE_LEN)));
  const body = { sid: 'mss-bench', w: 3, t: 7, version: 42, entries };
  const sig = new Uint8Array(sign(null, blacklistSignedBytes(body), privateKey));
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  return {
    sid: body.sid,
    w: body.w,
    t: body.t,
    version: body.version,
    entries: entries.length,
    listHex: hex(encodeBlacklist({ ...body, sig })),
    nmPublicKeyHex: Buffer.from(raw, 'base64url').toString('hex'),
    listedHex: hex(entries[NYMBLE_BENCH_ENTRIES - 1]),
    clearHex: hex(new Uint8Array(randomBytes(NYMBLE_LEN))),
  };
}
