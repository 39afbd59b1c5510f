/**
 * Doug's MSS gateway: the protocol core (core.ts) wired to an MQTT broker — the embedded aedes broker
 * by default, or any external broker by URL. It publishes the retained beacon (rotating its nonce every
 * beacon period), feeds every uplink cell to the core, publishes what the core emits, and runs the
 * session timeouts.
 */
import { randomBytes } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { BYE_SHUTDOWN, KIND_JOIN } from '../../shared/src/protocol/constants';
import { beaconTopic, upTopic } from '../../shared/src/protocol/topics';
import type { Logger } from '../common/log';
import { redactUrl } from '../common/redact';
import { DEFAULT_ADMISSION, JoinQueue, PendingSessions, checkAdmission, joinRateFor, type AdmissionOptions } from './admission';
import { startEmbeddedBroker, type EmbeddedBroker } from './broker';
import type { BrokerLimits } from './broker-limits';
import { checkExternalBroker } from './broker-probe';
import { DEFAULT_MSS_CONFIG, MssCore, type MssConfig, type Outbound, type Service } from './core';
import { loadOrCreateMssKeys } from './keys';
import { echoService } from './services/echo';

export interface GatewayOptions {
  dataDir: string;
  log: Logger;
  /** External broker URL (mqtt://host:port). Without it an embedded broker is started on `listen`. */
  brokerUrl?: string;
  brokerUsername?: string;
  brokerPassword?: string;
  /** Run on an external broker even if the start-up probe (broker-probe.ts) finds it open to anyone; warned about every beacon period. */
  allowOpenBroker?: boolean;
  listen?: { host: string; port: number };
  config?: Partial<MssConfig>;
  beaconPeriodSec?: number;
  tickMs?: number;
  /** Services for DATA channels besides echo (payment, mail); their beacon extensions go in config.extensions. */
  services?: Service[];
  /** Per-connection caps of the embedded broker (docs/protocol.md §7.6). */
  brokerLimits?: Partial<BrokerLimits>;
  /** JOIN queue, JOIN rate and pending-session cap (docs/protocol.md §7.6). */
  admission?: Partial<AdmissionOptions>;
  /**
   * Measurement hook (`hood bench mss`): nanoseconds from an uplink cell reaching the message handler to its
   * first answer being handed to the MQTT client, for cells answered at once. Off (undefined) costs one test per cell.
   */
  onCellTiming?: (ns: bigint) => void;
}

export class MssGateway {
  private timers: NodeJS.Timeout[] = [];
  private stopped = false;
  /** JOINs waiting to be opened, and the sessions not yet settled (§7.6). */
  admission!: { joins: JoinQueue; pending: PendingSessions };

  private constructor(
    readonly core: MssCore,
    readonly client: MqttClient,
    readonly brokerUrl: string,
    readonly embedded: EmbeddedBroker | null,
    private readonly log: Logger,
  ) {}

  static async start(opts: GatewayOptions): Promise<MssGateway> {
    const config: MssConfig = { ...DEFAULT_MSS_CONFIG, ...opts.config };
    const keys = loadOrCreateMssKeys(opts.dataDir);
    let embedded: EmbeddedBroker | null = null;
    let url = opts.brokerUrl;
    let username = opts.brokerUsername;
    let password = opts.brokerPassword;
    if (!url) {
      const listen = opts.listen || { host: '127.0.0.1', port: 1883 };
      embedded = await startEmbeddedBroker({ ...listen, mssId: config.mssId, cellSize: config.cellSize, log: opts.log, limits: opts.brokerLimits });
      url = embedded.url;
      username = embedded.gatewayUsername;
      password = embedded.gatewayPassword;
    }
    let client: MqttClient;
    try {
      client = await mqtt.connectAsync(url, {
        clientId: 'hood-mss-' + randomBytes(6).toString('hex'),
        username,
        password,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
      });
    } catch (e) {
      await embedded?.close();
      throw new Error('cannot connect to broker ' + redactUrl(url) + ': ' + (e as Error).message);
    }
    const pending: Outbound[] = [];
    let ready = false;
    const onTiming = opts.onCellTiming;
    /** hrtime of the uplink cell being handled, while timing is on; 0n otherwise. */
    let cellIn = 0n;
    const publish = (o: Outbound) => {
      if (!ready) return void pending.push(o);
      if (cellIn !== 0n) {
        onTiming!(process.hrtime.bigint() - cellIn);
        cellIn = 0n;
      }
      // A view, not a copy: the core hands over a fresh cell per answer and never touches it again.
      client.publish(o.topic, Buffer.from(o.payload.buffer, o.payload.byteOffset, o.payload.length), { qos: 0 });
    };
    const core = new MssCore(keys, config, opts.log, publish);
    core.addService(echoService);
    for (const s of opts.services || []) core.addService(s);
    const gw = new MssGateway(core, client, url, embedded, opts.log);
    const adm: AdmissionOptions = { ...DEFAULT_ADMISSION, ...opts.admission };
    checkAdmission(adm);
    const unsettled = new PendingSessions(adm.maxPendingSessions, core);
    const joins = new JoinQueue({ ...adm, ratePerSec: joinRateFor(adm, opts.beaconPeriodSec ?? 60) }, (cell) => {
      const r = core.handleUp(cell);
      if (r.ok && r.what === 'join' && r.tmpId) unsettled.admitted(r.tmpId);
    });
    gw.admission = { joins, pending: unsettled };
    const up = upTopic(config.mssId);
    client.on('message', (topic, payload) => {
      if (topic !== up) return;
      // A JOIN costs an X25519: it waits its turn (a copy, so the queue holds no socket buffer).
      // SESSION cells and malformed cells are cheap and never wait behind JOINs.
      if (payload.length === config.cellSize && payload[1] === KIND_JOIN) return void joins.push(new Uint8Array(payload));
      if (onTiming) cellIn = process.hrtime.bigint();
      core.handleUp(new Uint8Array(payload.buffer, payload.byteOffset, payload.length));
      cellIn = 0n;
    });
    client.on('error', (e) => opts.log.error({ event: 'broker_error', err: e.message }, 'broker error'));
    client.on('reconnect', () => opts.log.warn({ event: 'broker_reconnect' }, 'reconnecting to broker'));
    // A broker that restarted may have lost the retained beacon: PDAs coming back to resume wait for it.
    client.on('connect', () => {
      if (ready) void gw.publishBeacon().catch(() => undefined);
    });
    await client.subscribeAsync(upTopic(config.mssId), { qos: 0 });
    let openBroker: { warn(): void } | null = null;
    if (!embedded) {
      try {
        openBroker = await checkExternalBroker({ url, mssId: config.mssId, gateway: client, log: opts.log, allowOpen: !!opts.allowOpenBroker });
      } catch (e) {
        await client.endAsync(true).catch(() => undefined);
        throw e;
      }
    }
    ready = true;
    for (const o of pending.splice(0)) publish(o);
    await gw.publishBeacon();
    const period = (opts.beaconPeriodSec ?? 60) * 1000;
    gw.timers.push(
      setInterval(() => {
        openBroker?.warn();
        void gw.publishBeacon().catch(() => undefined);
      }, period),
    );
    gw.timers.push(setInterval(() => core.tick(), opts.tickMs ?? 1000));
    opts.log.info(
      {
        event: 'mss_started',
        mssId: config.mssId,
        broker: embedded ? 'embedded' : 'external',
        url: redactUrl(url),
        identityKey: Buffer.from(keys.identityPublic).toString('hex'),
        cellSize: config.cellSize,
      },
      'MSS gateway started',
    );
    return gw;
  }

  get mssId(): string {
    return this.core.config.mssId;
  }

  async publishBeacon(): Promise<void> {
    if (this.stopped) return;
    await this.client.publishAsync(beaconTopic(this.mssId), Buffer.from(this.core.beacon()), { qos: 1, retain: true });
  }

  /** End all sessions (each PDA is told), withdraw the beacon, disconnect, stop the embedded broker. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.admission.joins.close();
    this.core.endAll(BYE_SHUTDOWN);
    try {
      await this.client.publishAsync(beaconTopic(this.mssId), Buffer.alloc(0), { qos: 1, retain: true });
    } catch {
      /* broker already gone */
    }
    await this.client.endAsync();
    await this.embedded?.close();
    this.log.info({ event: 'mss_stopped' }, 'MSS gateway stopped');
  }
}
