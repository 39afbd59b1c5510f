/**
 * An MSS as `hood mss` and `hood demo` run it: the gateway plus its optional services — payment
 * (embedded or external bank) today, mail as it lands. Stops everything in reverse order.
 */
import type { PriceExt } from '../../shared/src/pay/codec';
import { setupPayment, type Payment } from '../pay/setup';
import { mailServiceFromOptions, type MailCliOptions } from '../mail/options';
import type { MailService } from '../mail/service';
import { MssGateway, type GatewayOptions } from './gateway';
import { startDashboard, type RunningDashboard } from '../dashboard/server';
import { setupNymbleAtMss, type NymbleAtMss } from '../nymble/mss-setup';

export interface MssOptions extends GatewayOptions {
  /** false: sessions are free. Otherwise the price and which bank checks the coins. */
  payment: false | { price: PriceExt; bankUrl?: string; bankListen?: { host: string; port: number }; account?: string };
  /** false: no mail. Otherwise relaying Bob's mail and routing replies by TmpId (docs/mail.md). */
  mail?: false | Omit<MailCliOptions, 'dataDir' | 'log' | 'mssId'>;
  /** false/absent: no dashboard. Otherwise where the operator's dashboard and /metrics listen (host/dashboard). */
  dashboard?: false | { host: string; port: number };
  /** Off by default. Otherwise sessions must present an Extended Nymble ticket (docs/nymble.md §11). */
  nymble?: false | { nmUrl: string; keyFile: string; pollMs?: number; graceMs?: number; complaintsListen?: { host: string; port: number } };
}

export interface RunningMss {
  gw: MssGateway;
  payment: Payment | null;
  mail: MailService | null;
  /** The operator's dashboard; `newToken` is set only on the start that made its access token. */
  dashboard: RunningDashboard | null;
  nymble: NymbleAtMss | null;
  stop(): Promise<void>;
}

export async function startMss(o: MssOptions): Promise<RunningMss> {
  const mssId = o.config?.mssId || 'doug';
  const payment = o.payment ? await setupPayment({ dataDir: o.dataDir, log: o.log, ...o.payment }) : null;
  let mail: MailService | null = null;
  let nymble: NymbleAtMss | null = null;
  let gw: MssGateway;
  try {
    nymble = o.nymble ? await setupNymbleAtMss({ ...o.nymble, dataDir: o.dataDir, sid: mssId, log: o.log }) : null;
    mail = o.mail ? await mailServiceFromOptions({ ...o.mail, dataDir: o.dataDir, log: o.log, mssId }) : null;
    gw = await MssGateway.start({
      ...o,
      config: {
        ...o.config,
        extensions: [...(o.config?.extensions || []), ...(payment?.extensions || []), ...(mail?.beaconExtensions() || [])],
      },
      services: [...(o.services || []), ...(payment ? [payment.service] : []), ...(mail?.services || []), ...(nymble ? [nymble.service] : [])],
    });
  } catch (e) {
    nymble?.stop();
    await mail?.stop();
    await payment?.close();
    throw e;
  }
  mail?.attach(gw.core);
  let dashboard: RunningDashboard | null = null;
  if (o.dashboard) {
    try {
      dashboard = await startDashboard({ src: { gw, payment, mail }, dataDir: o.dataDir, host: o.dashboard.host, port: o.dashboard.port, log: o.log });
    } catch (e) {
      await gw.stop();
      await mail?.stop();
      await payment?.close();
      throw e;
    }
  }
  return {
    gw,
    payment,
    mail,
    nymble,
    dashboard,
    async stop() {
      await dashboard?.close();
      await gw.stop();
      nymble?.stop();
      await mail?.stop();
      await payment?.close();
    },
  };
}
