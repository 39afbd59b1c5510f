/**
 * Work done ahead of time, while the PDA is idle: the ephemeral X25519 key pair of the next JOIN
 * (docs/protocol.md §3: epk = X25519(esk, 9), fresh for every JOIN). Computing epk costs about as
 * much as the Diffie-Hellman itself on Espruino (over a second on the interpreter), and unlike the
 * DH it needs nothing from the beacon, so the JOIN after a beacon only pays for the DH.
 *
 * When: the firmware calls prepare(BOOT_DELAY_MS) once it has booted, so the first session after
 * boot finds its pair ready too; the session calls discard() then prepare() when it is wiped, so the
 * next session's pair is computed while the PDA is idle between sessions, and take() at its JOIN.
 * Not during a session: a second of interpreter time while waiting for ACCEPT would only delay it,
 * so take() also cancels a computation that has not run yet (a session that starts before the
 * boot-time computation ran makes its own pair at the JOIN).
 *
 * Rules (each one tested in test/crypto/join-precompute.test.ts):
 *  - a pair is handed out once: take() removes it from the pool, and sealJoin wipes the secret
 *    after use;
 *  - discard() overwrites a pair that was not used, and cancels a computation not yet run; the
 *    session calls it when it is wiped, so a pair made during one session never serves another;
 *  - the secret comes from the board's hardware RNG (board.random), never Math.random;
 *  - the computation runs in a later turn of the event loop (board.clock), never inside a
 *    network callback or the boot call itself;
 *  - take() cancels a computation not yet run, so none runs during the session that took.
 */
import { wipe } from '../../shared/src/bytes';
import { x25519Base } from '../../shared/src/crypto/x25519';
import type { Board } from './board';

/** Delay before an idle computation, so the console command or network event in progress finishes first. */
export const IDLE_DELAY_MS = 50;
/**
 * Delay of the boot-time computation: after the boot event and the host's first console commands
 * (configuration, a status query), which would otherwise wait for a second of X25519 on a board.
 */
export const BOOT_DELAY_MS = 500;

export interface JoinEphemeral {
  /** 32 random bytes (clamped inside x25519). The caller owns it and must wipe it. */
  secret: Uint8Array;
  /** X25519(secret, 9), or null if nothing was ready (then sealJoin computes it). */
  publicKey: Uint8Array | null;
}

export class JoinKeyPool {
  private sk: Uint8Array | null = null;
  private pk: Uint8Array | null = null;
  private scheduled = false;
  /** Bumped by discard(): a computation scheduled before it must not fill the pool. */
  private generation = 0;
  private board: Board;

  constructor(board: Board) {
    this.board = board;
  }

  /** True if a precomputed pair is waiting. */
  ready(): boolean {
    return this.sk !== null;
  }

  /** Compute the next pair in a later turn of the event loop, unless one is ready or on its way. */
  prepare(delayMs?: number): void {
    if (this.sk !== null || this.scheduled) return;
    this.scheduled = true;
    const self = this;
    const gen = this.generation;
    this.board.clock.setTimeout(function () {
      if (gen !== self.generation) return;
      self.scheduled = false;
      if (self.sk !== null) return;
      const sk = self.board.random(32);
      self.pk = x25519Base(sk);
      self.sk = sk;
    }, delayMs === undefined ? IDLE_DELAY_MS : delayMs);
  }

  /**
   * Hand out the waiting pair (the pool forgets it), or fresh randomness with publicKey null. A
   * computation still pending is cancelled: it would otherwise run during the session that takes.
   */
  take(): JoinEphemeral {
    const sk = this.sk;
    const pk = this.pk;
    this.sk = null;
    this.pk = null;
    if (this.scheduled) {
      this.generation++;
      this.scheduled = false;
    }
    if (sk !== null && pk !== null) return { secret: sk, publicKey: pk };
    return { secret: this.board.random(32), publicKey: null };
  }

  /** Overwrite an unused pair and cancel a pending computation. */
  discard(): void {
    if (this.sk !== null) wipe(this.sk);
    if (this.pk !== null) wipe(this.pk);
    this.sk = null;
    this.pk = null;
    this.generation++;
    this.scheduled = false;
  }
}

let pool: JoinKeyPool | null = null;
let poolBoard: Board | null = null;

/** The pool of this board (one per firmware instance; a new board, e.g. after boot, gets a new pool). */
export function joinKeys(board: Board): JoinKeyPool {
  if (pool === null || poolBoard !== board) {
    if (pool !== null) pool.discard();
    pool = new JoinKeyPool(board);
    poolBoard = board;
  }
  return pool;
}
