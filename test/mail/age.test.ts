/**
 * shared/src/age against the age spec (C2SP age) and against the real tools: Debian's `age` and the
 * age-encryption library must decrypt what our code encrypts (also inside the Espruino-profile VM),
 * and our decryptor must read what `age -e` writes and refuse every malformed or tampered file.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Decrypter, Encrypter, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { ageDecrypt, ageEncrypt, ageIdentityFromSecret, type AgeIdentity } from '../../shared/src/age/age';
import { armor, dearmor } from '../../shared/src/age/armor';
import { b64DecodeRaw, b64EncodeRaw } from '../../shared/src/age/base64';
import { bech32Decode, bech32Encode } from '../../shared/src/age/bech32';
import { encodeIdentity, encodeRecipient, parseIdentity, parseRecipient } from '../../shared/src/age/keys';
import { utf8Decode, utf8Encode } from '../../shared/src/bytes';
import { DELETE_GLOBALS_SRC, bundleForEspruino, espruinoSyntaxViolations } from '../crypto/espruino-bundle';
import { testDir } from '../helpers/temp-dir';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
let work: string;
let keyFile: string;
let alice: AgeIdentity;
let aliceRcpt: string;

beforeAll(() => {
  work = testDir('hood-age-');
  keyFile = join(work, 'key.txt');
  execFileSync('age-keygen', ['-o', keyFile], { stdio: 'pipe' }); // fails (not skips) without Debian age
  const text = readFileSync(keyFile, 'utf8');
  alice = ageIdentityFromSecret(parseIdentity(text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-1'))!));
  aliceRcpt = /# public key: (\S+)/.exec(text)![1];
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cliDecrypt(file: Uint8Array): { status: number | null; stdout: Buffer; stderr: string } {
  const f = join(work, 'in-' + randomBytes(4).toString('hex') + '.age');
  writeFileSync(f, file);
  const r = spawnSync('age', ['-d', '-i', keyFile, f]);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

describe('encodings', () => {
  it('bech32: BIP 173 valid strings decode, invalid ones are refused', () => {
    for (const s of ['A12UEL5L', 'a12uel5l', 'abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw', '?1ezyfcl'])
      expect(() => bech32Decode(s)).not.toThrow();
    for (const s of ['A1G7SGD8', 'a12UEL5L', 'x1b4n0q5v', 'li1dgmt3', '10a06t8', '1qzzfhee', 'a12uel5m', 'abc1\x7fgdzz'])
      expect(() => bech32Decode(s), s).toThrow(/bad_bech32/);
    const d = rnd(32);
    expect(bech32Decode(bech32Encode('age', d)).data).toEqual(d);
  });

  it('age keys: the spec example identity yields the spec example recipient', () => {
    const id = parseIdentity('AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX');
    expect(Array.from(id).every((b) => b === 0x42)).toBe(true);
    expect(encodeRecipient(ageIdentityFromSecret(id).publicKey)).toBe('age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj');
    expect(encodeIdentity(id)).toBe('AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX');
    expect(encodeRecipient(alice.publicKey)).toBe(aliceRcpt); // agrees with age-keygen
  });

  it('invalid recipients are refused with a reason', () => {
    const good = aliceRcpt;
    const bad = [
      '',
      'age1',
      good.slice(0, -1) + (good.endsWith('q') ? 'p' : 'q'), // checksum
      good.toUpperCase(), // recipients are lower case
      good.replace('age1', 'agf1'),
      bech32Encode('age', rnd(31)), // wrong length
      'AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX', // an identity, not a recipient
      'age1' + 'q'.repeat(300),
    ];
    for (const s of bad) expect(() => parseRecipient(s), s).toThrow(/bad_recipient/);
  });

  it('base64 is canonical and unpadded; non-canonical, padded and foreign input is refused', () => {
    for (let n = 0; n < 40; n++) {
      const b = rnd(n);
      expect(b64DecodeRaw(b64EncodeRaw(b))).toEqual(b);
      expect(b64EncodeRaw(b)).toBe(Buffer.from(b).toString('base64').replace(/=+$/, ''));
    }
    for (const s of ['AB', 'AAB', 'A', 'AA==', 'AA=', 'A-B_', 'AB C']) expect(() => b64DecodeRaw(s), s).toThrow(/bad_base64/);
  });

  it('armor round-trips and is strict', () => {
    const f = rnd(200);
    expect(dearmor(armor(f))).toEqual(f);
    expect(dearmor('\n  ' + armor(f).replace(/\n/g, '\r\n') + '\n')).toEqual(f);
    const a = armor(f).split('\n');
    expect(() => dearmor([a[0], a[1].slice(1), ...a.slice(2)].join('\n'))).toThrow(/bad_armor/);
    expect(() => dearmor('junk' + armor(f))).toThrow(/bad_armor/);
  });
});

describe('age v1 interoperability', () => {
  it('Debian age and the age-encryption library decrypt our files (empty, small, exactly one chunk, multi-chunk)', async () => {
    const lib = await generateX25519Identity();
    const libRcpt = parseRecipient(await identityToRecipient(lib));
    for (const n of [0, 1, 300, 65536, 65537, 200_000]) {
      const pt = rnd(n);
      const f = ageEncrypt([parseRecipient(aliceRcpt), libRcpt], pt, rnd);
      const r = cliDecrypt(f);
      expect(r.stderr, 'size ' + n).toBe('');
      expect(new Uint8Array(r.stdout)).toEqual(pt);
      const d = new Decrypter();
      d.addIdentity(lib);
      expect(await d.decrypt(f)).toEqual(pt);
    }
  });

  it('we decrypt what `age -e` and the age-encryption library write', async () => {
    for (const n of [0, 5, 65536, 131073]) {
      const pt = rnd(n);
      const p = join(work, 'pt');
      writeFileSync(p, pt);
      const f = new Uint8Array(execFileSync('age', ['-e', '-r', aliceRcpt, '-r', 'age1zvkyg2lqzraa2lnjvqej32nkuu0ues2s82hzrye869xeexvn73equnujwj', p]));
      expect(ageDecrypt(f, [alice])).toEqual(pt);
    }
    const e = new Encrypter();
    e.addRecipient(aliceRcpt);
    expect(utf8Decode(ageDecrypt(await e.encrypt('from typage'), [alice]))).toBe('from typage');
  });

  it('runs in an Espruino-stripped VM (esbuild bundle of shared/src/age) and Debian age reads the result', async () => {
    const code = await bundleForEspruino(`
      import { ageEncrypt, ageDecrypt, ageIdentityFromSecret } from './shared/src/age/age';
      import { parseRecipient } from './shared/src/age/keys';
      import { utf8Encode } from './shared/src/bytes';
      declare const hood: any;
      hood.enc = function (r: string, text: string, rand: (n: number) => Uint8Array) { return ageEncrypt([parseRecipient(r)], utf8Encode(text), rand); };
    `);
    expect(espruinoSyntaxViolations(code)).toEqual([]);
    const ctx = vm.createContext({ hood: {} });
    vm.runInContext(DELETE_GLOBALS_SRC, ctx);
    vm.runInContext(code, ctx);
    const VmU8 = vm.runInContext('Uint8Array', ctx) as Uint8ArrayConstructor;
    const rand = (n: number) => {
      const o = new VmU8(n);
      o.set(randomBytes(n));
      return o;
    };
    const out = (ctx.hood as { enc: (r: string, t: string, rand: (n: number) => Uint8Array) => Uint8Array }).enc(aliceRcpt, 'made in the VM ✓', rand);
    const r = cliDecrypt(new Uint8Array(out));
    expect(r.stderr).toBe('');
    expect(r.stdout.toString('utf8')).toBe('made in the VM ✓');
  });
});

describe('age decryption refuses bad files', () => {
  const make = (n = 100) => ageEncrypt([alice.publicKey], rnd(n), rnd);
  const text = (f: Uint8Array) => Buffer.from(f).toString('latin1');
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));

  it('wrong identity, tampered MAC, header, payload, truncation, extension', () => {
    const f = make();
    const other = ageIdentityFromSecret(rnd(32));
    expect(() => ageDecrypt(f, [other])).toThrow(/no_identity_matched/);
    const macAt = text(f).indexOf('--- ') + 4;
    const t1 = f.slice();
    t1[macAt] = t1[macAt] === 65 ? 66 : 65;
    expect(() => ageDecrypt(t1, [alice])).toThrow(/bad_age_mac|bad_base64/);
    const t2 = f.slice();
    t2[t2.length - 1] ^= 1;
    expect(() => ageDecrypt(t2, [alice])).toThrow(/bad_age_payload/);
    expect(() => ageDecrypt(f.subarray(0, f.length - 1), [alice])).toThrow(/bad_age_payload/);
    const hdrEnd = text(f).indexOf('\n', macAt) + 1;
    expect(() => ageDecrypt(f.subarray(0, hdrEnd + 10), [alice])).toThrow(/bad_age_payload/);
    expect(() => ageDecrypt(new Uint8Array([...f, 0]), [alice])).toThrow(/bad_age_payload/);
  });

  it('a stream cut at a chunk boundary (no final chunk) is refused', () => {
    const f = ageEncrypt([alice.publicKey], rnd(65536 * 2), rnd);
    const hdrEnd = text(f).indexOf('\n', text(f).indexOf('--- ')) + 1;
    const cut = f.subarray(0, hdrEnd + 16 + 65536 + 16); // first (non-final) chunk only
    expect(() => ageDecrypt(cut, [alice])).toThrow(/final chunk/);
  });

  it('malformed headers', () => {
    const f = text(make());
    const cases: [string, RegExp][] = [
      [f.replace('age-encryption.org/v1', 'age-encryption.org/v2'), /not an age v1 file/],
      [f.replace('-> X25519 ', '-> X25519  '), /empty stanza argument/],
      [f.replace(/-> X25519 (\S+)/, '-> X25519 $1 extra'), /2 arguments/],
      [f.replace(/-> X25519 (\S+)/, (_m, a) => '-> X25519 ' + a + 'AAAA'), /share length/],
      [f.replace(/\n---/, '\n-- '), /stanza|MAC/],
      ['age-encryption.org/v1\n--- ' + 'A'.repeat(43) + '\n', /no recipient stanza/],
      [f.slice(0, 30), /not terminated/],
      ['age-encryption.org/v1\n' + '-> x\n\n'.repeat(20) + '--- ' + 'A'.repeat(43) + '\n', /too many stanzas/],
    ];
    for (const [s, re] of cases) expect(() => ageDecrypt(bytes(s), [alice]), s.slice(0, 60)).toThrow(re);
    // A body line longer than 64 columns.
    const long = f.replace(/(-> X25519 \S+\n)(\S+)/, (_m, a, b) => a + b + 'A'.repeat(30));
    expect(() => ageDecrypt(bytes(long), [alice])).toThrow(/bad stanza body line|X25519 body length/);
  });

  it('an all-zero (low-order) ephemeral share aborts, as the spec requires', () => {
    const f = text(make()).replace(/-> X25519 \S+/, '-> X25519 ' + b64EncodeRaw(new Uint8Array(32)));
    expect(() => ageDecrypt(bytes(f), [alice])).toThrow(/low-order/);
  });

  it('a size limit is enforced before parsing', () => {
    expect(() => ageDecrypt(make(5000), [alice], 1000)).toThrow(/too_long/);
  });

  it('encryption to a low-order recipient key is refused', () => {
    expect(() => ageEncrypt([new Uint8Array(32)], utf8Encode('x'), rnd)).toThrow(/low-order/);
  });
});
