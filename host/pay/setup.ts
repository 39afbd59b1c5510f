/**
 * Payment for an MSS: the bank it checks coins with (an external one by URL, or by default an embedded
 * bank on a SQLite file in the MSS data dir, run as a child process so its CPU and disk work never
 * stalls cell handling: host/bank/embedded.ts), the MSS's own till (durable wallet of what it
 * earned), the beacon extensions advertising price and mint, and the payment service for the cell
 * handler.
 */
import { join } from 'node:path';
import { EXT_MINT, EXT_PRICE } from '../../shared/src/protocol/constants';
import type { BeaconExtension } from '../../shared/src/protocol/beacon';
import { encodeMintExt, encodePriceExt, type PriceExt } from '../../shared/src/pay/codec';
import type { Logger } from '../common/log';
import { spawnBank, type EmbeddedBank } from '../bank/embedded';
import { MssWallet } from './till';
import { PaymentService } from './payment-service';

export interface PaymentSetupOptions {
  dataDir: string;
  log: Logger;
  price: PriceExt;
  /** External bank URL; without it an embedded bank is started. */
  bankUrl?: string;
  /** Where the embedded bank serves HTTP (PDA owners' wallets withdraw there). */
  bankListen?: { host: string; port: number };
  /** The MSS's own bank account (cash-outs pay into it); created in the embedded bank if missing. */
  account?: string;
  /** Extra options for the embedded bank process (host/bank/main.ts: quote caps, TTL, purge period). */
  bankArgs?: string[];
}

export interface Payment {
  service: PaymentService;
  extensions: BeaconExtension[];
  till: MssWallet;
  bankUrl: string;
  /** The embedded bank process, or null with an external bank. */
  bank: EmbeddedBank | null;
  close(): Promise<void>;
}

export const DEFAULT_PRICE: PriceExt = { perMinute: 1, unit: 'sat', minSeconds: 60, graceSec: 30 };

export async function setupPayment(o: PaymentSetupOptions): Promise<Payment> {
  let bank: EmbeddedBank | null = null;
  let url = o.bankUrl;
  try {
    if (!url) {
      const l = o.bankListen || { host: '127.0.0.1', port: 3338 };
      bank = await spawnBank({ dataDir: join(o.dataDir, 'bank'), host: l.host, port: l.port, log: o.log.child({ name: 'bank' }), args: o.bankArgs });
      url = bank.url;
      // The MSS's account receives its cash-outs by name (NUT-05 melt `request`); its token is not
      // needed here and is dropped. An account that exists already is fine.
      if (o.account) await bank.mint.createAccount(o.account).catch(() => undefined);
    }
    const till = new MssWallet({ dataDir: join(o.dataDir, 'till'), mintUrl: url });
    const rec = await till.recover();
    if (rec.settled || rec.failed.length) o.log.info({ event: 'till_recovered', settled: rec.settled, failed: rec.failed.length }, 'till recovered');
    const keysetId = await till.activeKeysetId();
    const service = new PaymentService({ till, price: o.price, keysetIds: [keysetId], log: o.log });
    return {
      service,
      till,
      bankUrl: url,
      bank,
      extensions: [
        { type: EXT_PRICE, value: encodePriceExt(o.price) },
        { type: EXT_MINT, value: encodeMintExt({ url, keysetIds: [keysetId] }) },
      ],
      close: async () => {
        await bank?.close();
      },
    };
  } catch (e) {
    await bank?.close();
    throw e;
  }
}
