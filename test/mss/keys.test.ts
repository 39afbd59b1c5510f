import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../shared/src/bytes';
import { ed25519Verify, x25519Base } from '../../shared/src/crypto/index';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { testDir } from '../helpers/temp-dir';

describe('MSS keys in the data dir', () => {
  it('are created once, kept with mode 0600, and the same after a restart', () => {
    const dir = testDir('hood-keys-');
    const a = loadOrCreateMssKeys(dir);
    const st = statSync(join(dir, 'mss-keys.json'));
    expect(st.mode & 0o777).toBe(0o600);
    const b = loadOrCreateMssKeys(dir);
    expect(toHex(b.identityPublic)).toBe(toHex(a.identityPublic));
    expect(toHex(b.boxPublic)).toBe(toHex(a.boxPublic));
    expect(toHex(b.boxPublic)).toBe(toHex(x25519Base(b.boxSecret.slice())));
    const msg = new Uint8Array([1, 2, 3]);
    expect(ed25519Verify(a.sign(msg), msg, b.identityPublic)).toBe(true);
  });

  it('refuses a corrupt key file with a clear error instead of making new keys', () => {
    const dir = testDir('hood-keys-');
    writeFileSync(join(dir, 'mss-keys.json'), '{"version":1,"identityPkcs8":"AAAA","boxSecret":"AAAA"}', { mode: 0o600 });
    expect(() => loadOrCreateMssKeys(dir)).toThrow(/corrupt|box secret/);
    writeFileSync(join(dir, 'mss-keys.json'), 'not json');
    expect(() => loadOrCreateMssKeys(dir)).toThrow(/cannot read/);
    expect(readFileSync(join(dir, 'mss-keys.json'), 'utf8')).toBe('not json'); // untouched
  });
});
