/**
 * The federation key (docs/federation.md): an Ed25519 key (RFC 8032) whose holder admits MSSs to the
 * federation by signing the member list and one membership certificate per member. It is kept apart
 * from every MSS (its file, mode 0600, is only needed when the list changes); PDAs pin its public half.
 */
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { readPrivateFile } from '../common/private-file';

export interface FederationKey {
  publicKey: Uint8Array;
  /** Ed25519 signature by the federation key (the secret stays in this closure). */
  sign(message: Uint8Array): Uint8Array;
}

interface StoredKey {
  version: 1;
  federationPkcs8: string;
}

export function rawEd25519Public(pub: KeyObject): Uint8Array {
  const jwk = pub.export({ format: 'jwk' }) as { x: string };
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

/** A KeyObject for a raw 32-byte Ed25519 public key; throws if it is not one. */
export function ed25519PublicKeyObject(raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new Error('Ed25519 public key must be 32 bytes');
  return createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(raw).toString('base64url') }, format: 'jwk' });
}

/** Ed25519 verification (RFC 8032) with node:crypto; false for any malformed input, never throws. */
export function ed25519VerifyHost(sig: Uint8Array, msg: Uint8Array, pub: KeyObject): boolean {
  if (sig.length !== 64) return false;
  try {
    return verify(null, Buffer.from(msg), pub, Buffer.from(sig));
  } catch {
    return false;
  }
}

function fromPkcs8(der: Buffer, path: string): FederationKey {
  let priv: KeyObject;
  try {
    priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw new Error('corrupt federation key file ' + path);
  }
  if (priv.asymmetricKeyType !== 'ed25519') throw new Error('corrupt federation key file ' + path + ': not Ed25519');
  return {
    publicKey: rawEd25519Public(createPublicKey(priv)),
    sign: (m) => new Uint8Array(sign(null, Buffer.from(m), priv)),
  };
}

/**
 * Make a new federation key in `path` (mode 0600). Refuses to overwrite an existing file: losing a
 * federation key means re-pinning every PDA. Returns the public key.
 */
export function generateFederationKey(path: string): Uint8Array {
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  const stored: StoredKey = { version: 1, federationPkcs8: der.toString('base64') };
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600); // O_CREAT|O_EXCL: never replaces a file, even one made meanwhile
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Error(path + ' exists; refusing to overwrite a federation key');
    throw e;
  }
  try {
    writeSync(fd, Buffer.from(JSON.stringify(stored) + '\n', 'utf8'));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return rawEd25519Public(createPublicKey(privateKey));
}

/** Load a federation key file; a file others can read is refused (host/common/private-file.ts). */
export function loadFederationKey(path: string): FederationKey {
  const text = readPrivateFile(path, 'utf8');
  let j: StoredKey;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new Error('cannot read federation key file ' + path + ': ' + (e as Error).message);
  }
  if (!j || j.version !== 1 || typeof j.federationPkcs8 !== 'string') throw new Error('corrupt federation key file ' + path + ': unknown format');
  return fromPkcs8(Buffer.from(j.federationPkcs8, 'base64'), path);
}
