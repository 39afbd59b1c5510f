/**
 * MSSs as each other's entry servers (docs/exchange.md §6; ACS §3.2): three federation members, each with its
 * own tokens at three running exchange servers and the real signed MSS-to-MSS channel. A pickup round's
 * request for each exchange server goes out through a member drawn at random, sealed to that server.
 *
 * What is checked is what an exchange server's operator sees (its own log: which member's token brought
 * each pickup) and what a relaying member sees (the bytes it carries): the entry is uniform over the
 * members and the same whichever MSS ran the round, so a server cannot tell which MSS the PDA is at; no
 * pseudonym or share crosses a relay in the clear; an entry that alters or drops answers is left out for
 * the round and the request goes through another, so what an entry altered is never used.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, silentLogger } from '../../host/common/log';
import { ShareUploader } from '../../host/exchange/client';
import { ExchangeBackend, exchangeEndpointsFromSpecs } from '../../host/exchange/dropbox-backend';
import { relayThroughMember, RELAY_PATH, serveEntryRelay } from '../../host/exchange/entry-relay';
import { startExchangeServer, type RunningExchange } from '../../host/exchange/server';
import { ShareStore } from '../../host/exchange/store';
import { peerRequest } from '../../host/federation/peer-client';
import { startPeerServer, type PeerServer } from '../../host/federation/peer-server';
import { exchangeKeyFromBoxKey, pickupPseudonyms } from '../../shared/src/exchange/pseudonym';
import { makeFederation, peerSelf } from '../federation/fixtures';
import { testDir } from '../helpers/temp-dir';
import { chiSquareBound, chiSquareHomogeneity, chiSquareUniform } from './stats';

const IDS: [string, number][] = [
  ['doug', 11],
  ['erin', 12],
  ['fred', 13],
];
/** z for α = 0.001 (one-sided): a correct implementation fails one such check in a thousand runs. */
const Z = 3.09;

interface Member {
  id: string;
  backend: ExchangeBackend;
  peer: PeerServer;
  /** Every sealed request and answer this member carried for another one. */
  carried: Uint8Array[];
  /** Called on each answer this member relays; may alter it. */
  tamper: ((answer: Uint8Array) => Uint8Array) | null;
  down: boolean;
  /** Requests this member was asked to send to an exchange server (its own and relayed). */
  asked: number;
}

const exchanges: { store: ShareStore; ex: RunningExchange; entries: string[] }[] = [];
const members: Member[] = [];

beforeAll(async () => {
  const dir = testDir('hood-entry-');
  const specs: Record<string, string[]> = { doug: [], erin: [], fred: [] };
  for (let i = 0; i < 3; i++) {
    const store = ShareStore.open(join(dir, 'x' + i));
    const entries: string[] = [];
    // The operator's view: its own log, which names the member whose token brought each pickup.
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) {
          const j = JSON.parse(line) as { event?: string; entry?: string };
          if (j.event === 'exchange_pickup' && j.entry) entries.push(j.entry);
        }
        done();
      },
    });
    const ex = await startExchangeServer({ store, listen: { host: '127.0.0.1', port: 0 }, retentionSec: 3600, log: createLogger({ level: 'info', destination }) });
    for (const [id] of IDS) {
      const f = join(dir, id + '-' + i + '.token');
      writeFileSync(f, store.addMss(id) + '\n', { mode: 0o600 });
      specs[id].push(ex.url + '=' + f);
    }
    exchanges.push({ store, ex, entries });
  }
  // Servers check senders against the listed keys; callers use the URLs where the servers really run.
  const peers: PeerServer[] = [];
  for (const [id, n] of IDS) peers.push(await startPeerServer({ host: '127.0.0.1', port: 0, federation: makeFederation(), self: peerSelf(id, n), log: silentLogger() }));
  const urls: Record<string, string> = {};
  IDS.forEach(([id], i) => (urls[id] = 'http://127.0.0.1:' + peers[i].address.port));
  const federation = makeFederation(urls);
  IDS.forEach(([id, n], i) => {
    const backend = new ExchangeBackend(new ShareUploader(exchangeEndpointsFromSpecs(specs[id])), silentLogger());
    const m: Member = { id, backend, peer: peers[i], carried: [], tamper: null, down: false, asked: 0 };
    members.push(m);
    // Each member serves relays for the others; the test listens in on what it carries.
    const uploader = backend.uploader;
    const real = uploader.clients.map((c) => c.sendSealed.bind(c));
    uploader.clients.forEach((c, j) => {
      c.sendSealed = async (sealed: Uint8Array) => {
        m.asked++;
        if (m.down) throw new Error('entry server down');
        m.carried.push(sealed);
        let answer = await real[j](sealed);
        if (m.tamper) answer = m.tamper(answer);
        m.carried.push(answer);
        return answer;
      };
    });
    serveEntryRelay(peers[i], backend, silentLogger());
    backend.useEntries({ members: IDS.map(([x]) => x), self: id, relay: (to, sid, sealed) => relayThroughMember({ federation, self: peerSelf(id, n), timeoutMs: 5000 }, to, sid, sealed) });
  });
});

afterAll(async () => {
  for (const m of members) {
    m.backend.close();
    await m.peer.close();
  }
  for (const x of exchanges) {
    await x.ex.close();
    x.store.close();
  }
});

const counts = (entries: string[]) => IDS.map(([id]) => entries.filter((e) => e === id).length);

describe('entry servers', () => {
  it('each server sees rounds come through members drawn uniformly, the same whichever MSS runs them', async () => {
    const ROUNDS = 80;
    const byRunner: number[][][] = [];
    for (const runner of [members[0], members[1]]) {
      const before = exchanges.map((x) => x.entries.length);
      for (let i = 0; i < ROUNDS; i++) await runner.backend.coverRound();
      expect(runner.backend.cover.failed).toBe(0);
      // One entry per server and round: its three bucket requests come through it.
      byRunner.push(exchanges.map((x, j) => counts(x.entries.slice(before[j]))));
    }
    for (const perServer of byRunner)
      for (const c of perServer) {
        expect(c.reduce((a, b) => a + b, 0)).toBe(ROUNDS * 3);
        // Uniform over the three members (df 2), and never only the MSS that ran the round.
        expect(chiSquareUniform(c.map((x) => x / 3))).toBeLessThan(chiSquareBound(2, Z));
      }
    // The distribution at each server is the same for rounds run at doug and at erin (homogeneity, df 2).
    for (let j = 0; j < exchanges.length; j++)
      expect(chiSquareHomogeneity(byRunner[0][j].map((x) => x / 3), byRunner[1][j].map((x) => x / 3))).toBeLessThan(chiSquareBound(2, Z));
  }, 120_000);

  it('a reply stored at doug is collected at erin through random entries; no relay carries a pseudonym or share in the clear', async () => {
    for (const m of members) m.carried.length = 0;
    const boxKey = new Uint8Array(randomBytes(32));
    const entry = new Uint8Array(randomBytes(900));
    await new Promise<void>((done) => members[0].backend.submit(boxKey, 0, entry, Date.now() + 3_600_000, done));
    expect(exchanges.map((x) => x.store.usage().entries)).toEqual([1, 1, 1]);
    // Rounds until at least one went through another member, so the relay was exercised (bounded).
    let got: Uint8Array[] = [];
    for (let i = 0; i < 20 && members.every((m) => m.carried.length === 0); i++) {
      const r = await members[1].backend.collect(boxKey);
      got = r.entries;
      await r.release();
      if (i === 0) expect(got.map((e) => Buffer.from(e).toString('hex'))).toContain(Buffer.from(entry).toString('hex'));
    }
    expect(members.some((m) => m.carried.length > 0)).toBe(true);
    expect(exchanges.map((x) => x.store.usage().entries)).toEqual([0, 0, 0]);
    const key = exchangeKeyFromBoxKey(boxKey);
    const ids = await members[1].backend.uploader.serverIds();
    const secrets = ids.flatMap((id) => pickupPseudonyms(key, id)).map((p) => Buffer.from(p));
    for (const m of members)
      for (const b of m.carried) {
        const buf = Buffer.from(b);
        for (const p of secrets) expect(buf.includes(p)).toBe(false);
        expect(buf.includes(Buffer.from(entry.subarray(0, 32)))).toBe(false);
      }
  }, 60_000);

  it('an entry that alters or drops answers is left out: the round goes through others, nothing altered is used', async () => {
    const boxKey = new Uint8Array(randomBytes(32));
    const entry = new Uint8Array(randomBytes(500));
    await new Promise<void>((done) => members[0].backend.submit(boxKey, 1, entry, Date.now() + 3_600_000, done));
    const held = exchanges.map((x) => x.store.usage().entries);
    const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
    for (const how of ['alter', 'drop'] as const) {
      // Both other members misbehave; erin's rounds must still come through (through erin itself, then).
      for (const m of members) {
        if (m === members[1]) continue;
        m.asked = 0;
        m.tamper = how === 'alter' ? (a) => Object.assign(a.slice(), { [a.length - 1]: a[a.length - 1] ^ 1 }) : null;
        m.down = how === 'drop';
      }
      // Rounds until one of them was drawn and failed (bounded), every round complete and right.
      let tried = 0;
      for (let i = 0; i < 20 && tried === 0; i++) {
        const r = await members[1].backend.collect(boxKey);
        expect(r.entries.map(hex)).toEqual([hex(entry)]);
        tried = members.filter((m) => m !== members[1]).reduce((n, m) => n + m.asked, 0);
      }
      expect(tried).toBeGreaterThan(0);
      // Not released: nothing deleted anywhere.
      expect(exchanges.map((x) => x.store.usage().entries)).toEqual(held);
    }
    for (const m of members) {
      m.tamper = null;
      m.down = false;
    }
    const r = await members[1].backend.collect(boxKey);
    expect(r.entries.map(hex)).toEqual([hex(entry)]);
    await r.release();
    expect(exchanges.map((x) => x.store.usage().entries)).toEqual(held.map((n) => n - 1));
  }, 60_000);

  it('the relay route refuses what is not a sealed request for a known exchange server', async () => {
    const federation = makeFederation(Object.fromEntries(IDS.map(([id], i) => [id, 'http://127.0.0.1:' + members[i].peer.address.port])));
    const ask = (body: unknown) => peerRequest({ federation, self: peerSelf('doug', 11), to: 'erin', path: RELAY_PATH, body });
    const ids = await members[1].backend.uploader.serverIds();
    const ok = Buffer.alloc(317).toString('base64');
    const cases: [unknown, number, string][] = [
      [null, 400, 'bad_request'],
      [{ server: ids[0] }, 400, 'bad_request'],
      [{ server: ids[0], sealed: 'not base64!' }, 400, 'bad_request'],
      [{ server: ids[0], sealed: Buffer.alloc(316).toString('base64') }, 400, 'bad_request'],
      [{ server: ids[0], sealed: Buffer.alloc(30_000).toString('base64') }, 400, 'bad_request'],
      [{ server: '../etc', sealed: ok }, 400, 'bad_request'],
      [{ server: 'xnotaserver', sealed: ok }, 404, 'unknown_exchange'],
      // Well-formed but not sealed to that server: the exchange server's refusal comes back as 502.
      [{ server: ids[0], sealed: ok }, 502, 'malformed'],
    ];
    for (const [body, status, error] of cases) {
      const r = await ask(body);
      expect([JSON.stringify(body).slice(0, 40), r.status, (r.body as { error?: string }).error]).toEqual([JSON.stringify(body).slice(0, 40), status, error]);
    }
  });
});
