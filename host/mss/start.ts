/**
 * An MSS as `hood mss` and `hood demo` run it: the gateway plus its optional services — payment
 * (embedded or external bank) today, mail as it lands. Stops everything in reverse order.
 */
import type { PriceExt } from '../../shared/src/pay/codec';
import { setupPayment, type Payment } from '../pay/setup';
import { mailServiceFromOptions, type MailCliOptions } from '../mail/options';
import type { MailRoutes, MailService } from '../mail/service';
import { MssGateway, type GatewayOptions } from './gateway';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import { setupNymbleAtMss, type NymbleAtMss } from '../nymble/mss-setup';
import { join } from 'node:path';
import { Handoff } from './handoff';
import { joinFederation, type FederationOptions } from './federation-setup';
import { loadOrCreateMssKeys } from './keys';
import type { PeerServer } from '../federation/peer-server';
import { RouteStore } from './routes';

export interface MssOptions extends GatewayOptions {
  /** false: sessions are free. Otherwise the price and which bank checks the coins. */
  payment: false | { price: PriceExt; bankUrl?: string; bankListen?: { host: string; port: number }; account?: string };
  /** false: no mail. Otherwise relaying Bob's mail and routing replies by TmpId (docs/mail.md). */
  mail?: false | Omit<MailCliOptions, 'dataDir' | 'log' | 'mssId'>;
  /** false/absent: no dashboard. Otherwise where the operator's dashboard and /metrics listen (host/dashboard). */
  dashboard?: false | { host: string; port: number };
  /** Off by default. Otherwise sessions must present an Extended Nymble ticket (docs/nymble.md §11). */
  nymble?: false | { nmUrl: string; keyFile: string; pollMs?: number; graceMs?: number; complaintsListen?: { host: string; port: number } };
  /**
   * Session tickets for resumption and hand-off (docs/handoff.md); on unless false. Routes are kept in
   * `<dataDir>/routes.sqlite`.
   */
  handoff?: false | { ticketTtlSec?: number; forwardSec?: number };
  /** Member of a federation (docs/federation.md): certificate in the beacon, hand-off to and from the other members. */
  federation?: FederationOptions;
}

export interface RunningMss {
  gw: MssGateway;
  payment: Payment | null;
  mail: MailService | null;
  /** The operator's dashboard; `newToken` is set only on the start that made its access token. */
  dashboard: RunningDashboard | null;
  nymble: NymbleAtMss | null;
  handoff: Handoff | null;
  /** The MSS-to-MSS endpoint, when the MSS is a member of a federation. */
  peer: PeerServer | null;
  stop(): Promise<void>;
}

/** Replies follow a TmpId whose session is coming back here, or went on at another member (docs/handoff.md §4). */
function mailRoutes(h: Handoff, forward: MailRoutes['forward'] | null): MailRoutes {
  return {
    resumable: (t) => h.routes.resumable(t, Date.now()),
    movedTo: (t) => {
      const r = h.routes.get(t);
      return r && r.status === 'moved' ? r.movedTo : null;
    },
    forward: forward || (() => Promise.reject(new Error('no federation: nowhere to forward'))),
  };
}

export async function startMss(o: MssOptions): Promise<RunningMss> {
  const mssId = o.config?.mssId || 'doug';
  if (o.federation && o.handoff === false) throw new Error('a member of a federation needs session tickets (hand-off)');
  // Checked before anything starts: the list must verify and name this MSS with its identity key.
  const member = o.federation ? joinFederation(o.federation, mssId, loadOrCreateMssKeys(o.dataDir)) : null;
  const payment = o.payment ? await setupPayment({ dataDir: o.dataDir, log: o.log, ...o.payment }) : null;
  let mail: MailService | null = null;
  let nymble: NymbleAtMss | null = null;
  let gw: MssGateway;
  const handoff =
    o.handoff === false
      ? null
      : new Handoff({
          mssId,
          routes: new RouteStore(join(o.dataDir, 'routes.sqlite')),
          log: o.log,
          ticketTtlSec: o.handoff?.ticketTtlSec,
          forwardSec: o.handoff?.forwardSec,
          redeemRemote: member ? (t) => member.redeemRemote(t) : undefined,
        });
  try {
    nymble = o.nymble ? await setupNymbleAtMss({ ...o.nymble, dataDir: o.dataDir, sid: mssId, log: o.log }) : null;
    mail = o.mail ? await mailServiceFromOptions({ ...o.mail, dataDir: o.dataDir, log: o.log, mssId }) : null;
    gw = await MssGateway.start({
      ...o,
      config: {
        ...o.config,
        extensions: [...(o.config?.extensions || []), ...(payment?.extensions || []), ...(mail?.beaconExtensions() || []), ...(member ? [member.extension] : [])],
      },
      services: [...(o.services || []), ...(payment ? [payment.service] : []), ...(mail?.services || []), ...(nymble ? [nymble.service] : []), ...(handoff ? [handoff] : [])],
    });
  } catch (e) {
    nymble?.stop();
    await mail?.stop();
    await payment?.close();
    handoff?.routes.close();
    throw e;
  }
  mail?.attach(gw.core);
  handoff?.attach(gw.core);
  if (mail && handoff) mail.setRoutes(mailRoutes(handoff, member ? (to, t, age) => member.forward(to, t, age) : null));
  // Pickup rounds go out through members drawn at random (docs/exchange.md §6), this MSS among them.
  if (member && mail?.exchange)
    mail.exchange.useEntries({ members: member.federation.members.map((m) => m.mssId), self: mssId, relay: (to, id, sealed) => member.relayExchange(to, id, sealed) });
  let peer: PeerServer | null = null;
  if (member && handoff) {
    try {
      peer = await member.serve(handoff, mail, o.log);
    } catch (e) {
      nymble?.stop();
      await gw.stop();
      await mail?.stop();
      await payment?.close();
      handoff.routes.close();
      throw e;
    }
  }
  let dashboard: RunningDashboard | null = null;
  if (o.dashboard) {
    try {
      dashboard = await startDashboard({ src: { gw, payment, mail, handoff }, dataDir: o.dataDir, host: o.dashboard.host, port: o.dashboard.port, log: o.log });
    } catch (e) {
      await peer?.close();
      await gw.stop();
      await mail?.stop();
      await payment?.close();
      handoff?.routes.close();
      throw e;
    }
  }
  return {
    gw,
    payment,
    mail,
    nymble,
    dashboard,
    handoff,
    peer,
    async stop() {
      await peer?.close();
      await dashboard?.close();
      await gw.stop();
      nymble?.stop();
      await mail?.stop();
      await payment?.close();
      handoff?.routes.close();
    },
  };
}
