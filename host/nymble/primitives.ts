/**
 * Nymble's primitives (Nymble [Tsang et al. 2011] §3.2, §5.1): a keyed MAC (MA.Mac), the seed
 * evolution f and nymble derivation g (two domain-separated hashes, modelled as random oracles), and
 * an IND-CCA2 symmetric cipher for the ticket trapdoor ctxt. HMAC-SHA256 (RFC 2104), SHA-256 and
 * AES-256-GCM (NIST SP 800-38D) from node:crypto, so a ticket check at the MSS costs microseconds.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const KEY_LEN = 32;
export const SEED_LEN = 32;
const GCM_NONCE_LEN = 12;
const GCM_TAG_LEN = 16;

/** MA.Mac(msg, key): HMAC-SHA256 with a label so each use of a key is domain-separated. */
export function mac(key: Uint8Array, label: string, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac('sha256', key);
  h.update(label);
  h.update(new Uint8Array([0]));
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** f: seed_{t+1} = f(seed_t) — the one-way seed chain that gives backward unlinkability (§5.1). */
export function evolveSeed(seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('hood-nymble-f').update(seed).digest());
}

/** g: nymble_t = g(seed_t) — a second, independent oracle, so a nymble reveals nothing about its seed. */
export function nymbleOf(seed: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update('hood-nymble-g').update(seed).digest());
}

/** seed advanced k periods: f^k(seed). */
export function evolveSeedBy(seed: Uint8Array, k: number): Uint8Array {
  let s = seed;
  for (let i = 0; i < k; i++) s = evolveSeed(s);
  return s;
}

/** Constant-time equality of two byte strings (length is not secret). */
export function ctEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newKey(): Uint8Array {
  return new Uint8Array(randomBytes(KEY_LEN));
}

/** Enc.Encrypt: AES-256-GCM, random 96-bit nonce, output nonce || ciphertext || tag. */
export function encrypt(key: Uint8Array, plain: Uint8Array, aad: Uint8Array): Uint8Array {
  const nonce = randomBytes(GCM_NONCE_LEN);
  const c = createCipheriv('aes-256-gcm', key, nonce);
  c.setAAD(aad);
  const body = Buffer.concat([c.update(plain), c.final()]);
  return new Uint8Array(Buffer.concat([nonce, body, c.getAuthTag()]));
}

/** Enc.Decrypt: null when the input is too short or does not authenticate. */
export function decrypt(key: Uint8Array, ctxt: Uint8Array, aad: Uint8Array): Uint8Array | null {
  if (ctxt.length < GCM_NONCE_LEN + GCM_TAG_LEN) return null;
  try {
    const d = createDecipheriv('aes-256-gcm', key, ctxt.subarray(0, GCM_NONCE_LEN));
    d.setAAD(aad);
    d.setAuthTag(ctxt.subarray(ctxt.length - GCM_TAG_LEN));
    return new Uint8Array(Buffer.concat([d.update(ctxt.subarray(GCM_NONCE_LEN, ctxt.length - GCM_TAG_LEN)), d.final()]));
  } catch {
    return null;
  }
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function unhex(s: string, len: number): Uint8Array {
  if (typeof s !== 'string' || !/^[0-9a-f]*$/.test(s) || s.length !== 2 * len) throw new Error('bad hex field');
  return new Uint8Array(Buffer.from(s, 'hex'));
}
