/**
 * Per-direction anti-replay window for SESSION cells (docs/protocol.md §5), in the style of
 * RFC 4303 §3.4.3: the newest accepted sequence number and a bitmap of the REPLAY_WINDOW before it.
 * A cell is checked only after its AEAD tag verified, so forged sequence numbers cannot move the window.
 * 32-bit bitmap: plain JS bit operations, fine on Espruino.
 */
import { REPLAY_WINDOW } from './constants';

export class ReplayWindow {
  private top = -1;
  private bits = 0; // bit i set = (top - i) seen

  /** 'ok' if seq is new and inside the window (not yet recorded), otherwise why not. */
  check(seq: number): 'ok' | 'replay' | 'too_old' {
    if (seq > this.top) return 'ok';
    const d = this.top - seq;
    if (d >= REPLAY_WINDOW) return 'too_old';
    return (this.bits >>> d) & 1 ? 'replay' : 'ok';
  }

  /** Record seq as seen; call only after check(seq) === 'ok' and the cell authenticated. */
  accept(seq: number): void {
    if (seq > this.top) {
      const shift = seq - this.top;
      this.bits = shift >= REPLAY_WINDOW ? 0 : (this.bits << shift) | 0;
      this.bits |= 1;
      this.top = seq;
    } else {
      this.bits |= 1 << (this.top - seq);
    }
  }

  reset(): void {
    this.top = -1;
    this.bits = 0;
  }
}
