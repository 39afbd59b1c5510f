/**
 * `hood bench firmware`: the clear error without an interpreter, the baseline bundle, and (when an
 * Espruino interpreter for Linux is present) one real run on it.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benchFirmware,
  checkInterpreter,
  FirmwareBenchError,
  median,
  parseTimes,
  taggedLines,
  tweetnaclModuleSource,
  VARS_AFTER_BOOT_TARGET,
  X25519_RATIO_TARGET,
} from '../../host/bench/firmware-bench';
import { buildProgram } from '../../host/cli/hood';

/**
 * The Espruino interpreter for Linux, named by the user (HOOD_ESPRUINO). No registry carries one, so
 * without it only the error path is tested, and the output says so.
 */
const ESPRUINO = process.env.HOOD_ESPRUINO;

describe('hood bench firmware', () => {
  it('without --espruino: a clear error, nothing measured (library and CLI)', async () => {
    await expect(benchFirmware({})).rejects.toThrow(/needs --espruino \/path\/to\/espruino/);
    await expect(benchFirmware({})).rejects.toBeInstanceOf(FirmwareBenchError);
    expect(() => checkInterpreter('/nonexistent/espruino')).toThrow(/not an executable file/);
    expect(() => checkInterpreter('/tmp')).toThrow(/not an executable file/);
    const program = buildProgram();
    await expect(program.parseAsync(['node', 'hood', 'bench', 'firmware', '--json'])).rejects.toThrow(/needs --espruino/);
  });

  it('tweetnacl baseline: only its environment probing is patched, scalarMult untouched', () => {
    const src = tweetnaclModuleSource();
    expect(src).not.toMatch(/require\(/);
    expect(src).not.toMatch(/\bself\./);
    expect(src).toMatch(/nacl\.scalarMult = function\(n, p\)/);
    expect(src).toMatch(/export default module\.exports;/);
  });

  it('parses tagged lines through Espruino prompt noise; median of run ratios', () => {
    const out = '>\x1b[J@bench {"op":"x25519","ours":1}\r\nnoise\n@bench {"cut\n@mem {"usage":5}\n';
    expect(taggedLines(out, '@bench')).toEqual([{ op: 'x25519', ours: 1 }]);
    expect(taggedLines(out, '@mem')).toEqual([{ usage: 5 }]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(parseTimes('0m0.010000s 0m0.000000s\n1m2.500000s 0m0.250000s\n')).toBeCloseTo(62.75, 6);
    expect(() => parseTimes('sh: times: not found\n')).toThrow(/could not read the CPU time/);
    expect(() => parseTimes('')).toThrow(FirmwareBenchError);
  });

  const present = !!ESPRUINO && existsSync(ESPRUINO);
  if (!present) console.log('bench firmware on the interpreter: NOT RUN, skipped (' + (ESPRUINO ? 'nothing at ' + ESPRUINO : 'HOOD_ESPRUINO not set') + '); only the error paths were tested');
  it.skipIf(!present)('on the Espruino interpreter for Linux: correct answers there, ratio, variables after boot', async () => {
    if (!ESPRUINO) return;
    const r = await benchFirmware({ espruino: ESPRUINO, runs: 2, timeoutMs: 300_000 });
    console.log('bench firmware: ' + JSON.stringify({ x25519: r.x25519, ed25519Verify: r.ed25519Verify, nymbleStatus: r.nymbleStatus, varsAfterBoot: r.firmware.varsAfterBoot }));
    expect(r.checks).toEqual({ rfc7748: true, matchesTweetnacl: true, rfc8032: true, aead: true, lowOrderRejected: true, nymbleStatus: true });
    expect(r.interpreter.version).toMatch(/^2v\d+/);
    expect(r.x25519.ours.ms).toBeGreaterThan(0);
    expect(r.x25519.tweetnacl.ms).toBeGreaterThan(0);
    // The target (X25519_RATIO_TARGET, docs/crypto-speed.md) is judged on CPU time (wall time on this shared
    // 2-core machine swings by 2x with other jobs; a load spike once made one call of ours take 8 s).
    // Wall time must at least show ours clearly ahead on the fastest run of each.
    // The bench judges the targets (docs/crypto-speed.md) and says so in its report; this test checks that
    // the judgement is what the figures say, and guards the speed already reached against regressions.
    expect(r.x25519.target).toBe(X25519_RATIO_TARGET);
    expect(r.x25519.meetsTarget).toBe(r.x25519.cpu.ratio >= X25519_RATIO_TARGET);
    // The interpreter for Linux reads its own CPU time around each call (/proc/self/schedstat).
    expect(r.x25519.cpu.clock).toBe('per-call');
    expect(r.x25519.cpu.runRatios).toHaveLength(2);
    expect(r.x25519.cpu.ratio).toBe(median(r.x25519.cpu.runRatios));
    expect(r.x25519.cpu.ratio).toBeGreaterThanOrEqual(2.5);
    expect(r.x25519.ratioOfMinima).toBeGreaterThan(2);
    expect(r.ed25519Verify.ms).toBeGreaterThan(0);
    // Extended Nymble §2.7 status check on a full one-cell list, answered right on the interpreter (checks above).
    expect(r.nymbleStatus.entries).toBe(11);
    expect(r.nymbleStatus.ms).toBeGreaterThan(0);
    expect(r.nymbleStatus.samples).toHaveLength(2);
    expect(r.aead.seal.ms).toBeGreaterThan(0);
    expect(r.firmware.bootErrors).toEqual([]);
    expect(r.firmware.varsAfterBoot).toBeGreaterThan(0);
    expect(r.firmware.target).toBe(VARS_AFTER_BOOT_TARGET);
    expect(r.firmware.withinTarget).toBe(r.firmware.varsAfterBoot <= VARS_AFTER_BOOT_TARGET);
    expect(r.firmware.varsAfterBoot).toBeLessThanOrEqual(4600);
    expect(r.firmware.scriptInRam.varsAfterBoot).toBeGreaterThan(r.firmware.varsAfterBoot);
  }, 600_000);
});
