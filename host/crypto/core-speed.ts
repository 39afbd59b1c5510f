/**
 * The MSS core on the JS primitives against node:crypto, in one run: DATA cells per second through
 * MssCore.handleUp (open, replay window, echo service, seal of the answer; docs/protocol.md §7.3) and JOINs
 * per second (X25519, four HKDFs, open, ACCEPT sealed; §7.1). Cells are made beforehand, so only the MSS is
 * timed; the two providers alternate, `reps` rounds each, and rates are per second of wall time and of
 * this process's CPU time (steadier on a shared host). Figures: docs/crypto-speed.md.
 *
 *   node bin/run-ts.js host/crypto/core-speed.ts [cells] [joins] [reps]
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { open as jsOpen, seal as jsSeal } from '../../shared/src/crypto/chacha20poly1305';
import { hkdfSha256 as jsHkdfSha256 } from '../../shared/src/crypto/hkdf';
import { setCryptoProvider, type CryptoProvider } from '../../shared/src/crypto/provider';
import { x25519Shared as jsX25519Shared } from '../../shared/src/crypto/x25519';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { DIR_UP, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import { CHANNEL_ECHO, MSG_DATA, MSG_JOIN } from '../../shared/src/protocol/constants';
import { deriveSessionKeys } from '../../shared/src/protocol/session-keys';
import { newTmpMac } from '../../shared/src/tmpmac';
import { silentLogger } from '../common/log';
import { makeTempDir, removeTempDir } from '../common/temp-dir';
import { DEFAULT_MSS_CONFIG, MssCore } from '../mss/core';
import { loadOrCreateMssKeys, type MssKeys } from '../mss/keys';
import { echoService } from '../mss/services/echo';
import { nativeCrypto } from './native';

const JS: CryptoProvider = { seal: jsSeal, open: jsOpen, x25519Shared: jsX25519Shared, hkdfSha256: jsHkdfSha256 };
const rnd = (n: number) => new Uint8Array(randomBytes(n));

export interface Rate {
  perSec: number;
  perCpuSec: number;
}
export interface CoreSpeed {
  dataCellPayload: number;
  js: { dataCells: Rate; joins: Rate };
  native: { dataCells: Rate; joins: Rate };
}

function timed(n: number, f: () => void): Rate {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  f();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { perSec: n / s, perCpuSec: n / ((c.user + c.system) / 1e6) };
}

function join(core: MssCore, b: { boxKey: Uint8Array; beaconNonce: Uint8Array }): { cell: Uint8Array; kbd: Uint8Array; epk: Uint8Array } {
  const kp = generateKeyPairSync('x25519').privateKey.export({ format: 'jwk' });
  const esk = new Uint8Array(Buffer.from(kp.d as string, 'base64url'));
  const epk = new Uint8Array(Buffer.from(kp.x as string, 'base64url'));
  const kbd = rnd(32);
  const m = { type: MSG_JOIN, kbd: new Uint8Array(kbd), tmpMac: newTmpMac(rnd), joinNonce: rnd(16), beaconNonce: b.beaconNonce } as const;
  return { cell: sealJoin(b.boxKey, m, core.config.cellSize, esk, epk).cell, kbd, epk };
}

/** One round on the provider in place: `cells` echo DATA cells in one session, then `joins` JOINs. */
function round(keys: MssKeys, cells: number, joins: number, payload: number): { dataCells: Rate; joins: Rate } {
  const config = { ...DEFAULT_MSS_CONFIG, maxSessions: joins + 10 };
  let out = 0;
  const core = new MssCore(keys, config, silentLogger(), () => out++);
  core.addService(echoService);
  const b = decodeBeacon(core.beacon());
  const j = join(core, b);
  if (!core.handleUp(j.cell).ok) throw new Error('JOIN refused');
  const k = deriveSessionKeys(j.kbd, j.epk);
  const up: Uint8Array[] = [];
  for (let seq = 0; seq < cells; seq++) up.push(sealSession(k.upKey, k.upTag, seq, DIR_UP, { type: MSG_DATA, channel: CHANNEL_ECHO, payload: rnd(payload) }, config.cellSize));
  const joinCells: Uint8Array[] = [];
  for (let i = 0; i < joins; i++) joinCells.push(join(core, b).cell);
  out = 0;
  const data = timed(cells, () => {
    for (const c of up) if (!core.handleUp(c).ok) throw new Error('DATA cell rejected');
  });
  if (out !== cells) throw new Error('echoes: ' + out);
  const admitted = timed(joins, () => {
    for (const c of joinCells) if (!core.handleUp(c).ok) throw new Error('JOIN rejected');
  });
  return { dataCells: data, joins: admitted };
}

function best(rs: Rate[]): Rate {
  return { perSec: Math.round(Math.max(...rs.map((r) => r.perSec))), perCpuSec: Math.round(Math.max(...rs.map((r) => r.perCpuSec))) };
}

/** Alternate JS and native `reps` times each; report the best round of each (least disturbed by other load). */
export function measureCoreSpeed(cells = 20_000, joins = 2_000, reps = 3, payload = 200): CoreSpeed {
  const dir = makeTempDir('hood-core-speed-');
  let keys: MssKeys;
  try {
    keys = loadOrCreateMssKeys(dir);
  } finally {
    removeTempDir(dir);
  }
  const r = { js: [] as { dataCells: Rate; joins: Rate }[], native: [] as { dataCells: Rate; joins: Rate }[] };
  try {
    for (let i = 0; i < reps; i++) {
      for (const which of ['js', 'native'] as const) {
        setCryptoProvider(which === 'js' ? JS : nativeCrypto);
        r[which].push(round(keys, which === 'js' ? Math.ceil(cells / 4) : cells, which === 'js' ? Math.ceil(joins / 4) : joins, payload));
      }
    }
  } finally {
    setCryptoProvider(nativeCrypto);
  }
  const sum = (x: { dataCells: Rate; joins: Rate }[]) => ({ dataCells: best(x.map((y) => y.dataCells)), joins: best(x.map((y) => y.joins)) });
  return { dataCellPayload: payload, js: sum(r.js), native: sum(r.native) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = process.argv.slice(2).map(Number);
  process.stdout.write(JSON.stringify(measureCoreSpeed(a[0] || undefined, a[1] || undefined, a[2] || undefined)) + '\n');
}
