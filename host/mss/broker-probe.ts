/**
 * Before `hood mss --broker URL` publishes its first beacon it checks that the external broker enforces
 * the roles of docs/protocol.md §1, by trying, as an unprivileged anonymous client (what every PDA and
 * every eavesdropper on the Wi-Fi is), the two things that would break anonymity or the service:
 *  - subscribing to a downlink wildcard: granted in SUBACK, or a cell published by the gateway to a
 *    fresh random downlink topic delivered to it, means anyone can read every session's downlink;
 *  - publishing a retained beacon: if the gateway's own subscription to its beacon topic sees the
 *    probe's marker, anyone can replace the beacon (and steer PDAs to another MSS's keys).
 * The probe cannot disturb PDAs: the marker is not a beacon (PDAs count it as undecodable and ignore
 * it) and is cleared at once; the probe downlink topic is a random tag no session uses.
 * Every wait is bounded; answers are fenced by a round trip on the same connection (MQTT keeps a
 * connection's packets in order), so no sleep decides the result.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { beaconTopic } from '../../shared/src/protocol/topics';
import type { Logger } from '../common/log';
import { redactUrl } from '../common/redact';

export const ACL_FILES = 'host/mss/mosquitto/hood.conf with hood.acl and hood-dynsec.json (hood mss mosquitto-config --mss-id <id> renders them)';

export interface ProbeResult {
  /** An anonymous client could connect at all (if not, PDAs cannot either). */
  anonymousConnected: boolean;
  /** Downlink wildcard filters the broker granted to the anonymous client. */
  downlinkWildcardsGranted: string[];
  /** The anonymous client received the gateway's probe cell on a topic it did not name. */
  downlinkCellRead: boolean;
  /** The gateway saw the anonymous client's retained marker on the beacon topic. */
  beaconWritable: boolean;
}

export function isOpen(r: ProbeResult): boolean {
  return r.downlinkWildcardsGranted.length > 0 || r.downlinkCellRead || r.beaconWritable;
}

/** The URL without user name or password: the probe connects as nobody. */
export function anonymousUrl(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error('broker probe: no answer to ' + what + ' within ' + ms + ' ms')), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

/** A SUBSCRIBE's outcome: true if granted (return code < 0x80), false if refused or the broker hung up. */
async function granted(c: MqttClient, filter: string, ms: number): Promise<boolean> {
  try {
    const g = await within(c.subscribeAsync(filter, { qos: 0 }), ms, 'SUBSCRIBE ' + filter);
    return g.length > 0 && g.every((x) => x.qos < 0x80);
  } catch (e) {
    if ((e as Error).message.startsWith('broker probe:')) throw e;
    return false; // SUBACK failure (mqtt.js rejects) or connection closed: not granted
  }
}

/** Wait until everything the broker queued for `c` before now has arrived (UNSUBACK comes after it). */
async function fence(c: MqttClient, ms: number): Promise<void> {
  if (!c.connected) return;
  await within(c.unsubscribeAsync('hood/probe-fence/' + randomBytes(8).toString('hex')), ms, 'UNSUBSCRIBE').catch(() => undefined);
}

export async function probeBroker(o: { url: string; mssId: string; gateway: MqttClient; timeoutMs?: number }): Promise<ProbeResult> {
  const ms = o.timeoutMs ?? 5000;
  const result: ProbeResult = { anonymousConnected: false, downlinkWildcardsGranted: [], downlinkCellRead: false, beaconWritable: false };
  let anon: MqttClient;
  try {
    anon = await within(
      mqtt.connectAsync(anonymousUrl(o.url), {
        clientId: 'c' + randomBytes(9).toString('hex'), // as a PDA names itself
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: ms,
      }),
      ms + 1000,
      'CONNECT',
    );
  } catch {
    return result;
  }
  anon.on('error', () => undefined);
  result.anonymousConnected = true;
  const beacon = beaconTopic(o.mssId);
  const downPrefix = 'hood/v1/' + o.mssId + '/down/';
  const marker = Buffer.from('hood broker probe ' + randomBytes(16).toString('hex'));
  const seenByAnon: Buffer[] = [];
  const seenByGateway: Buffer[] = [];
  const onAnon = (_t: string, p: Buffer) => seenByAnon.push(p);
  const onGateway = (t: string, p: Buffer) => {
    if (t === beacon) seenByGateway.push(p);
  };
  anon.on('message', onAnon);
  o.gateway.on('message', onGateway);
  try {
    // 1. Downlink: wildcards, then a cell on a fresh topic no one may read without naming it.
    for (const f of [downPrefix + '#', downPrefix + '+']) if (await granted(anon, f, ms)) result.downlinkWildcardsGranted.push(f);
    await granted(anon, '#', ms); // an open '#' shows up as the probe cell being read
    await within(o.gateway.publishAsync(downPrefix + randomBytes(16).toString('hex'), marker, { qos: 1 }), ms, 'PUBLISH (downlink probe)');
    await fence(anon, ms);
    result.downlinkCellRead = seenByAnon.some((p) => p.equals(marker));

    // 2. Beacon: the gateway watches its beacon topic while the anonymous client writes to it.
    await within(o.gateway.subscribeAsync(beacon, { qos: 1 }), ms, 'SUBSCRIBE (beacon)');
    if (anon.connected) {
      // A broker that drops the connection instead of the publish is refusing it: fine either way.
      await within(anon.publishAsync(beacon, marker, { qos: 1, retain: true }), ms, 'PUBLISH (beacon probe)').catch(() => undefined);
    }
    await fence(o.gateway, ms);
    result.beaconWritable = seenByGateway.some((p) => p.equals(marker));
    await within(o.gateway.unsubscribeAsync(beacon), ms, 'UNSUBSCRIBE (beacon)');
    if (result.beaconWritable) {
      // Take the marker down now; the gateway publishes the real beacon next (or clears it on exit).
      await within(o.gateway.publishAsync(beacon, Buffer.alloc(0), { qos: 1, retain: true }), ms, 'PUBLISH (clear beacon)');
    }
  } finally {
    anon.off('message', onAnon);
    o.gateway.off('message', onGateway);
    await anon.endAsync(true).catch(() => undefined);
  }
  return result;
}

/** What the probe found, in words. */
export function describeOpen(r: ProbeResult): string {
  const what: string[] = [];
  if (r.downlinkWildcardsGranted.length) what.push('subscribe to ' + r.downlinkWildcardsGranted.join(' and '));
  if (r.downlinkCellRead) what.push('read downlink cells it did not name');
  if (r.beaconWritable) what.push('overwrite the retained beacon');
  return what.join(', ');
}

/**
 * Probe and decide: an open broker is refused (the error names the ACL files) unless `allowOpen`, in
 * which case it is logged as a warning now; the caller repeats `warn()` every beacon period.
 */
export async function checkExternalBroker(o: {
  url: string;
  mssId: string;
  gateway: MqttClient;
  log: Logger;
  allowOpen: boolean;
  timeoutMs?: number;
}): Promise<{ open: boolean; warn(): void }> {
  const r = await probeBroker(o);
  const url = redactUrl(o.url);
  if (!r.anonymousConnected)
    o.log.warn({ event: 'broker_no_anonymous', url }, 'the broker refuses anonymous clients: PDAs connect anonymously and will not reach this MSS');
  const open = isOpen(r);
  const warn = () => {
    if (open)
      o.log.warn(
        { event: 'broker_open', url, found: describeOpen(r) },
        'INSECURE: any client of this broker can ' + describeOpen(r) + ' (--allow-open-broker); use ' + ACL_FILES,
      );
  };
  if (open && !o.allowOpen)
    throw new Error(
      'the broker at ' + url + ' lets any anonymous client ' + describeOpen(r) + ': run mosquitto with ' + ACL_FILES + ' (see README, "External broker"), or pass --allow-open-broker to run anyway',
    );
  if (!open) o.log.info({ event: 'broker_checked', url }, 'broker enforces the MSS roles');
  warn();
  return { open, warn };
}
