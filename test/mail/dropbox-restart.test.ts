/**
 * Drop-box registrations survive an MSS restart (docs/mail.md §5, "Restart"): Bob's BOX is on disk (TmpId,
 * boxId, the box's seal public key — never boxKey) before it is answered. After a restart a reply to his
 * ended session is still taken (250, kept in the drop box) and sealed to the box's public key; his PICKUP
 * in a later session brings the secret, which opens it along with the entries sealed before the restart.
 * A registration past its retention is gone after a restart too.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ServiceContext } from '../../host/mss/core';
import { sendReply } from '../../host/recipient/reply';
import { ageDecrypt, ageIdentityFromSecret } from '../../shared/src/age/age';
import { CH_MAIL_CTRL_DOWN, CH_MAIL_CTRL_UP, CH_MAIL_DELIVER, CH_MAIL_SEND } from '../../shared/src/mail/constants';
import { deriveBox } from '../../shared/src/mail/dropbox-keys';
import { Reassembler } from '../../shared/src/mail/fragment';
import { parseLetter } from '../../shared/src/mail/letter';
import { decodeDeliver, decodeStatus, encodeBox, encodePickup } from '../../shared/src/mail/payloads';
import { encodeRecipient } from '../../shared/src/age/keys';
import { removeTestDir, testDir } from '../helpers/temp-dir';
import { DOMAIN, startMailGateway } from './helpers';

const rnd = (n: number) => new Uint8Array(randomBytes(n));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => removeTestDir(d)));

function ctxFor(tmpId: string) {
  const out: { channel: number; payload: Uint8Array }[] = [];
  const ctx: ServiceContext = { tmpId, state: {}, reply: (channel, payload) => out.push({ channel, payload }), settled: () => true, changed: () => {} };
  return { ctx, out };
}

/** The end of a session, as the core tells the mail service. */
const ended = (g: Awaited<ReturnType<typeof startMailGateway>>, tmpId: string) => g.mail.services.find((s) => s.channel === CH_MAIL_SEND)!.onEnd!(tmpId);

/** Every file under `dir`, as bytes. */
function filesUnder(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => readFileSync(join(e.parentPath, e.name)));
}

describe('drop box across an MSS restart', () => {
  it('a reply to an ended session after the restart is kept and collected; boxKey never reaches the disk', async () => {
    const dataDir = testDir('hood-dropbox-restart-');
    dirs.push(dataDir);
    const bob = ageIdentityFromSecret(rnd(32));
    const recipient = encodeRecipient(bob.publicKey);
    const secret = rnd(32);
    const box = deriveBox(secret);
    const boxKey = box.boxKey.slice();
    const tmpId = 'bobbobbobbobbobb';
    const reply = async (g: Awaited<ReturnType<typeof startMailGateway>>, body: string) =>
      sendReply({ from: 'alice@example.org', to: tmpId + '@' + DOMAIN, replyRecipient: recipient, subject: 're', body }, g.mail.inboundAddress!);

    let g = await startMailGateway({ dataDir, mail: { mix: { meanDelaySec: 0, maxQueued: 10 } } });
    const ctrl = () => g.mail.services.find((s) => s.channel === CH_MAIL_CTRL_UP)!;
    const { ctx } = ctxFor(tmpId);
    ctrl().onData(ctx, encodeBox(box.boxId, box.boxKey));
    ended(g, tmpId); // Bob's session ends
    expect((await reply(g, 'before the restart')).response).toMatch(/^250 .*drop box/);
    await g.stop();

    g = await startMailGateway({ dataDir, mail: { mix: { meanDelaySec: 0, maxQueued: 10 } } });
    expect(g.mail.dropBox.registrations).toBe(1);
    expect((await reply(g, 'after the restart')).response).toMatch(/^250 .*drop box/);
    // The disk holds the registration and two entries, and nowhere boxKey.
    for (const f of filesUnder(dataDir)) expect(f.includes(Buffer.from(boxKey))).toBe(false);

    // A later session presents the secret: both replies come, readable with Bob's reply key.
    const later = ctxFor('laterlaterlater2');
    ctrl().onData(later.ctx, encodePickup(0, secret));
    const rx = new Reassembler();
    const bodies: string[] = [];
    for (const o of later.out) {
      if (o.channel !== CH_MAIL_DELIVER) continue;
      const r = rx.add(o.payload, Date.now());
      if (r.done) bodies.push(parseLetter(ageDecrypt(decodeDeliver(r.message).age, [bob])).body);
    }
    expect(bodies.sort()).toEqual(['after the restart', 'before the restart']);
    expect(decodeStatus(later.out.filter((o) => o.channel === CH_MAIL_CTRL_DOWN).at(-1)!.payload)).toMatchObject({ count: 2 });
    await g.stop();
  });

  it('a registration past its retention is not restored: replies to it are refused', async () => {
    const dataDir = testDir('hood-dropbox-restart-');
    dirs.push(dataDir);
    const box = deriveBox(rnd(32));
    const tmpId = 'carolcarolcarol2';
    let g = await startMailGateway({ dataDir, mail: { dropBoxRetentionSec: 1, mix: { meanDelaySec: 0, maxQueued: 10 } } });
    const ctrl = () => g.mail.services.find((s) => s.channel === CH_MAIL_CTRL_UP)!;
    ctrl().onData(ctxFor(tmpId).ctx, encodeBox(box.boxId, box.boxKey));
    ended(g, tmpId);
    await g.stop();
    await new Promise((r) => setTimeout(r, 1100));
    g = await startMailGateway({ dataDir, mail: { dropBoxRetentionSec: 1, mix: { meanDelaySec: 0, maxQueued: 10 } } });
    expect(g.mail.dropBox.registrations).toBe(0);
    await expect(
      sendReply({ from: 'alice@example.org', to: tmpId + '@' + DOMAIN, replyRecipient: encodeRecipient(ageIdentityFromSecret(rnd(32)).publicKey), subject: 're', body: 'late' }, g.mail.inboundAddress!),
    ).rejects.toThrow(/550/);
    await g.stop();
  });
});
