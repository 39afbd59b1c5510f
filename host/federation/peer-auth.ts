/**
 * Authentication of MSS-to-MSS HTTP requests and responses inside a federation (docs/federation.md,
 * "Peer authentication"). Each request is signed by the sender's MSS identity key (Ed25519, RFC 8032) over
 *
 *   "hood/v1 peer request" | method | path | from-mssId | to-mssId | ts | nonce | SHA-256(body)
 *
 * and each response by the answering MSS over
 *
 *   "hood/v1 peer response" | from-mssId | to-mssId | request nonce | status | SHA-256(body)
 *
 * every variable field length-prefixed, so no two field lists share an encoding. Naming both parties and
 * binding the response to the request's nonce follows the explicitness principles of "Prudent engineering
 * practice for cryptographic protocols" (the paper's reference [2]): a signed message says who it is from,
 * for whom, and in answer to what.
 */
import { createHash } from 'node:crypto';
import { Writer, concat, utf8Encode } from '../../shared/src/bytes';

export const LABEL_PEER_REQUEST = 'hood/v1 peer request';
export const LABEL_PEER_RESPONSE = 'hood/v1 peer response';

/** Request and response headers. */
export const H_FROM = 'x-hood-mss';
export const H_TO = 'x-hood-to';
export const H_TS = 'x-hood-ts';
export const H_NONCE = 'x-hood-nonce';
export const H_SIG = 'x-hood-sig';

/** Largest JSON body either side accepts. */
export const MAX_PEER_BODY = 64 * 1024;
/** A request's timestamp may differ from the receiver's clock by this much at most. */
export const MAX_CLOCK_SKEW_MS = 30_000;
export const NONCE_BYTES = 16;

/** Paths are plain ASCII, no query: what is signed is exactly what is routed. */
export function isValidPeerPath(p: unknown): p is string {
  return typeof p === 'string' && p.length <= 200 && /^\/[A-Za-z0-9/_.-]*$/.test(p);
}

export function sha256(b: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(b).digest());
}

export interface RequestFields {
  method: string;
  path: string;
  from: string;
  to: string;
  ts: number;
  nonce: Uint8Array;
  body: Uint8Array;
}

export function requestSigningInput(r: RequestFields): Uint8Array {
  const w = new Writer()
    .vbytes8(utf8Encode(r.method))
    .vbytes8(utf8Encode(r.path))
    .vbytes8(utf8Encode(r.from))
    .vbytes8(utf8Encode(r.to))
    .vbytes8(utf8Encode(String(r.ts)))
    .vbytes8(r.nonce)
    .vbytes8(sha256(r.body));
  return concat([utf8Encode(LABEL_PEER_REQUEST), w.finish()]);
}

export interface ResponseFields {
  from: string;
  to: string;
  nonce: Uint8Array;
  status: number;
  body: Uint8Array;
}

export function responseSigningInput(r: ResponseFields): Uint8Array {
  const w = new Writer()
    .vbytes8(utf8Encode(r.from))
    .vbytes8(utf8Encode(r.to))
    .vbytes8(r.nonce)
    .u16(r.status)
    .vbytes8(sha256(r.body));
  return concat([utf8Encode(LABEL_PEER_RESPONSE), w.finish()]);
}

/** Strict parse of the ts header: decimal unix milliseconds, no sign, no leading zeros beyond "0". */
export function parseTs(v: string | undefined): number | null {
  if (typeof v !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
}

/** Lower-case hex of exactly `bytes` bytes, else null. */
export function parseHex(v: string | undefined, bytes: number): Uint8Array | null {
  if (typeof v !== 'string' || v.length !== bytes * 2 || !/^[0-9a-f]*$/.test(v)) return null;
  return new Uint8Array(Buffer.from(v, 'hex'));
}

/** The signing side of an MSS: its id and its identity key's signature (MssKeys.sign). */
export interface PeerSelf {
  mssId: string;
  sign(message: Uint8Array): Uint8Array;
}
