/**
 * Alice's age identity in the standard age key-file format (what `age-keygen` writes), so the stock
 * `age -d -i key.txt` reads the same file:
 *   # created: <RFC 3339 time>
 *   # public key: age1…
 *   AGE-SECRET-KEY-1…
 */
import { randomBytes } from 'node:crypto';
import { ageIdentityFromSecret, type AgeIdentity } from '../../shared/src/age/age';
import { encodeIdentity, encodeRecipient, parseIdentity } from '../../shared/src/age/keys';
import { readPrivateFile } from '../common/private-file';

export interface GeneratedKey {
  recipient: string;
  /** Contents of the key file (secret: write it with mode 0600). */
  keyFile: string;
}

export function generateKey(now = new Date()): GeneratedKey {
  const secret = new Uint8Array(randomBytes(32));
  const id = ageIdentityFromSecret(secret);
  const recipient = encodeRecipient(id.publicKey);
  const keyFile = `# created: ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# public key: ${recipient}\n${encodeIdentity(secret)}\n`;
  secret.fill(0);
  return { recipient, keyFile };
}

/** Every identity in a key file (comments and blank lines ignored; anything else is an error). */
export function parseKeyFile(text: string): AgeIdentity[] {
  const ids: AgeIdentity[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '' || l.startsWith('#')) continue;
    if (!l.startsWith('AGE-SECRET-KEY-1')) throw new Error(`key file line ${i + 1}: not an age X25519 identity`);
    ids.push(ageIdentityFromSecret(parseIdentity(l)));
  }
  if (ids.length === 0) throw new Error('key file holds no identity');
  return ids;
}

/** Read and parse a key file; one that others can read is refused (private-file.ts), as ssh refuses such a key. */
export function readKeyFile(path: string): AgeIdentity[] {
  return parseKeyFile(readPrivateFile(path, 'utf8'));
}

export function recipientOf(id: AgeIdentity): string {
  return encodeRecipient(id.publicKey);
}
