/**
 * An MSS as `hood mss` and `hood demo` run it: the gateway plus its optional services — payment
 * (embedded or external bank) today, mail as it lands. Stops everything in reverse order.
 */
import type { PriceExt } from '../../shared/src/pay/codec';
import { setupPayment, type Payment } from '../pay/setup';
import { MssGateway, type GatewayOptions } from './gateway';

export interface MssOptions extends GatewayOptions {
  /** false: sessions are free. Otherwise the price and which bank checks the coins. */
  payment: false | { price: PriceExt; bankUrl?: string; bankListen?: { host: string; port: number }; account?: string };
}

export interface RunningMss {
  gw: MssGateway;
  payment: Payment | null;
  stop(): Promise<void>;
}

export async function startMss(o: MssOptions): Promise<RunningMss> {
  const payment = o.payment ? await setupPayment({ dataDir: o.dataDir, log: o.log, ...o.payment }) : null;
  let gw: MssGateway;
  try {
    gw = await MssGateway.start({
      ...o,
      config: { ...o.config, extensions: [...(o.config?.extensions || []), ...(payment?.extensions || [])] },
      services: [...(o.services || []), ...(payment ? [payment.service] : [])],
    });
  } catch (e) {
    await payment?.close();
    throw e;
  }
  return {
    gw,
    payment,
    async stop() {
      await gw.stop();
      await payment?.close();
    },
  };
}
