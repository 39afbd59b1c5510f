/**
 * The MSS splits every drop-box entry over k exchange servers (docs/exchange.md §2): a reply to an
 * ended TmpId comes in over SMTP, the MSS answers 250, splits the sealed entry over 3 running
 * exchange servers and drops its own copy once all 3 acknowledged. No single server's share equals or
 * reveals the entry; a pickup round (every bucket, every slot, every server) combines the three
 * answers back into the reply, and the MSS's PICKUP releases the shares only after it. Also: a server that is down keeps the entry local,
 * and `--exchange` is refused unless it names at least 2 servers with private token files.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMailOptions, mailOptionsFromCli } from '../../host/cli/commands/mail';
import { silentLogger } from '../../host/common/log';
import { ExchangeClient, ShareUploader } from '../../host/exchange/client';
import type { ExchangeBackend } from '../../host/exchange/dropbox-backend';
import { startExchangeServer, type RunningExchange } from '../../host/exchange/server';
import { ShareStore } from '../../host/exchange/store';
import { mailServiceFromOptions } from '../../host/mail/options';
import type { MailService } from '../../host/mail/service';
import { MssGateway } from '../../host/mss/gateway';
import { ageEncrypt } from '../../shared/src/age/age';
import { armor } from '../../shared/src/age/armor';
import { DecodeError, toHex, utf8Encode } from '../../shared/src/bytes';
import { open } from '../../shared/src/crypto/index';
import { exchangeKeyFromSecret, pickupPseudonyms } from '../../shared/src/exchange/pseudonym';
import { BUCKETS, combineShares } from '../../shared/src/exchange/shares';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { smtpDialog } from '../mail/smtp-raw';
import { testDir } from '../helpers/temp-dir';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const DOMAIN = 'mss.test';

interface Exchange {
  store: ShareStore;
  ex: RunningExchange;
  tokenFile: string;
  client: ExchangeClient;
}

async function startOne(dir: string): Promise<Exchange> {
  const store = ShareStore.open(dir);
  const token = store.addMss('doug');
  const tokenFile = join(dir, 'doug.token');
  writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
  const ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 3600, log: silentLogger() });
  return { store, ex, tokenFile, client: new ExchangeClient({ url: ex.url, token }) };
}

/**
 * A pickup round from outside the MSS: ask every server for every slot in every bucket, combine
 * slot by slot, keep what opens under boxKey (releases nothing). Returns the raw records too.
 */
async function pickupRound(secret: Uint8Array, servers: Exchange[]) {
  const key = exchangeKeyFromSecret(secret);
  const { boxId, boxKey } = deriveBox(secret);
  const ids = await Promise.all(servers.map((s) => s.client.info().then((i) => i.id)));
  const ages: Uint8Array[] = [];
  const records: Uint8Array[][][] = [];
  for (const bucket of BUCKETS) {
    const answers = await Promise.all(servers.map((s, j) => s.client.pickup(bucket, pickupPseudonyms(key, ids[j]))));
    records.push(answers);
    for (let slot = 0; slot < answers[0].length; slot++) {
      let entry: Uint8Array;
      try {
        entry = combineShares(answers.map((a) => a[slot]));
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        continue;
      }
      const age = entry.length > 12 ? open(boxKey, entry.subarray(0, 12), entry.subarray(12), boxId) : null;
      if (age) ages.push(age);
    }
  }
  return { ages, records };
}

describe('MSS drop box split over 3 exchange servers', () => {
  let servers: Exchange[];
  let mail: MailService;
  let gw: MssGateway;
  let mssDir: string;

  beforeAll(async () => {
    servers = [];
    for (let i = 0; i < 3; i++) servers.push(await startOne(testDir('hood-exchange-mss-' + i + '-')));
    mssDir = testDir('hood-exchange-mssdata-');
    mail = await mailServiceFromOptions({
      dataDir: mssDir,
      log: silentLogger(),
      mssId: 'doug',
      mailDomain: DOMAIN,
      smtpListen: '127.0.0.1:0',
      mixMeanDelaySec: 0,
      exchange: servers.map((s) => s.ex.url + '=' + s.tokenFile),
    });
    // A real MSS in front: inbound SMTP routes by its sessions, then the drop box.
    gw = await MssGateway.start({
      dataDir: mssDir,
      log: silentLogger(),
      listen: { host: '127.0.0.1', port: 0 },
      config: { extensions: mail.beaconExtensions() },
      services: mail.services,
      tickMs: 200,
    });
    mail.attach(gw.core);
  });
  afterAll(async () => {
    await gw.stop();
    await mail.stop();
    for (const s of servers) {
      await s.ex.close();
      s.store.close();
    }
  });

  const boxFiles = (boxId: Uint8Array): string[] => {
    try {
      return readdirSync(join(mssDir, 'mail', 'dropbox', toHex(boxId))).filter((n) => n.endsWith('.box'));
    } catch {
      return [];
    }
  };

  const reply = async (tmpId: string, text: string): Promise<string> => {
    const age = ageEncrypt([rnd(32)], utf8Encode(text), rnd);
    const a = mail.inboundAddress!;
    const r = await smtpDialog(a.host, a.port, [
      'EHLO client.test\r\n',
      'MAIL FROM:<alice@example.org>\r\n',
      `RCPT TO:<${tmpId}@${DOMAIN}>\r\n`,
      'DATA\r\n',
      'Subject: re\r\n\r\n' + armor(age) + '\r\n.\r\n',
      'QUIT\r\n',
    ]);
    expect(r[5]).toMatch(/^250 .*drop box/);
    return hex(age);
  };

  /** PICKUP as the MSS runs it (docs/exchange.md §3): one round over the 3 servers, then released. */
  const collect = async (secret: Uint8Array): Promise<string[]> => {
    const r = await mail.dropBox.collect(secret, () => true);
    expect(r!.complete).toBe(true);
    // As the mail service does once the PDA acknowledged every entry.
    r!.commit();
    // Released after the entries were handed on: a further round finds nothing for this box.
    await expect.poll(async () => (await pickupRound(secret, servers)).ages.length, { timeout: 10_000, interval: 50 }).toBe(0);
    return r!.ages.map(hex);
  };

  it('a reply to an ended TmpId is split: no server alone holds or reveals it, the three together give it back', async () => {
    const secret = rnd(32);
    const { boxId, boxKey } = deriveBox(secret);
    const tmpId = 'bbbbbbbbbbbbbbbb';
    expect(mail.dropBox.register(tmpId, boxId, boxKey)).toBe(true);
    mail.dropBox.sessionEnded(tmpId);
    const sent = [await reply(tmpId, 'first reply'), await reply(tmpId, 'second reply, a little longer')];

    // The MSS keeps nothing once all 3 acknowledged.
    await expect.poll(() => boxFiles(boxId).length, { timeout: 15_000, interval: 50 }).toBe(0);
    for (const s of servers) expect(s.store.usage()).toEqual({ entries: 2, bytes: 2 * 1024 });
    expect(mail.dropBox.pickup(secret)).toEqual([]);

    // Each server's shares, looked at alone: none equals, contains or XORs with another server's into the entry.
    const { ages, records } = await pickupRound(secret, servers);
    expect(ages.map(hex).sort()).toEqual(sent.slice().sort());
    const small = records[0]; // the 1 KiB bucket: [server][slot]
    for (const slot of [0, 1]) {
      const entryPadded = (() => {
        const acc = new Uint8Array(1024);
        for (const s of small) for (let i = 0; i < 1024; i++) acc[i] ^= s[slot][i];
        return acc;
      })();
      const n = (entryPadded[0] << 24) | (entryPadded[1] << 16) | (entryPadded[2] << 8) | entryPadded[3];
      const age = open(boxKey, entryPadded.subarray(4, 16), entryPadded.subarray(16, 4 + n), boxId);
      expect(age !== null && sent.includes(hex(age))).toBe(true);
      for (let j = 0; j < 3; j++) {
        const share = small[j][slot];
        expect(hex(share)).not.toBe(hex(entryPadded));
        // Neither the sealed entry's first 32 bytes nor its nonce shows up inside a single share.
        expect(Buffer.from(share).includes(Buffer.from(entryPadded.subarray(4, 36)))).toBe(false);
        // Any two shares (k−1 of 3) still do not combine to the entry.
        const other = small[(j + 1) % 3][slot];
        expect(() => combineShares([share, other])).toThrow(DecodeError);
      }
    }
    // A round deletes nothing; the MSS's PICKUP collects and then releases: the servers are empty.
    for (const s of servers) expect(s.store.usage().entries).toBe(2);
    expect((await collect(secret)).sort()).toEqual(sent.slice().sort());
    for (const s of servers) expect(s.store.usage().entries).toBe(0);
    expect(await collect(secret)).toEqual([]);
  });

  it('one slot per entry: the 9th reply to a box is refused (452), large replies go to a larger bucket', async () => {
    const secret = rnd(32);
    const { boxId, boxKey } = deriveBox(secret);
    const tmpId = 'eeeeeeeeeeeeeeee';
    mail.dropBox.register(tmpId, boxId, boxKey);
    mail.dropBox.sessionEnded(tmpId);
    const sent: string[] = [];
    for (let i = 0; i < 8; i++) sent.push(await reply(tmpId, (i === 3 ? 'x'.repeat(3000) : 'reply ') + i));
    await expect.poll(() => boxFiles(boxId).length, { timeout: 15_000, interval: 50 }).toBe(0);
    const a = mail.inboundAddress!;
    const age = ageEncrypt([rnd(32)], utf8Encode('one too many'), rnd);
    const r = await smtpDialog(a.host, a.port, ['EHLO c\r\n', 'MAIL FROM:<a@example.org>\r\n', `RCPT TO:<${tmpId}@${DOMAIN}>\r\n`, 'DATA\r\n', 'Subject: x\r\n\r\n' + armor(age) + '\r\n.\r\n', 'QUIT\r\n']);
    expect(r[5]).toMatch(/^452 .*drop box full/);
    for (const s of servers) expect(s.store.usage()).toEqual({ entries: 8, bytes: 7 * 1024 + 4096 });
    expect((await collect(secret)).sort()).toEqual(sent.slice().sort());
  });

  it('the same box registered again keeps counting slots: no slot is used twice', async () => {
    const secret = rnd(32);
    const { boxId, boxKey } = deriveBox(secret);
    const tmpId = 'ffffffffffffffff';
    mail.dropBox.register(tmpId, boxId, boxKey);
    mail.dropBox.sessionEnded(tmpId);
    const first = await reply(tmpId, 'before the second BOX');
    await expect.poll(() => boxFiles(boxId).length, { timeout: 15_000, interval: 50 }).toBe(0);
    mail.dropBox.register(tmpId, boxId, boxKey);
    mail.dropBox.sessionEnded(tmpId);
    const second = await reply(tmpId, 'after the second BOX');
    await expect.poll(() => boxFiles(boxId).length, { timeout: 15_000, interval: 50 }).toBe(0);
    expect((await collect(secret)).sort()).toEqual([first, second].sort());
  });

  it('the pseudonyms of one entry differ on every server (two servers cannot link them)', async () => {
    const key = exchangeKeyFromSecret(rnd(32));
    const ids = await Promise.all(servers.map((s) => s.client.info().then((i) => i.id)));
    expect(new Set(ids).size).toBe(3);
    const all = ids.flatMap((id) => pickupPseudonyms(key, id).map(hex));
    expect(new Set(all).size).toBe(all.length);
  });

  it('a server that is down: 250 still, the entry stays local (collectable) and goes out once the server is back', async () => {
    const secret = rnd(32);
    const { boxId, boxKey } = deriveBox(secret);
    const tmpId = 'cccccccccccccccc';
    mail.dropBox.register(tmpId, boxId, boxKey);
    mail.dropBox.sessionEnded(tmpId);
    const port = Number(new URL(servers[2].ex.url).port);
    await servers[2].ex.close();
    let restarted = false;
    try {
      const sent = await reply(tmpId, 'kept while the third server is away');
      const backend = (mail.dropBox as unknown as { backend: ExchangeBackend }).backend;
      await expect.poll(() => servers[0].store.usage().entries + servers[1].store.usage().entries, { timeout: 5000 }).toBe(2);
      expect(backend.inFlight).toBe(1);
      expect(boxFiles(boxId)).toHaveLength(1);
      // Back on the same address: the retry sends the same share, the MSS drops its copy.
      servers[2].ex = await startExchangeServer({ store: servers[2].store, listen: { host: '127.0.0.1', port }, retentionSec: 3600, log: silentLogger() });
      restarted = true;
      await expect.poll(() => boxFiles(boxId).length, { timeout: 15_000, interval: 100 }).toBe(0);
      expect(backend.inFlight).toBe(0);
      expect(await collect(secret)).toEqual([sent]);
    } finally {
      if (!restarted) servers[2].ex = await startExchangeServer({ store: servers[2].store, listen: { host: '127.0.0.1', port }, retentionSec: 3600, log: silentLogger() });
    }
  });

  it('while the upload is pending the local pickup still works (the entry is not lost)', async () => {
    const secret = rnd(32);
    const { boxId, boxKey } = deriveBox(secret);
    const tmpId = 'dddddddddddddddd';
    mail.dropBox.register(tmpId, boxId, boxKey);
    mail.dropBox.sessionEnded(tmpId);
    const port = Number(new URL(servers[1].ex.url).port);
    await servers[1].ex.close();
    try {
      const sent = await reply(tmpId, 'collected from the MSS itself');
      expect(mail.dropBox.pickup(secret).map(hex)).toEqual([sent]);
    } finally {
      servers[1].ex = await startExchangeServer({ store: servers[1].store, listen: { host: '127.0.0.1', port }, retentionSec: 3600, log: silentLogger() });
    }
  });
});

describe('--exchange configuration', () => {
  it('hood mss parses repeated --exchange into the mail options', () => {
    const cmd = addMailOptions(new Command('mss').exitOverride());
    cmd.parse(['--exchange', 'http://127.0.0.1:1=a', '--exchange', 'http://127.0.0.1:2=b'], { from: 'user' });
    expect(mailOptionsFromCli(cmd.opts(), { dataDir: 'd', log: silentLogger(), mssId: 'doug' }).exchange).toEqual(['http://127.0.0.1:1=a', 'http://127.0.0.1:2=b']);
    const one = addMailOptions(new Command('mss').exitOverride());
    one.parse(['--exchange', 'http://127.0.0.1:1=a'], { from: 'user' });
    expect(() => mailOptionsFromCli(one.opts(), { dataDir: 'd', log: silentLogger(), mssId: 'doug' })).toThrow(/at least 2 exchange servers/);
    const none = addMailOptions(new Command('mss').exitOverride());
    none.parse([], { from: 'user' });
    expect(mailOptionsFromCli(none.opts(), { dataDir: 'd', log: silentLogger(), mssId: 'doug' }).exchange).toBeUndefined();
  });

  it('refuses fewer than 2 servers, bad specs, open token files, one server twice, and servers that share an id', async () => {
    const dir = testDir('hood-exchange-cfg-');
    const tf = join(dir, 't');
    writeFileSync(tf, 'abc\n', { mode: 0o600 });
    const start = (exchange: string[]) => mailServiceFromOptions({ dataDir: dir, log: silentLogger(), smtpListen: 'off', mixMeanDelaySec: 0, exchange });
    await expect(start(['http://127.0.0.1:1=' + tf])).rejects.toThrow(/at least 2 exchange servers/);
    await expect(start(['http://127.0.0.1:1', 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/<url>=<token-file>/);
    await expect(start(['http://127.0.0.1:1=' + tf, 'http://127.0.0.1:1=' + tf])).rejects.toThrow(/configured twice/);
    await expect(start(['ftp://127.0.0.1:1=' + tf, 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/must be http/);
    await expect(start(['http://u:p@127.0.0.1:1=' + tf, 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/credentials/);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'not a token!\n', { mode: 0o600 });
    await expect(start(['http://127.0.0.1:1=' + bad, 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/does not hold an exchange token/);
    await expect(start(['http://127.0.0.1:1=' + join(dir, 'absent'), 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/cannot read the token file .*absent: ENOENT/);
    chmodSync(tf, 0o644);
    await expect(start(['http://127.0.0.1:1=' + tf, 'http://127.0.0.1:2=' + tf])).rejects.toThrow(/too open/);
    expect(() => new ShareUploader([{ url: 'http://127.0.0.1:1', token: 'a' }])).toThrow(/at least 2/);

    // Two servers on one data dir have one id: a split would give both the same pseudonym.
    const sdir = testDir('hood-exchange-same-');
    const s1 = ShareStore.open(sdir);
    const s2 = ShareStore.open(sdir);
    const t = s1.addMss('doug');
    const e1 = await startExchangeServer({ store: s1, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 60, log: silentLogger() });
    const e2 = await startExchangeServer({ store: s2, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 60, log: silentLogger() });
    try {
      const up = new ShareUploader([
        { url: e1.url, token: t },
        { url: e2.url, token: t },
      ]);
      await expect(up.upload(rnd(32), 0, rnd(100))).rejects.toThrow(/share one id/);
    } finally {
      await e1.close();
      await e2.close();
      s1.close();
      s2.close();
    }
  });
});
