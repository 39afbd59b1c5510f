/**
 * `hood recipient keygen|open|reply` as Alice runs them (child processes), against a real MSS mail
 * service on loopback: the key file is one stock `age` reads, `open` reads the mail the MSS sent, and
 * `reply` reaches Bob's drop box encrypted to his reply key only.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../host/mss/core';
import { readMaildir } from '../../host/mail/maildir';
import { ageDecrypt, ageEncrypt, ageIdentityFromSecret } from '../../shared/src/age/age';
import { encodeRecipient, parseRecipient } from '../../shared/src/age/keys';
import { utf8Decode } from '../../shared/src/bytes';
import { CH_MAIL_CTRL_DOWN, CH_MAIL_CTRL_UP, CH_MAIL_DELIVER, CH_MAIL_SEND } from '../../shared/src/mail/constants';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { Reassembler, fragment } from '../../shared/src/mail/fragment';
import { encodeLetter, parseLetter } from '../../shared/src/mail/letter';
import { decodeDeliver, decodeStatus, encodeBox, encodePickup, encodeSend } from '../../shared/src/mail/payloads';
import { DOMAIN, startMailGateway } from './helpers';
import { testDir } from '../helpers/temp-dir';

const run = promisify(execFile);
const hood = (...args: string[]) => run(process.execPath, ['bin/hood.js', ...args], { timeout: 30_000, killSignal: 'SIGKILL' });
const rnd = (n: number) => new Uint8Array(randomBytes(n));

let g: Awaited<ReturnType<typeof startMailGateway>>;
let work: string;
beforeAll(async () => {
  g = await startMailGateway();
  work = testDir('hood-recipient-');
});
afterAll(async () => {
  await g.stop();
  rmSync(work, { recursive: true, force: true });
});

function ctxFor(tmpId: string) {
  const out: { channel: number; payload: Uint8Array }[] = [];
  const ctx: ServiceContext = { tmpId, state: {}, reply: (channel, payload) => out.push({ channel, payload }), settled: () => true, changed: () => {} };
  return { ctx, out };
}

describe('hood recipient', () => {
  it('keygen writes a standard age key file', async () => {
    const key = join(work, 'k1.txt');
    const { stdout } = await hood('recipient', 'keygen', '-o', key);
    expect(stdout.trim()).toMatch(/^age1[a-z0-9]{58}$/);
    expect(execFileSync('age-keygen', ['-y', key]).toString().trim()).toBe(stdout.trim());
    await expect(hood('recipient', 'keygen', '-o', key)).rejects.toThrow(/exists/);
  });

  it('open reads the mail the MSS sent; reply lands in the drop box, readable only with the reply key', async () => {
    const key = join(work, 'alice.txt');
    const alice = (await hood('recipient', 'keygen', '-o', key)).stdout.trim();
    // Bob's side, as the firmware does it (the e2e test runs the real firmware): letter with a reply key, SEND, BOX.
    const bob = ageIdentityFromSecret(rnd(32));
    const secret = rnd(32);
    const tmpId = 'bobbobbobbobbobb';
    const { ctx, out } = ctxFor(tmpId);
    const [sendSvc, ctrlSvc] = [CH_MAIL_SEND, CH_MAIL_CTRL_UP].map((c) => g.mail.services.find((s) => s.channel === c)!);
    const box = deriveBox(secret);
    ctrlSvc.onData(ctx, encodeBox(box.boxId, box.boxKey));
    const letter = encodeLetter([['Subject', 'from bob'], ['Reply-Recipient', encodeRecipient(bob.publicKey)]], 'hello Alice');
    const before = readMaildir(g.mail.localMaildir).length;
    for (const f of fragment(rnd(8), encodeSend({ to: 'alice@example.org', age: ageEncrypt([parseRecipient(alice)], letter, rnd) }), 468))
      sendSvc.onData(ctx, f);
    await expect.poll(() => readMaildir(g.mail.localMaildir).length, { timeout: 10_000 }).toBe(before + 1);
    sendSvc.onEnd!(tmpId); // Bob's session ends before Alice answers
    const eml = join(work, 'msg.eml');
    writeFileSync(eml, readMaildir(g.mail.localMaildir).at(-1)!.raw);

    const opened = JSON.parse((await hood('recipient', 'open', '-i', key, '--json', eml)).stdout);
    expect(opened).toEqual({ replyTo: tmpId + '@' + DOMAIN, subject: 'from bob', replyRecipient: encodeRecipient(bob.publicKey), from: '', body: 'hello Alice' });
    // The plain `age` tool opens the same message from the same key file.
    const armored = readFileSync(eml, 'utf8').slice(readFileSync(eml, 'utf8').indexOf('-----BEGIN'));
    const viaAge = spawnSync('age', ['-d', '-i', key], { input: armored });
    expect(viaAge.status).toBe(0);
    expect(viaAge.stdout.toString()).toContain('hello Alice');

    const inbound = g.mail.inboundAddress!;
    const sent = JSON.parse(
      (await hood('recipient', 'reply', '-i', key, '--original', eml, '--from', 'alice@example.org', '--smtp', `${inbound.host}:${inbound.port}`, '--body', 'hi Bob', '--json')).stdout,
    );
    expect(sent).toMatchObject({ sent: true, to: tmpId + '@' + DOMAIN });
    expect(sent.response).toMatch(/drop box/);

    // A later session picks it up with the secret; only Bob's reply key opens it.
    const later = ctxFor('laterlaterlater2');
    ctrlSvc.onData(later.ctx, encodePickup(0, secret));
    const rx = new Reassembler();
    let age: Uint8Array | null = null;
    for (const o of later.out) {
      if (o.channel !== CH_MAIL_DELIVER) continue;
      const r = rx.add(o.payload, Date.now());
      if (r.done) age = decodeDeliver(r.message).age;
    }
    expect(age).not.toBeNull();
    expect(decodeStatus(later.out.at(-1)!.payload)).toMatchObject({ count: 1 });
    expect(later.out.at(-1)!.channel).toBe(CH_MAIL_CTRL_DOWN);
    const l = parseLetter(ageDecrypt(age!, [bob]));
    expect(l.headers).toMatchObject({ from: 'alice@example.org', subject: 'Re: from bob' });
    expect(l.body).toBe('hi Bob');
    expect(() => ageDecrypt(age!, [ageIdentityFromSecret(rnd(32))])).toThrow(/no_identity_matched/);
    expect(utf8Decode(age!.subarray(0, 21))).toBe('age-encryption.org/v1');
    void out;
  });

  it('reply refuses an original without a reply key; open refuses a wrong key', async () => {
    const key = join(work, 'a3.txt');
    const other = join(work, 'a4.txt');
    const rcpt = (await hood('recipient', 'keygen', '-o', key)).stdout.trim();
    await hood('recipient', 'keygen', '-o', other);
    const f = join(work, 'noreply.age');
    writeFileSync(f, ageEncrypt([parseRecipient(rcpt)], encodeLetter([['Subject', 's']], 'b'), rnd));
    await expect(hood('recipient', 'reply', '-i', key, '--original', f, '--from', 'a@example.org', '--smtp', '127.0.0.1:1', '--to', 'x@y.z', '--body', 'x')).rejects.toThrow(
      /no Reply-Recipient key/,
    );
    await expect(hood('recipient', 'open', '-i', other, f)).rejects.toThrow(/no identity matched/);
  });
});
