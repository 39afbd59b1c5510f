/**
 * The wallet's view of a mint's keys, checked twice:
 *  1. NUT-02: the keyset id must be the V1 id derived from the keys served under it;
 *  2. trust on first use: the keys of a keyset id are pinned at first contact (and persisted by
 *     the caller), and any later answer with other keys for that id is refused.
 * Together with NUT-12 DLEQ checks on every signature (ops.ts) this detects a mint that tags
 * coins per user by signing with keys it does not publish to everyone.
 */
import { Point } from '../cashu/bdhke';
import { isKeyAmount, keysetIdV1 } from '../cashu/keyset';
import type { HttpBank, WireKeyset } from './client';
import { WalletError } from './types';

export interface WalletKeyset {
  id: string;
  unit: string;
  keys: Record<string, string>;
  points: Map<number, InstanceType<typeof Point>>;
}

export type Pins = Record<string, Record<string, string>>;

function sameKeys(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i] || a[ka[i]].toLowerCase() !== b[kb[i]].toLowerCase()) return false;
  return true;
}

export function checkKeyset(ks: WireKeyset, pins: Pins): WalletKeyset {
  if (!ks || typeof ks.id !== 'string' || typeof ks.keys !== 'object' || ks.keys === null) {
    throw new WalletError('keyset_mismatch', 'malformed keyset');
  }
  const points = new Map<number, InstanceType<typeof Point>>();
  for (const [a, hex] of Object.entries(ks.keys)) {
    const amount = Number(a);
    if (!isKeyAmount(amount) || String(amount) !== a) throw new WalletError('keyset_mismatch', 'keyset has a non power-of-two amount');
    try {
      points.set(amount, Point.fromHex(hex));
    } catch {
      throw new WalletError('keyset_mismatch', 'keyset has an invalid public key');
    }
  }
  if (!ks.id.startsWith('00') || keysetIdV1(ks.keys) !== ks.id) {
    throw new WalletError('keyset_mismatch', 'keyset id ' + ks.id + ' does not match its keys (NUT-02)');
  }
  const pinned = pins[ks.id];
  if (pinned && !sameKeys(pinned, ks.keys)) {
    throw new WalletError('keyset_mismatch', 'mint served different keys for keyset ' + ks.id + ' than at first contact');
  }
  return { id: ks.id, unit: ks.unit, keys: ks.keys, points };
}

export class KeyRing {
  private readonly bank: HttpBank;
  private readonly pins: Pins;
  private readonly onPin: (id: string, keys: Record<string, string>) => Promise<void>;
  private cache = new Map<string, WalletKeyset>();

  constructor(bank: HttpBank, pins: Pins, onPin: (id: string, keys: Record<string, string>) => Promise<void>) {
    this.bank = bank;
    this.pins = pins;
    this.onPin = onPin;
  }

  private async accept(ks: WireKeyset): Promise<WalletKeyset> {
    // Same keys as already verified for this id: skip re-decoding the 32 points.
    const known = this.cache.get(ks.id);
    if (known && ks.keys && typeof ks.keys === 'object' && sameKeys(known.keys, ks.keys)) return known;
    const w = checkKeyset(ks, this.pins);
    if (!this.pins[w.id]) {
      this.pins[w.id] = { ...w.keys };
      await this.onPin(w.id, w.keys);
    }
    this.cache.set(w.id, w);
    return w;
  }

  /** The active keyset for `unit`, fetched fresh (so a changed key set is noticed). */
  async active(unit = 'sat'): Promise<WalletKeyset> {
    const list = await this.bank.keys();
    const mine = list.filter((k) => k.unit === unit && k.active !== false);
    if (mine.length === 0) throw new WalletError('unknown_keyset', 'mint has no active keyset for ' + unit);
    // A mint that tags users hands each a different active keyset; one per unit is the honest case.
    if (mine.length > 1) throw new WalletError('keyset_mismatch', 'mint reports ' + mine.length + ' active keysets for ' + unit);
    return this.accept(mine[0]);
  }

  async get(id: string): Promise<WalletKeyset> {
    const c = this.cache.get(id);
    if (c) return c;
    let list: WireKeyset[];
    try {
      list = await this.bank.keys(id);
    } catch (e) {
      if ((e as { status?: number }).status && (e as { status: number }).status < 500) throw new WalletError('unknown_keyset', 'mint does not know keyset ' + id);
      throw e;
    }
    const ks = list.find((k) => k.id === id);
    if (!ks) throw new WalletError('unknown_keyset', 'mint does not know keyset ' + id);
    return this.accept(ks);
  }
}
