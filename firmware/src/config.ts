/**
 * PDA configuration kept in the board's Storage: which broker and MSS to use, and pinned MSS identity
 * keys (docs/protocol.md §2.3). Nothing about any session is ever written here (paper: erase every trace).
 */
import { fromHex, toHex } from '../../shared/src/bytes';
import { isValidMssId } from '../../shared/src/protocol/topics';
import { isValidFederationName } from '../../shared/src/protocol/federation';
import type { Storage } from './board';
import { isLowerHex } from '../../shared/src/text';
import { parseCoverConfig, type CoverConfig } from './cover';

export interface PdaConfig {
  brokerHost: string;
  brokerPort: number;
  /** MSS to use; empty = the first MSS whose beacon verifies (pinned ones only, if any pin exists). */
  mssId: string;
  pins: { [mssId: string]: string };
  /**
   * Pinned federation keys by federation name (docs/protocol.md §2.3): a beacon of an unpinned MSS is
   * accepted if it carries a membership certificate of one of these (firmware/src/federation-pin.ts).
   */
  fedPins: { [name: string]: string };
  /**
   * Cover cells in anonymous sessions (docs/anonymity.md "Cover cells"): a Poisson clock of `ratePerMin`
   * cells; null = off. Never used in home mode, whose link sends no cells.
   */
  cover: CoverConfig | null;
}

const KEY = 'hood.cfg';

export function defaultConfig(): PdaConfig {
  return { brokerHost: '192.168.4.1', brokerPort: 1883, mssId: '', pins: {}, fedPins: {}, cover: null };
}

export function loadConfig(storage: Storage): PdaConfig {
  const c = defaultConfig();
  const raw = storage.read(KEY);
  if (!raw) return c;
  let j: any;
  try {
    j = JSON.parse(raw);
  } catch (e) {
    return c;
  }
  if (j && typeof j.brokerHost === 'string') c.brokerHost = j.brokerHost;
  if (j && typeof j.brokerPort === 'number' && j.brokerPort > 0 && j.brokerPort < 65536) c.brokerPort = j.brokerPort;
  if (j && typeof j.mssId === 'string' && (j.mssId === '' || isValidMssId(j.mssId))) c.mssId = j.mssId;
  if (j && j.pins && typeof j.pins === 'object') {
    const ids = Object.keys(j.pins);
    for (let i = 0; i < ids.length; i++) {
      const v = j.pins[ids[i]];
      if (isValidMssId(ids[i]) && isLowerHex(v, 64)) c.pins[ids[i]] = v;
    }
  }
  if (j && j.fedPins && typeof j.fedPins === 'object') {
    const names = Object.keys(j.fedPins);
    for (let i = 0; i < names.length; i++) {
      const v = j.fedPins[names[i]];
      if (isValidFederationName(names[i]) && isLowerHex(v, 64)) c.fedPins[names[i]] = v;
    }
  }
  if (j && j.cover) {
    try {
      c.cover = parseCoverConfig(j.cover);
    } catch (e) {
      c.cover = null;
    }
  }
  return c;
}

/** The console's `config` command with a `cover` field: `{ratePerMin: n[, answerShare: s]}`, or null for off. */
export function setCover(c: PdaConfig, v: any): void {
  c.cover = parseCoverConfig(v);
}

export function saveConfig(storage: Storage, c: PdaConfig): void {
  storage.write(KEY, JSON.stringify(c));
}

/** Pins as bytes, for beacon checks. */
export function pinBytes(c: PdaConfig): { [mssId: string]: Uint8Array } {
  const out: { [mssId: string]: Uint8Array } = {};
  const ids = Object.keys(c.pins);
  for (let i = 0; i < ids.length; i++) out[ids[i]] = fromHex(c.pins[ids[i]]);
  return out;
}

/** Any pin at all, of an MSS or of a federation: then beacons of MSSs neither vouches for are ignored (§2.3). */
export function hasPins(c: PdaConfig): boolean {
  return Object.keys(c.pins).length > 0 || (c.fedPins ? Object.keys(c.fedPins).length > 0 : false);
}

export function pinKey(c: PdaConfig, mssId: string, key: Uint8Array): void {
  if (!isValidMssId(mssId)) throw new Error('invalid MSS id');
  if (key.length !== 32) throw new Error('identity key must be 32 bytes');
  c.pins[mssId] = toHex(key);
}

/** Pin a federation's key (console `pin_federation`); the name is the one its certificates carry. */
export function pinFederation(c: PdaConfig, name: string, key: Uint8Array): void {
  if (!isValidFederationName(name)) throw new Error('invalid federation name');
  if (key.length !== 32) throw new Error('federation key must be 32 bytes');
  c.fedPins[name] = toHex(key);
}
