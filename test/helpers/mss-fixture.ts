/** Test fixtures: an MSS core with a real key pair in a temp dir, and a protocol-level PDA built from shared/. */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { DIR_DOWN, DIR_UP, decodeCellHeader, openSession, sealJoin, sealSession } from '../../shared/src/protocol/cells';
import { decodeBeacon } from '../../shared/src/protocol/beacon';
import { MSG_JOIN, MSG_REFUSE, MSG_RESUME, REFUSE_TEXTS, type KIND_SESSION } from '../../shared/src/protocol/constants';
import { isRefuseReason, openRefuse } from '../../shared/src/protocol/refuse';
import type { Message, TicketRef } from '../../shared/src/protocol/messages';
import { deriveSessionKeys, type SessionKeys } from '../../shared/src/protocol/session-keys';
import { downTopic } from '../../shared/src/protocol/topics';
import { newTmpMac } from '../../shared/src/tmpmac';
import { x25519Base } from '../../shared/src/crypto/x25519';
import { createLogger } from '../../host/common/log';
import { DEFAULT_MSS_CONFIG, MssCore, type MssConfig, type Outbound } from '../../host/mss/core';
import { loadOrCreateMssKeys } from '../../host/mss/keys';
import { echoService } from '../../host/mss/services/echo';
import { testDir } from './temp-dir';

export const rnd = (n: number) => new Uint8Array(randomBytes(n));

export interface CoreFixture {
  core: MssCore;
  out: Outbound[];
  logText: () => string;
  clock: { t: number };
  beacon: ReturnType<typeof decodeBeacon>;
  rotate(): void;
  dataDir: string;
}

export function makeCore(config: Partial<MssConfig> = {}): CoreFixture {
  // Holds the MSS secret keys: removed after the test file (test/helpers/temp-dir.ts).
  const dataDir = testDir('hood-test-mss-');
  const keys = loadOrCreateMssKeys(dataDir);
  const chunks: string[] = [];
  const dest = new Writable({
    write(c, _e, cb) {
      chunks.push(String(c));
      cb();
    },
  });
  const log = createLogger({ level: 'debug', destination: dest });
  const out: Outbound[] = [];
  const clock = { t: 1_700_000_000_000 };
  const core = new MssCore(keys, { ...DEFAULT_MSS_CONFIG, ...config }, log, (o) => out.push(o), () => clock.t);
  core.addService(echoService);
  const f: CoreFixture = {
    core,
    out,
    logText: () => chunks.join(''),
    clock,
    beacon: decodeBeacon(core.beacon()),
    rotate() {
      f.beacon = decodeBeacon(core.beacon());
    },
    dataDir,
  };
  return f;
}

/** A PDA at the protocol level (no MQTT, no VM): enough to drive the MSS core cell by cell. */
export class RefPda {
  kbd: Uint8Array = rnd(32);
  /** Until the first JOIN (whose epk salts them, docs/protocol.md §6), keys under a placeholder context. */
  keys: SessionKeys = deriveSessionKeys(this.kbd, rnd(32));
  tmpMac = newTmpMac(rnd);
  upSeq = 0;
  constructor(readonly f: CoreFixture) {}

  get topic(): string {
    return downTopic(this.f.core.config.mssId, this.keys.downTag);
  }

  /** Refuse key of the last JOIN this PDA sealed (docs/protocol.md §3.3). */
  refuseKey: Uint8Array | null = null;

  /** A JOIN, or with `ticket` a RESUME (docs/handoff.md), sealed to the fixture's beacon. */
  joinCell(over: Partial<{ kbd: Uint8Array; tmpMac: Uint8Array; beaconNonce: Uint8Array; ticket: TicketRef }> = {}): Uint8Array {
    const b = this.f.beacon;
    const esk = rnd(32);
    const epk = x25519Base(esk);
    if (over.kbd) this.kbd = over.kbd;
    this.keys = deriveSessionKeys(this.kbd, epk);
    const fields = { kbd: over.kbd || this.kbd, tmpMac: over.tmpMac || this.tmpMac, joinNonce: rnd(16), beaconNonce: over.beaconNonce || b.beaconNonce };
    const sealed = sealJoin(
      b.boxKey,
      over.ticket ? { type: MSG_RESUME, ...fields, ticket: over.ticket } : { type: MSG_JOIN, ...fields },
      b.cellSize,
      esk,
      epk,
    );
    this.refuseKey = sealed.refuseKey;
    return sealed.cell;
  }

  cell(m: Message, seq = this.upSeq++): Uint8Array {
    return sealSession(this.keys.upKey, this.keys.upTag, seq, DIR_UP, m, this.f.core.config.cellSize);
  }

  /** Decode every downlink cell addressed to this PDA's topic (and remove them from the outbox). */
  inbox(): Message[] {
    const mine = this.f.out.filter((o) => o.topic === this.topic);
    for (const o of mine) this.f.out.splice(this.f.out.indexOf(o), 1);
    return mine.map((o) => {
      const h = decodeCellHeader(o.payload, this.f.core.config.cellSize) as { kind: typeof KIND_SESSION; tag: Uint8Array; seq: number };
      // A REFUSE comes under the JOIN's refuse key with seq = reason; everything else under the session keys.
      if (h.seq !== 0 && this.refuseKey && isRefuseReason(h.seq)) {
        try {
          const reason = openRefuse(this.refuseKey, o.payload, h.seq);
          return { type: MSG_REFUSE, reason, text: REFUSE_TEXTS[reason] } as Message;
        } catch {
          /* not a REFUSE: a session cell */
        }
      }
      return openSession(this.keys.downKey, o.payload, h.seq, DIR_DOWN);
    });
  }

  rekey(kbd: Uint8Array): void {
    this.kbd = kbd;
    this.keys = deriveSessionKeys(kbd, this.keys.upTag); // a REKEY's keys are salted with the upTag they replace
    this.upSeq = 0;
  }
}
