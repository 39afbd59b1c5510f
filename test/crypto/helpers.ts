/** Deterministic test inputs: a seeded SHA-256 counter stream (node:crypto), so failures replay. */
import { createHash } from 'node:crypto';

export function seededBytes(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const block = createHash('sha256').update(seed + ':' + counter++).digest();
      const take = Math.min(32, n - off);
      out.set(block.subarray(0, take), off);
      off += take;
    }
    return out;
  };
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function ascii(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s, 'utf8'));
}
