/**
 * The wallet file: one JSON document, replaced atomically (temp file + fsync + rename) on every
 * change, with changes serialized through one queue so concurrent operations never interleave a
 * read-modify-write. Mode 0600: it holds bearer e-cash.
 */
import { existsSync } from 'node:fs';
import { writeFileAtomic } from '../common/atomic-file';
import { readPrivateFile } from '../common/private-file';
import type { PreparedOutputs } from './blinding';
import type { Pins } from './keyring';
import type { Proof } from './types';

export interface StoredProof extends Proof {
  mint: string;
}

export interface PendingOp {
  id: string;
  kind: 'mint' | 'swap' | 'melt';
  mint: string;
  quote?: string;
  inputs?: Proof[];
  outputs?: PreparedOutputs;
  /** swap for export: indexes of outputs that go to the exported token */
  sendIdx?: number[];
  at: number;
}

export interface WalletState {
  version: 1;
  mints: Record<string, { pins: Pins }>;
  proofs: StoredProof[];
  pending: PendingOp[];
  exported: { token: string; amount: number; mint: string; at: number; board?: BoardMove }[];
}

/** Where coins exported to a PDA board are (`hood wallet load`): the journal of the two-phase move. */
export interface BoardMove {
  /** 'moving': not spendable here, not yet confirmed by the board; 'on-board': the board confirmed. */
  state: 'moving' | 'on-board' | 'returned';
  txs: string[];
}

export function emptyState(): WalletState {
  return { version: 1, mints: {}, proofs: [], pending: [], exported: [] };
}

export class WalletStore {
  readonly path: string;
  state: WalletState;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(path: string) {
    this.path = path;
    // Bearer e-cash: a wallet file others can read is refused, as ssh refuses such a key (private-file.ts).
    this.state = existsSync(path) ? (JSON.parse(readPrivateFile(path, 'utf8')) as WalletState) : emptyState();
    if (this.state.version !== 1) throw new Error(path + ': unsupported wallet file version');
  }

  /** Apply `fn` to the state and persist before resolving; one change at a time. */
  update<T>(fn: (s: WalletState) => T): Promise<T> {
    const run = this.queue.then(() => {
      const next = JSON.parse(JSON.stringify(this.state)) as WalletState;
      const out = fn(next);
      writeFileAtomic(this.path, JSON.stringify(next, null, 1) + '\n', 0o600);
      this.state = next;
      return out;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  pins(mint: string): Pins {
    return this.state.mints[mint]?.pins || {};
  }
}
