/**
 * Files that hold secrets (MSS keys, wallet, age identities, password and token files) are read only if
 * no one but their owner can read or write them — the rule OpenSSH applies to private keys: a key
 * another local user could have read must be treated as disclosed, so refuse it rather than use it.
 */
import { closeSync, fstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { HoodError } from './errors';

export class FilePermissionError extends HoodError<'permissions_too_open'> {
  constructor(readonly path: string, readonly mode: number) {
    super('permissions_too_open', 'permissions 0' + (mode & 0o777).toString(8).padStart(3, '0') + ' for ' + path + ' are too open; chmod 600 ' + path);
    this.name = 'FilePermissionError';
  }
}

function check(path: string, st: Stats): void {
  if (!st.isFile()) throw new Error(path + ' is not a regular file');
  if ((st.mode & 0o077) !== 0) throw new FilePermissionError(path, st.mode);
}

/** Read a secret file, checking the permissions of the very file descriptor that is read (no race with a swap). */
export function readPrivateFile(path: string): Buffer;
export function readPrivateFile(path: string, encoding: BufferEncoding): string;
export function readPrivateFile(path: string, encoding?: BufferEncoding): Buffer | string {
  const fd = openSync(path, 'r');
  try {
    check(path, fstatSync(fd));
    return encoding ? readFileSync(fd, encoding) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
