/** Keys and a signed list for the federation tests: real Ed25519 keys (node:crypto), fixed seeds. */
import { sign } from 'node:crypto';
import type { FederationKey } from '../../host/federation/keys';
import { signFederationList, verifyFederationList, type Federation, type FederationListJson } from '../../host/federation/list';
import type { PeerSelf } from '../../host/federation/peer-auth';
import { ed25519Private, rawPublic } from '../crypto/node-keys';

export function seed(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

/** A signer with the key of `seed(n)` (used for the federation key and for MSS identity keys alike). */
export function signer(n: number): FederationKey {
  const k = ed25519Private(seed(n));
  return { publicKey: rawPublic(k), sign: (m) => new Uint8Array(sign(null, Buffer.from(m), k)) };
}

export function peerSelf(mssId: string, n: number): PeerSelf & { identityKey: Uint8Array } {
  const s = signer(n);
  return { mssId, identityKey: s.publicKey, sign: s.sign };
}

export const FED_SEED = 1;
/** Members doug (seed 11), erin (12), fred (13) at the given URLs. */
export function makeList(urls: { [id: string]: string } = {}, name = 'north', issuedAt = 1_800_000_000): FederationListJson {
  const ids: [string, number][] = [['doug', 11], ['erin', 12], ['fred', 13]];
  return signFederationList({
    name,
    key: signer(FED_SEED),
    issuedAt,
    members: ids.map(([id, n]) => ({ mssId: id, identityKey: signer(n).publicKey, url: urls[id] ?? 'http://127.0.0.1:' + (4000 + n) })),
  });
}

export function makeFederation(urls: { [id: string]: string } = {}): Federation {
  return verifyFederationList(makeList(urls));
}
