/**
 * `hood flash`: put the firmware bundle into the board's flash as boot code and check it booted.
 *
 *  1. Ask the interpreter who it is (process.env, framed as an `@hood` line, so no firmware needed).
 *  2. Send EspruinoTools' upload statements (espruino-tools.ts) one per line; each line reports back
 *     Storage.write's result, which is also the flow control (the next line goes only when the board
 *     has written the previous chunk).
 *  3. Verify: length and CRC-32 of `.bootcde` on the board equal the bundle's.
 *  4. load() and wait for the firmware's `boot` event, then a `status` round trip.
 */
import { crc32 } from 'node:zlib';
import { BoardError, type BoardLink } from './link';
import { planUpload } from './espruino-tools';
import type { PdaEvent } from '../../boards/espruino-common/framing';

export interface FlashProgress {
  sent: number;
  total: number;
}

export interface FlashOptions {
  onProgress?: (p: FlashProgress) => void;
  /** Per chunk and for the boot (ms). */
  chunkTimeoutMs?: number;
  bootTimeoutMs?: number;
}

export interface FlashResult {
  bytes: number;
  chunks: number;
  ms: number;
  env: { BOARD?: string; VERSION?: string };
  boot: PdaEvent;
  status: PdaEvent;
}

/** Run `expr` on the board and get its JSON value back as an event `{ev: tag, v: ...}`. */
async function ask(link: BoardLink, tag: string, expr: string, timeoutMs: number): Promise<PdaEvent> {
  const since = link.events.length;
  const w = link.waitFor((e) => e.ev === tag, timeoutMs, since);
  await link.writeRaw('\x10print("@hood "+JSON.stringify({ev:' + JSON.stringify(tag) + ',v:' + expr + '}))\n');
  return w;
}

export async function flashBundle(link: BoardLink, code: string, opts: FlashOptions = {}): Promise<FlashResult> {
  const t0 = Date.now();
  const chunkTimeout = opts.chunkTimeoutMs ?? 10_000;
  // Ctrl-C clears whatever half line is in the REPL's input buffer.
  await link.writeRaw('\x10\n');
  const env = (await ask(link, 'hood-env', '{BOARD:process.env.BOARD,VERSION:process.env.VERSION}', chunkTimeout)).v ?? {};
  const m = /^(\d+)v(\d+)/.exec(String(env.VERSION ?? ''));
  if (!m) throw new BoardError('the board did not report an Espruino version (is this an Espruino board?)', 'not_espruino');
  const plan = await planUpload(code, { major: Number(m[1]), minor: Number(m[2]) });

  let sent = 0;
  const total = plan.statements.reduce((n, s) => n + s.length, 0);
  opts.onProgress?.({ sent, total });
  for (let i = 0; i < plan.statements.length; i++) {
    const stmt = plan.statements[i].replace(/;\s*$/, '');
    const r = await ask(link, 'hood-flash', '{at:' + i + ',ok:' + stmt + '}', chunkTimeout);
    if (!r.v || r.v.at !== i || r.v.ok !== true) throw new BoardError('Storage.write of chunk ' + i + ' failed (flash full?)', 'flash_write');
    sent += plan.statements[i].length;
    opts.onProgress?.({ sent, total });
  }

  const bytes = Buffer.byteLength(code, 'latin1');
  const check = (await ask(link, 'hood-verify', '(function(f){return f?{n:f.length,crc:(E.CRC32?E.CRC32(f):null)}:null})(require("Storage").read(".bootcde"))', chunkTimeout)).v;
  if (!check || check.n !== bytes) throw new BoardError('verify: .bootcde has ' + (check ? check.n : 'no') + ' bytes, expected ' + bytes, 'verify');
  if (check.crc !== null && check.crc >>> 0 !== crc32(Buffer.from(code, 'latin1'))) throw new BoardError('verify: .bootcde CRC-32 differs from the bundle', 'verify');

  const since = link.events.length;
  const boot = link.waitFor('boot', opts.bootTimeoutMs ?? 20_000, since);
  await link.writeRaw('\x10' + plan.load + '\n');
  const bootEv = await boot;
  const st = await link.command({ cmd: 'status' });
  const status = st.find((e) => e.ev === 'status');
  if (!status) throw new BoardError('booted, but status did not answer', 'verify');
  return { bytes, chunks: plan.statements.length, ms: Date.now() - t0, env, boot: bootEv, status };
}
