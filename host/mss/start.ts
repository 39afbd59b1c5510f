/**
 * An MSS as `hood mss` and `hood demo` run it: the gateway plus its optional services — payment
 * (embedded or external bank) today, mail as it lands. Stops everything in reverse order.
 */
import type { PriceExt } from '../../shared/src/pay/codec';
import { setupPayment, type Payment } from '../pay/setup';
import { mailServiceFromOptions, type MailCliOptions } from '../mail/options';
import type { MailService } from '../mail/service';
import { MssGateway, type GatewayOptions } from './gateway';

export interface MssOptions extends GatewayOptions {
  /** false: sessions are free. Otherwise the price and which bank checks the coins. */
  payment: false | { price: PriceExt; bankUrl?: string; bankListen?: { host: string; port: number }; account?: string };
  /** false: no mail. Otherwise relaying Bob's mail and routing replies by TmpId (docs/mail.md). */
  mail?: false | Omit<MailCliOptions, 'dataDir' | 'log' | 'mssId'>;
}

export interface RunningMss {
  gw: MssGateway;
  payment: Payment | null;
  mail: MailService | null;
  stop(): Promise<void>;
}

export async function startMss(o: MssOptions): Promise<RunningMss> {
  const mssId = o.config?.mssId || 'doug';
  const payment = o.payment ? await setupPayment({ dataDir: o.dataDir, log: o.log, ...o.payment }) : null;
  let mail: MailService | null = null;
  let gw: MssGateway;
  try {
    mail = o.mail ? await mailServiceFromOptions({ ...o.mail, dataDir: o.dataDir, log: o.log, mssId }) : null;
    gw = await MssGateway.start({
      ...o,
      config: {
        ...o.config,
        extensions: [...(o.config?.extensions || []), ...(payment?.extensions || []), ...(mail?.beaconExtensions() || [])],
      },
      services: [...(o.services || []), ...(payment ? [payment.service] : []), ...(mail?.services || [])],
    });
  } catch (e) {
    await mail?.stop();
    await payment?.close();
    throw e;
  }
  mail?.attach(gw.core);
  return {
    gw,
    payment,
    mail,
    async stop() {
      await gw.stop();
      await mail?.stop();
      await payment?.close();
    },
  };
}
