/**
 * The MSS's long-term keys, kept in its data dir (mss-keys.json, mode 0600):
 *  - identity: Ed25519, signs every beacon; PDAs pin its public half (docs/protocol.md §2.3);
 *  - box: X25519, the public key the beacon advertises and JOINs are sealed to (paper step 1-2).
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { x25519Base } from '../../shared/src/crypto/index';
import { writeFileAtomic } from '../common/atomic-file';
import { readPrivateFile } from '../common/private-file';

export interface MssKeys {
  identityPublic: Uint8Array;
  boxSecret: Uint8Array;
  boxPublic: Uint8Array;
  /** Sign with the identity key (the secret never leaves this closure). */
  sign(message: Uint8Array): Uint8Array;
}

const FILE = 'mss-keys.json';

function rawEd25519Public(pub: KeyObject): Uint8Array {
  const jwk = pub.export({ format: 'jwk' }) as { x: string };
  return new Uint8Array(Buffer.from(jwk.x, 'base64url'));
}

function fromStored(identityPkcs8: Buffer, boxSecret: Uint8Array): MssKeys {
  if (boxSecret.length !== 32) throw new Error('corrupt ' + FILE + ': box secret must be 32 bytes');
  const priv = createPrivateKey({ key: identityPkcs8, format: 'der', type: 'pkcs8' });
  if (priv.asymmetricKeyType !== 'ed25519') throw new Error('corrupt ' + FILE + ': identity key is not Ed25519');
  return {
    identityPublic: rawEd25519Public(createPublicKey(priv)),
    boxSecret,
    boxPublic: x25519Base(boxSecret.slice()),
    sign: (m) => new Uint8Array(sign(null, Buffer.from(m), priv)),
  };
}

/** Load the keys from `dataDir`, creating them on first start. A key file others can read is refused (private-file.ts). */
export function loadOrCreateMssKeys(dataDir: string): MssKeys {
  const path = join(dataDir, FILE);
  if (existsSync(path)) {
    const text = readPrivateFile(path, 'utf8');
    let j: { version: number; identityPkcs8: string; boxSecret: string };
    try {
      j = JSON.parse(text);
    } catch (e) {
      throw new Error('cannot read ' + path + ': ' + (e as Error).message);
    }
    if (j.version !== 1 || typeof j.identityPkcs8 !== 'string' || typeof j.boxSecret !== 'string')
      throw new Error('corrupt ' + path + ': unknown format');
    return fromStored(Buffer.from(j.identityPkcs8, 'base64'), new Uint8Array(Buffer.from(j.boxSecret, 'base64')));
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  const box = new Uint8Array(randomBytes(32));
  writeFileAtomic(path, JSON.stringify({ version: 1, identityPkcs8: pkcs8.toString('base64'), boxSecret: Buffer.from(box).toString('base64') }));
  return fromStored(pkcs8, box);
}
