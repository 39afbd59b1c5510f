/** MQTT topics that play the role of the paper's broadcast medium (docs/protocol.md §1). */
import { toHex } from '../bytes';
import { MAX_MSS_ID_LEN } from './constants';

const MSS_ID = /^[a-z0-9][a-z0-9-]*$/;

export function isValidMssId(id: string): boolean {
  return typeof id === 'string' && id.length > 0 && id.length <= MAX_MSS_ID_LEN && MSS_ID.test(id);
}

function check(mssId: string): string {
  if (!isValidMssId(mssId)) throw new Error('invalid MSS id: use 1-32 of a-z 0-9 - (got ' + JSON.stringify(mssId) + ')');
  return mssId;
}

/** Retained beacon of one MSS. */
export function beaconTopic(mssId: string): string {
  return 'hood/v1/' + check(mssId) + '/beacon';
}

/** All beacons (a PDA that has no MSS configured listens here). */
export const ANY_BEACON_TOPIC = 'hood/v1/+/beacon';

/** The single uplink topic every PDA publishes on: an observer sees only that cells flow. */
export function upTopic(mssId: string): string {
  return 'hood/v1/' + check(mssId) + '/up';
}

/** Per-session downlink topic, named by a tag derived from K_BD (unlinkable across sessions). */
export function downTopic(mssId: string, downTag: Uint8Array): string {
  return 'hood/v1/' + check(mssId) + '/down/' + toHex(downTag);
}

/** The MSS id inside a beacon topic, or null if the topic is not a beacon topic. */
export function mssIdFromBeaconTopic(topic: string): string | null {
  const p = topic.split('/');
  if (p.length !== 4 || p[0] !== 'hood' || p[1] !== 'v1' || p[3] !== 'beacon' || !isValidMssId(p[2])) return null;
  return p[2];
}
