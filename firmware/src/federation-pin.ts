/**
 * Federation pins on the PDA (docs/protocol.md §2.3, docs/federation.md): the owner pins a federation's
 * key by name, and a beacon of an MSS the PDA has no pin for is accepted when it carries a membership
 * certificate (beacon extension 4) of a pinned federation for exactly that MSS id and identity key — so a
 * session can be handed off to another member MSS (paper §6.3) without pinning every member one by one.
 */
import { equalBytes, fromHex } from '../../shared/src/bytes';
import type { BeaconBody } from '../../shared/src/protocol/beacon';
import { beaconExtension } from '../../shared/src/protocol/beacon';
import { EXT_FEDERATION } from '../../shared/src/protocol/constants';
import { decodeMemberCert, verifyMemberCert, type MemberCert } from '../../shared/src/protocol/federation';
import type { PdaConfig } from './config';

/**
 * The name of the pinned federation this beacon's MSS is a certified member of, or '' (no extension 4,
 * undecodable, federation not pinned, pinned under another key, or a certificate that does not verify for
 * (beacon.mssId, beacon.identityKey)). The beacon's own signature is checked by the caller.
 */
export function federationOf(cfg: PdaConfig, beacon: BeaconBody): string {
  const pins = cfg.fedPins;
  if (!pins) return '';
  const value = beaconExtension(beacon, EXT_FEDERATION);
  if (!value) return '';
  let cert: MemberCert;
  try {
    cert = decodeMemberCert(value);
  } catch (e) {
    return '';
  }
  if (!Object.prototype.hasOwnProperty.call(pins, cert.name)) return '';
  let pinned: Uint8Array;
  try {
    pinned = fromHex(pins[cert.name]);
  } catch (e) {
    return '';
  }
  if (!equalBytes(pinned, cert.federationKey)) return '';
  return verifyMemberCert(cert, beacon.mssId, beacon.identityKey) ? cert.name : '';
}
