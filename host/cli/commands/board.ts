/** `hood board console|config|status --port ...`: talk to a flashed board over its console protocol. */
import type { Command } from 'commander';
import { attachRadioHarness } from '../../board/harness';
import { openBoardLink } from '../../board/open';
import { runConsole } from '../../pda/console';
import { parsePin } from '../../pda/emulated';
import { argvSecretRefused, readSecret } from '../../common/secret-input';
import { settleBoardPending } from '../../wallet/board-pending';
import { Wallet } from '../../wallet/wallet';
import { boardLinkFrom, boardLinkOptions, type BoardLinkFlags } from '../board-link-options';
import { parseHostPort } from '../options';
import { jsonOption, printResult, type JsonFlag } from '../output';

const WIFI_PW = { envVar: 'HOOD_WIFI_PASSWORD', fileFlag: '--wifi-password-file' };

export function registerBoardCommands(program: Command): void {
  const board = program.command('board').description('a PDA board on a serial port: console, configuration, status');

  jsonOption(boardLinkOptions(board.command('status').description('print the firmware status and the coins on the board')))
    .option('--wallet <dir>', 'first settle coins a payment left pending, checking them with NUT-07 from this laptop wallet (docs/payment.md)')
    .option('--settle-all', 'with --wallet: also check those the PDA would offer again to the MSS it paid')
    .action(async (o: BoardLinkFlags & JsonFlag & { wallet?: string; settleAll?: boolean }) => {
      const link = await openBoardLink(boardLinkFrom(o));
      try {
        const settled = o.wallet ? await settleBoardPending(new Wallet(o.wallet), link, { all: !!o.settleAll }) : undefined;
        const s = (await link.command({ cmd: 'status' })).find((e) => e.ev === 'status');
        if (!s) throw new Error('no status event');
        // Coins: spendable, pending (a PAY without an answer yet), settled (pending ones settled later).
        const coins = (await link.command({ cmd: 'wallet.balance' })).find((e) => e.ev === 'wallet.balance');
        if (coins) s.coins = { spendable: coins.spendable, proofs: coins.proofs, pending: coins.pending, settled: coins.settled, unackedLoads: coins.unacked };
        if (settled) s.nut07 = settled;
        const { rid: _rid, ...rest } = s;
        printResult(o, rest, (x) =>
          Object.keys(x)
            .filter((k) => k !== 'ev')
            .map((k) => k.padEnd(12) + ' ' + JSON.stringify(x[k]))
            .join('\n'),
        );
      } finally {
        await link.close();
      }
    });

  jsonOption(boardLinkOptions(board.command('config').description('set broker, MSS, pinned MSS key and Wi-Fi (ESP32) on the board')))
    .option('--broker <host:port>', 'MQTT broker the PDA connects to', parseHostPort)
    .option('--mss <id>', 'MSS id to use (empty: first verified beacon)')
    .option('--pin <mss-id=hex>', 'pin an MSS identity key: <mss-id>=<64 hex digits>')
    .option('--cover <per-minute|off>', 'cover cells in session (docs/protocol.md §3.5): a Poisson rate per minute, or off', parseCover)
    .option('--wifi-ssid <ssid>', 'Wi-Fi network (ESP32 boards)')
    .option('--wifi-password-file <file>', 'file (mode 0600) holding the Wi-Fi password; default: $HOOD_WIFI_PASSWORD, else a prompt on a terminal, else none (open network)')
    .option('--wifi-password <password>', 'not accepted (argv is visible to every local user): use $HOOD_WIFI_PASSWORD or --wifi-password-file', argvSecretRefused('--wifi-password', WIFI_PW))
    .action(async (o: BoardLinkFlags & JsonFlag & { broker?: { host: string; port: number }; mss?: string; pin?: string; cover?: { ratePerMin: number } | null; wifiSsid?: string; wifiPasswordFile?: string }) => {
      if (o.wifiPasswordFile !== undefined && o.wifiSsid === undefined) throw new Error('--wifi-password-file needs --wifi-ssid');
      // Read before the board is opened: a prompt must not hold the serial port, a bad file must not half-configure the board.
      const wifiPassword = o.wifiSsid !== undefined ? ((await readSecret({ what: 'Wi-Fi password for ' + o.wifiSsid + ' (empty: open network)', ...WIFI_PW, file: o.wifiPasswordFile })) ?? '') : undefined;
      const link = await openBoardLink(boardLinkFrom(o));
      try {
        const cfg: Record<string, unknown> = { cmd: 'config' };
        if (o.broker) {
          cfg.brokerHost = o.broker.host;
          cfg.brokerPort = o.broker.port;
        }
        if (o.mss !== undefined) cfg.mssId = o.mss;
        if (o.cover !== undefined) cfg.cover = o.cover;
        const ev = (await link.command(cfg)).find((e) => e.ev === 'config');
        if (o.pin) {
          const p = parsePin(o.pin);
          if (p instanceof Error) throw p;
          await link.command({ cmd: 'pin', mssId: p.mssId, key: p.key });
        }
        if (o.wifiSsid !== undefined) await link.command({ cmd: 'wifi', ssid: o.wifiSsid, password: wifiPassword ?? '' });
        const st = (await link.command({ cmd: 'status' })).find((e) => e.ev === 'status');
        printResult(o, { brokerHost: st?.brokerHost ?? ev?.brokerHost, brokerPort: st?.brokerPort, mssId: st?.mssId, pins: st?.pins, cover: ev?.cover ?? null });
      } finally {
        await link.close();
      }
    });

  boardLinkOptions(board.command('console').description('interactive: type JSON commands ({"cmd":"status"}), see every event (one JSON line each); with --espruino the console plays the radio'))
    .action(async (o: BoardLinkFlags) => {
      // A slow interpreter under load may take seconds per command; a person waits longer than a script.
      const link = await openBoardLink({ ...boardLinkFrom(o), timeoutMs: 60_000 });
      // The Linux interpreter has no NIC: as in the hardware-in-loop tests, the host answers its radio
      // requests (load TmpMAC, associate) with an emulated address register and access point.
      const harness = o.espruino ? attachRadioHarness(link) : null;
      try {
        process.stderr.write('connected to ' + link.transport.label + (harness ? ' (radio played by this console)' : '') + '; one JSON command per line, Ctrl-D to quit\n');
        await runConsole(link, { input: process.stdin, output: process.stdout, notices: process.stderr });
      } finally {
        harness?.stop();
        await link.close();
      }
    });
}

/** `--cover 6` → {ratePerMin: 6}; `--cover off` → null. The firmware checks the range again (cover.ts). */
function parseCover(v: string): { ratePerMin: number } | null {
  if (v === 'off') return null;
  const r = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !(r > 0)) throw new Error('--cover wants cover cells per minute (a positive number) or off');
  return { ratePerMin: r };
}
