/**
 * Secret files (MSS keys, the wallet, age identities, password and token files) are refused at load when
 * their group or other permission bits are set — ssh's rule for private keys — and read when 0600/0400.
 */
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FilePermissionError, readPrivateFile } from '../../host/common/private-file';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { generateKey, readKeyFile } from '../../host/recipient/keys';
import { WalletStore } from '../../host/wallet/store';
import { testDir } from '../helpers/temp-dir';

const dirs: string[] = [];
const tmp = () => {
  const d = testDir('hood-priv-');
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const tooOpen = (path: string, mode: number) =>
  new RegExp('^permissions 0' + mode.toString(8) + ' for ' + path.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') + ' are too open; chmod 600 ');

describe('secret files with group/other permissions are refused', () => {
  it('mss-keys.json: 0644 refused with the chmod hint, 0600 accepted (same keys)', () => {
    const dir = tmp();
    const a = loadOrCreateMssKeys(dir);
    const path = join(dir, 'mss-keys.json');
    chmodSync(path, 0o644);
    expect(() => loadOrCreateMssKeys(dir)).toThrow(tooOpen(path, 0o644));
    chmodSync(path, 0o600);
    expect(Buffer.from(loadOrCreateMssKeys(dir).identityPublic)).toEqual(Buffer.from(a.identityPublic));
    chmodSync(path, 0o400);
    expect(Buffer.from(loadOrCreateMssKeys(dir).identityPublic)).toEqual(Buffer.from(a.identityPublic));
  });

  it('an age identity file: 0644 refused, 0600 accepted', () => {
    const path = join(tmp(), 'alice.key');
    const k = generateKey();
    writeFileSync(path, k.keyFile, { mode: 0o644 });
    chmodSync(path, 0o644); // whatever the umask
    expect(() => readKeyFile(path)).toThrow(tooOpen(path, 0o644));
    chmodSync(path, 0o600);
    expect(readKeyFile(path)).toHaveLength(1);
  });

  it('the wallet file (bearer e-cash): 0640 refused, 0600 accepted', async () => {
    const path = join(tmp(), 'wallet.json');
    const s = new WalletStore(path);
    await s.update((st) => void st.exported.push({ token: 't', amount: 1, mint: 'm', at: 1 }));
    chmodSync(path, 0o640);
    expect(() => new WalletStore(path)).toThrow(tooOpen(path, 0o640));
    chmodSync(path, 0o600);
    expect(new WalletStore(path).state.exported).toHaveLength(1);
  });

  it('every mode with a group or other bit is refused; every owner-only mode is read (fast-check)', () => {
    const path = join(tmp(), 'secret');
    writeFileSync(path, 'x', { mode: 0o600 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0o777 }), (mode) => {
        chmodSync(path, mode);
        const open = (mode & 0o077) !== 0;
        let err: unknown = null;
        try {
          readPrivateFile(path, 'utf8');
        } catch (e) {
          err = e;
        }
        if (open) {
          expect(err).toBeInstanceOf(FilePermissionError);
          expect((err as Error).message).toBe('permissions 0' + mode.toString(8).padStart(3, '0') + ' for ' + path + ' are too open; chmod 600 ' + path);
        } else if (mode & 0o400 || process.getuid?.() === 0) expect(err).toBeNull();
      }),
      { numRuns: 200 },
    );
    chmodSync(path, 0o600);
  });

  it('a directory or a missing file is an error, not an empty secret', () => {
    const d = tmp();
    expect(() => readPrivateFile(d)).toThrow(/not a regular file|EISDIR/);
    expect(() => readPrivateFile(join(d, 'missing'))).toThrow(/ENOENT/);
  });
});
