/**
 * Cuts a TCP byte stream into whole MQTT control packets (MQTT 3.1.1 §2.2: a packet is one type
 * byte, a 1..4 byte Remaining Length, then that many bytes).
 *
 * TCP delivers arbitrary chunks: a packet may be split anywhere and a chunk may hold several
 * packets. The framer keeps the unfinished tail in one fixed buffer of `maxPacket` bytes, so its
 * memory never grows past that, whatever the peer sends. A packet announcing more than `maxPacket`
 * bytes, a reserved packet type or a Remaining Length longer than four bytes throws DecodeError
 * at once (the caller closes the connection, §4.8); after that the framer stays failed.
 *
 * Runs on Espruino: one preallocated Uint8Array, no growth, bounded loops.
 */
import { DecodeError, copyBytes, wipe } from '../../../shared/src/bytes';
import { mqttPackets, MAX_REMAINING_LENGTH } from './packets';
import type { RemainingLength } from './packets';

/**
 * The class is made inside buildFramer(), when the first link opens (mqttFramerClass()), not at boot:
 * on Espruino every method that exists costs variables (docs/crypto-speed.md, variables after boot).
 */
function buildFramer() {
  const decodeRemainingLength = mqttPackets().decodeRemainingLength;

  class MqttFramer {
    /** Largest whole packet accepted, fixed header included. */
    readonly maxPacket: number;
    private buf: Uint8Array;
    private len = 0;
    private failed: DecodeError | null = null;

    constructor(maxPacket: number) {
      // At least a fixed header plus a little; at most what a 4-byte Remaining Length can describe.
      if (!(maxPacket >= 5 && maxPacket <= MAX_REMAINING_LENGTH + 5 && Math.floor(maxPacket) === maxPacket)) {
        throw new Error('mqtt: maxPacket out of range');
      }
      this.maxPacket = maxPacket;
      this.buf = new Uint8Array(maxPacket);
    }

    /** Bytes held for a packet not yet complete. */
    get buffered(): number {
      return this.len;
    }

    /**
     * Feed one chunk; returns the packets it completed, in order, each a fresh copy (the caller
     * wipes them after decoding). Throws DecodeError on a malformed or oversized stream.
     */
    push(chunk: Uint8Array): Uint8Array[] {
      if (this.failed) throw this.failed;
      const out: Uint8Array[] = [];
      let p = 0;
      // Each turn either copies at least one byte of the chunk in or throws, so the loop is bounded
      // by chunk.length + 1 turns.
      for (;;) {
        const n = Math.min(this.maxPacket - this.len, chunk.length - p);
        if (n > 0) {
          this.buf.set(chunk.subarray(p, p + n), this.len);
          this.len += n;
          p += n;
        }
        let off = 0;
        for (;;) {
          const need = this.frameLength(off);
          if (need < 0 || off + need > this.len) break;
          out.push(copyBytes(this.buf, off, off + need));
          off += need;
        }
        if (off > 0) this.shift(off);
        if (p >= chunk.length) return out;
        if (this.len === this.maxPacket) {
          // Cannot happen (frameLength rejects packets above maxPacket), kept as a guard against a
          // stalled loop.
          this.fail(new DecodeError('too_large', 'stalled'));
        }
      }
    }

    /** Zero the buffer and forget any partial packet (session end). The framer stays usable. */
    wipe(): void {
      wipe(this.buf);
      this.len = 0;
    }

    /** Total length of the packet starting at `off`, or -1 if its header is still incomplete. */
    private frameLength(off: number): number {
      if (off >= this.len) return -1;
      const type = this.buf[off] >> 4;
      // §2.2.1: types 0 and 15 are reserved; reject before waiting for a length that may never come.
      if (type === 0 || type === 15) this.fail(new DecodeError('bad_type', 'reserved packet type ' + type));
      let rl: RemainingLength | null = null;
      try {
        rl = decodeRemainingLength(this.buf, off + 1, this.len);
      } catch (e) {
        this.fail(e as DecodeError);
      }
      if (!rl) return -1;
      const total = 1 + rl.size + rl.value;
      if (total > this.maxPacket) this.fail(new DecodeError('too_large', total + ' > ' + this.maxPacket));
      return total;
    }

    /** Drop the first `n` bytes and zero the freed tail (no copyWithin on Espruino). */
    private shift(n: number): void {
      const rest = this.len - n;
      for (let i = 0; i < rest; i++) this.buf[i] = this.buf[n + i];
      for (let i = rest; i < this.len; i++) this.buf[i] = 0;
      this.len = rest;
    }

    private fail(e: DecodeError): never {
      this.failed = e;
      this.wipe();
      throw e;
    }
  }
  return MqttFramer;
}

let built: ReturnType<typeof buildFramer> | null = null;

/** The class, created on the first call and kept from then on. */
export function mqttFramerClass(): ReturnType<typeof buildFramer> {
  if (!built) built = buildFramer();
  return built;
}

export type MqttFramer = InstanceType<ReturnType<typeof buildFramer>>;

/** `new MqttFramer(...)` for host code and tests; the firmware constructs through mqttFramerClass() and the bundler drops this. */
export const MqttFramer = function (maxPacket: number) {
  const C = mqttFramerClass();
  return new C(maxPacket);
} as unknown as new (maxPacket: number) => MqttFramer;
