/** A real MSS gateway with the mail service, SMTP on loopback (port 0), for mail tests. */
import { silentLogger } from '../../host/common/log';
import { MailService, type MailOptions } from '../../host/mail/service';
import type { MssConfig } from '../../host/mss/core';
import { MssGateway } from '../../host/mss/gateway';
import { removeTestDir, testDir } from '../helpers/temp-dir';

export const DOMAIN = 'mss.test';

/** With `dataDir`, on that dir (a restart of an earlier one), which stop() then leaves in place. */
export async function startMailGateway(opts: { mail?: Partial<MailOptions>; config?: Partial<MssConfig>; dataDir?: string } = {}) {
  const dataDir = opts.dataDir ?? testDir('hood-test-mail-');
  const mail = await MailService.start({ domain: DOMAIN, dataDir, log: silentLogger(), inbound: { host: '127.0.0.1', port: 0 }, ...opts.mail });
  const gw = await MssGateway.start({
    dataDir,
    log: silentLogger(),
    listen: { host: '127.0.0.1', port: 0 },
    config: { extensions: mail.beaconExtensions(), ...opts.config },
    services: mail.services,
    tickMs: 200,
  });
  mail.attach(gw.core);
  return {
    gw,
    mail,
    dataDir,
    async stop() {
      await gw.stop();
      await mail.stop();
      if (!opts.dataDir) removeTestDir(dataDir);
    },
  };
}
