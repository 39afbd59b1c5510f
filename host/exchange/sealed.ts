/**
 * Sealed pickup requests (ACS §3.2: "users ... negotiate the symmetric keys with exchange servers ... to
 * encrypt the message shares"; docs/exchange.md §6). A pickup or release travels to an exchange server
 * through an entry server — any member of the federation — that must learn neither the pseudonyms nor the
 * shares, and must not be able to forge, alter or replay an answer. So each request is sealed to the
 * exchange server's X25519 key under a fresh ephemeral key, and its answer under a key only the requester
 * and that server derive:
 *
 *   dh              = X25519(ephemeral secret, server public)           (RFC 7748 §6.1; all-zero refused)
 *   reqKey | resKey = HKDF-SHA-256(ikm = dh, salt = epk | serverPublic, info = SEALED_LABEL, L = 64)   (RFC 5869)
 *   request  = epk[32] | ChaCha20-Poly1305(reqKey, nonce 0¹², op u8 | ts u64 BE (unix ms) | bucket u32 | 8 × pseudonym[32])
 *   answer   = ChaCha20-Poly1305(resKey, nonce 0¹², pickup: 8 records of `bucket` bytes; release: empty)
 *
 * Each key seals one message, so a zero nonce is safe (RFC 8439 §4: never a key/nonce pair twice). The
 * fixed request length and the answer's fixed length per bucket and op keep hits and misses alike on the
 * wire. The server refuses a request whose ts is more than MAX_SKEW_MS from its clock or whose epk it
 * has seen (replay, host/exchange/server.ts).
 */
import { createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, type KeyObject } from 'node:crypto';
import { isBucket } from '../../shared/src/exchange/shares';
import { MAX_SLOTS, PSEUDONYM_LEN } from '../../shared/src/exchange/pseudonym';
import { ExchangeError } from './errors';

export const SEALED_LABEL = 'hood-exchange-v1 sealed';
export const OP_PICKUP = 1;
export const OP_RELEASE = 2;
export type SealedOp = typeof OP_PICKUP | typeof OP_RELEASE;
const KEY_LEN = 32;
const TAG_LEN = 16;
const PLAIN_LEN = 1 + 8 + 4 + MAX_SLOTS * PSEUDONYM_LEN;
export const SEALED_REQUEST_BYTES = KEY_LEN + PLAIN_LEN + TAG_LEN;
/** How far a request's timestamp may be from the server's clock, either way. */
export const MAX_SKEW_MS = 120_000;
const ZERO_NONCE = Buffer.alloc(12);
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

export interface SealingKey {
  publicKey: Uint8Array;
  privateKey: KeyObject;
}

function b64u(b: Uint8Array): string {
  return Buffer.from(b).toString('base64url');
}

function publicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== KEY_LEN) throw new ExchangeError('malformed', 'an X25519 public key is 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: b64u(raw) }, format: 'jwk' });
}

function rawPublic(k: KeyObject): Uint8Array {
  return new Uint8Array(Buffer.from(k.export({ format: 'jwk' }).x as string, 'base64url'));
}

/** A new key pair for an exchange server, and its secret half as raw bytes to store. */
export function newSealingKey(): { key: SealingKey; secret: Uint8Array } {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const secret = new Uint8Array(Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url'));
  return { key: { publicKey: rawPublic(publicKey), privateKey }, secret };
}

/** The key pair of a stored secret (32 bytes). */
export function sealingKeyFromSecret(secret: Uint8Array): SealingKey {
  if (secret.length !== KEY_LEN) throw new ExchangeError('config', 'an exchange sealing key is 32 bytes');
  // PKCS #8 for an X25519 key (RFC 8410 §7): a fixed 16-byte prefix, then the 32-byte secret.
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, secret]), format: 'der', type: 'pkcs8' });
  return { publicKey: rawPublic(createPublicKey(privateKey)), privateKey };
}

function keys(dh: Buffer, epk: Uint8Array, spk: Uint8Array): { req: Buffer; res: Buffer } {
  // RFC 7748 §6.1: a low-order public key gives the all-zero secret; such a key is refused, not used.
  if (dh.every((x) => x === 0)) throw new ExchangeError('malformed', 'X25519 gave the all-zero secret');
  const okm = Buffer.from(hkdfSync('sha256', dh, Buffer.concat([epk, spk]), SEALED_LABEL, 2 * KEY_LEN));
  dh.fill(0);
  return { req: okm.subarray(0, KEY_LEN), res: okm.subarray(KEY_LEN) };
}

function aeadSeal(key: Buffer, plain: Uint8Array): Buffer {
  const c = createCipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_LEN });
  const out = Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]);
  key.fill(0);
  return out;
}

function aeadOpen(key: Buffer, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_LEN) return null;
  const d = createDecipheriv('chacha20-poly1305', key, ZERO_NONCE, { authTagLength: TAG_LEN });
  d.setAuthTag(sealed.subarray(sealed.length - TAG_LEN));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG_LEN)), d.final()]);
  } catch {
    return null;
  } finally {
    key.fill(0);
  }
}

/** What the requester keeps to open the answer. */
export interface SealedRequest {
  bytes: Uint8Array;
  openAnswer(answer: Uint8Array): Uint8Array | null;
}

/** Seal one pickup or release for the server whose public key is `serverPublic`. */
export function sealRequest(serverPublic: Uint8Array, op: SealedOp, bucket: number, pseudonyms: Uint8Array[], now: number): SealedRequest {
  if (!isBucket(bucket)) throw new ExchangeError('malformed', 'not a bucket size: ' + bucket);
  if (pseudonyms.length !== MAX_SLOTS || pseudonyms.some((p) => p.length !== PSEUDONYM_LEN)) throw new ExchangeError('malformed', 'a round asks for exactly ' + MAX_SLOTS + ' pseudonyms of 32 bytes');
  const spk = publicKeyObject(serverPublic);
  const eph = generateKeyPairSync('x25519');
  const epk = rawPublic(eph.publicKey);
  const k = keys(diffieHellman({ privateKey: eph.privateKey, publicKey: spk }), epk, serverPublic);
  const plain = Buffer.alloc(PLAIN_LEN);
  plain[0] = op;
  plain.writeUIntBE(Math.floor(now / 2 ** 32), 1, 4);
  plain.writeUInt32BE(now % 2 ** 32, 5);
  plain.writeUInt32BE(bucket, 9);
  pseudonyms.forEach((p, i) => plain.set(p, 13 + i * PSEUDONYM_LEN));
  const bytes = new Uint8Array(Buffer.concat([epk, aeadSeal(k.req, plain)]));
  plain.fill(0);
  const res = k.res;
  return {
    bytes,
    openAnswer(answer) {
      const want = (op === OP_PICKUP ? MAX_SLOTS * bucket : 0) + TAG_LEN;
      if (answer.length !== want) return null;
      const out = aeadOpen(Buffer.from(res), answer);
      res.fill(0);
      return out ? new Uint8Array(out) : null;
    },
  };
}

/** A request as the server reads it. */
export interface OpenedRequest {
  /** The ephemeral key: the replay check's handle. */
  epk: string;
  op: SealedOp;
  ts: number;
  bucket: number;
  pseudonyms: Uint8Array[];
  sealAnswer(answer: Uint8Array): Uint8Array;
}

/** Open a sealed request with the server's key; every field checked. Throws ExchangeError('malformed'). */
export function openRequest(key: SealingKey, bytes: Uint8Array): OpenedRequest {
  if (bytes.length !== SEALED_REQUEST_BYTES) throw new ExchangeError('malformed', 'a sealed request is exactly ' + SEALED_REQUEST_BYTES + ' bytes');
  const epk = bytes.subarray(0, KEY_LEN);
  let dh: Buffer;
  try {
    dh = diffieHellman({ privateKey: key.privateKey, publicKey: publicKeyObject(epk) });
  } catch {
    throw new ExchangeError('malformed', 'not an X25519 public key');
  }
  const k = keys(dh, epk, key.publicKey);
  const plain = aeadOpen(k.req, bytes.subarray(KEY_LEN));
  if (!plain) {
    k.res.fill(0);
    throw new ExchangeError('malformed', 'the sealed request does not open under this server key');
  }
  const op = plain[0];
  const bucket = plain.readUInt32BE(9);
  if ((op !== OP_PICKUP && op !== OP_RELEASE) || !isBucket(bucket)) {
    k.res.fill(0);
    throw new ExchangeError('malformed', 'unknown operation or bucket');
  }
  const ts = plain.readUIntBE(1, 4) * 2 ** 32 + plain.readUInt32BE(5);
  const pseudonyms: Uint8Array[] = [];
  for (let i = 0; i < MAX_SLOTS; i++) pseudonyms.push(new Uint8Array(plain.subarray(13 + i * PSEUDONYM_LEN, 13 + (i + 1) * PSEUDONYM_LEN)));
  const res = k.res;
  return {
    epk: Buffer.from(epk).toString('hex'),
    op: op as SealedOp,
    ts,
    bucket,
    pseudonyms,
    sealAnswer(answer) {
      const out = new Uint8Array(aeadSeal(Buffer.from(res), answer));
      res.fill(0);
      return out;
    },
  };
}
