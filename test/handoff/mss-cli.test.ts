/**
 * `hood mss` with hand-off options as an operator runs it: a member of a federation (signed list from
 * `hood federation sign`) starts with its membership certificate in the beacon and its MSS-to-MSS endpoint
 * up; bad combinations are refused before anything starts, with a message that says what to do.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { describe, expect, it } from 'vitest';
import { decodeBeacon, beaconExtension } from '../../shared/src/protocol/beacon';
import { EXT_FEDERATION } from '../../shared/src/protocol/constants';
import { decodeMemberCert, verifyMemberCert } from '../../shared/src/protocol/federation';
import { freeLoopbackPort } from '../../host/common/free-port';
import { generateFederationKey, loadFederationKey } from '../../host/federation/keys';
import { signFederationList } from '../../host/federation/list';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { testDir } from '../helpers/temp-dir';

function hood(args: string[]): { out: () => string; exited: Promise<number | null>; kill: () => void } {
  const p = spawn(process.execPath, ['bin/hood.js', 'mss', '--price', '0', '--no-mail', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (d) => (out += d));
  p.stderr.on('data', (d) => (out += d));
  return { out: () => out, exited: new Promise((res) => p.on('exit', (c) => res(c))), kill: () => p.kill('SIGTERM') };
}

describe('hood mss --federation', () => {
  it('a member advertises its certificate in the beacon and serves the MSS-to-MSS endpoint', async () => {
    const dir = testDir('hood-fed-cli-');
    const dataDir = join(dir, 'mss');
    const [brokerPort, peerPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const keyFile = join(dir, 'federation.key');
    const fedKey = generateFederationKey(keyFile);
    const identityKey = loadOrCreateMssKeys(dataDir).identityPublic;
    const list = join(dir, 'list.json');
    writeFileSync(list, JSON.stringify(signFederationList({ name: 'city', key: loadFederationKey(keyFile), members: [{ mssId: 'doug', identityKey, url: 'http://127.0.0.1:' + peerPort }, { mssId: 'erin', identityKey: new Uint8Array(32).fill(7), url: 'http://127.0.0.1:1' }] })));
    const p = hood(['--listen', '127.0.0.1:' + brokerPort, '--data-dir', dataDir, '--federation', list, '--peer-listen', '127.0.0.1:' + peerPort]);
    try {
      await expect.poll(() => p.out().includes('"mss_started"'), { timeout: 80_000, interval: 100 }).toBe(true);
      const c = await mqtt.connectAsync('mqtt://127.0.0.1:' + brokerPort, { clientId: 'c' + Date.now() });
      const beacon = await new Promise<Uint8Array>((res) => {
        c.on('message', (_t, m) => res(new Uint8Array(m)));
        void c.subscribeAsync('hood/v1/doug/beacon');
      });
      await c.endAsync();
      const b = decodeBeacon(beacon);
      const cert = decodeMemberCert(beaconExtension(b, EXT_FEDERATION)!);
      expect(cert.name).toBe('city');
      expect(Buffer.from(cert.federationKey).equals(Buffer.from(fedKey))).toBe(true);
      expect(verifyMemberCert(cert, 'doug', b.identityKey)).toBe(true);
      // The MSS-to-MSS endpoint answers, and refuses an unsigned request.
      const r = await fetch('http://127.0.0.1:' + peerPort + '/handoff/redeem', { method: 'POST', body: '{}' });
      expect(r.status).toBe(401);
    } finally {
      p.kill();
    }
    expect(await p.exited).toBe(0);
  }, 180_000);

  it('refuses what cannot work, before it starts', async () => {
    const dir = testDir('hood-fed-cli-bad-');
    const cases: [string[], RegExp][] = [
      [['--federation', join(dir, 'x.json')], /--federation and --peer-listen go together/],
      [['--federation', join(dir, 'x.json'), '--peer-listen', '127.0.0.1:1', '--no-resume'], /needs session tickets/],
      [['--ticket-ttl', '5'], /--ticket-ttl must be 10\.\.86400/],
      [['--federation', join(dir, 'missing.json'), '--peer-listen', '127.0.0.1:1'], /missing\.json/],
    ];
    for (const [args, msg] of cases) {
      const p = hood(['--listen', '127.0.0.1:0', '--data-dir', join(dir, 'mss'), ...args]);
      expect(await p.exited).not.toBe(0);
      expect(p.out()).toMatch(msg);
    }
  }, 180_000);
});
