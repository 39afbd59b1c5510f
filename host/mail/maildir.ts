/**
 * A minimal Maildir writer/reader (the layout of https://cr.yp.to/proto/maildir.html: write into
 * tmp/, then rename into new/, so a reader never sees half a message). The embedded default
 * "smarthost" stores outbound mail here, so the MSS works without any mail server.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export function ensureMaildir(dir: string): void {
  for (const d of ['tmp', 'new', 'cur']) mkdirSync(join(dir, d), { recursive: true, mode: 0o700 });
}

export function deliverToMaildir(dir: string, message: Uint8Array): string {
  ensureMaildir(dir);
  const name = `${Date.now()}.${randomBytes(8).toString('hex')}.hood`;
  const tmp = join(dir, 'tmp', name);
  writeFileSync(tmp, message, { mode: 0o600 });
  renameSync(tmp, join(dir, 'new', name));
  return name;
}

/** Messages in new/ (oldest first), as raw bytes. */
export function readMaildir(dir: string): { name: string; raw: Buffer }[] {
  let names: string[];
  try {
    names = readdirSync(join(dir, 'new'));
  } catch {
    return [];
  }
  return names.sort().map((name) => ({ name, raw: readFileSync(join(dir, 'new', name)) }));
}
